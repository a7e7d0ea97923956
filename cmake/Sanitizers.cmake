# Applies WATTSERVE_SANITIZE to everything built after this point.
if(WATTSERVE_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(WATTSERVE_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(WATTSERVE_SANITIZE STREQUAL "fuzzer")
  # libFuzzer coverage (clang) with ASan+UBSan; the fuzz targets link -fsanitize=fuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(NOT WATTSERVE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "WATTSERVE_SANITIZE must be '', 'address', 'thread' or 'fuzzer', not '${WATTSERVE_SANITIZE}'")
endif()
