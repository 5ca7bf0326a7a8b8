if(MODPROXY_SANITIZE)
  add_compile_options(-fsanitize=${MODPROXY_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${MODPROXY_SANITIZE})
endif()
