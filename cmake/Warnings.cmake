function(modproxy_apply_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    # g++ 12 at -O2 reports Asio's coroutine-frame operator delete as mismatched
    # with its operator new (a known false positive; the frame allocator pairs them).
    -Wno-mismatched-new-delete
    # g++ 12 at -O3 (Release) reports a false -Wrestrict inside libstdc++'s
    # char_traits for std::string appends (GCC PR 105329).
    -Wno-restrict)
  if(MODPROXY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
