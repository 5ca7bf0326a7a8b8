if(MODPROXY_SANITIZE)
  add_compile_options(-fsanitize=${MODPROXY_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${MODPROXY_SANITIZE})
endif()
if(MODPROXY_SANITIZE MATCHES "thread")
  # g++ warns that TSan does not model the fences in Asio's handler
  # invocation; Asio's own locks carry the synchronisation TSan checks.
  add_compile_options(-Wno-tsan)
endif()
