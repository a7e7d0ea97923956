# wattserve_warnings(target): the project's warning set, errors in CI (WATTSERVE_WERROR).
option(WATTSERVE_WERROR "Treat warnings as errors" OFF)
function(wattserve_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
    -Wimplicit-fallthrough)
  # GCC 12 at -O3 (Release) reports a false -Wrestrict inside libstdc++'s string operator+
  # (GCC bug 105651, fixed in GCC 13).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(WATTSERVE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
