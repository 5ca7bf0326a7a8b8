# policy (issue 6): who a request comes from (tokens, certificates), what it
# may read, and how fast (token buckets).
foreach(part limits auth gate)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${part}.cmake)
    include(${CMAKE_CURRENT_LIST_DIR}/${part}.cmake)
  endif()
endforeach()
