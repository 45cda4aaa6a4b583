# Sanitizers: -DATTNLAB_SANITIZE=address,undefined builds everything with ASan + UBSan.
set(ATTNLAB_SANITIZE "" CACHE STRING "Comma-separated sanitizers (e.g. address,undefined)")
if(ATTNLAB_SANITIZE)
  add_compile_options(-fsanitize=${ATTNLAB_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${ATTNLAB_SANITIZE})
endif()
