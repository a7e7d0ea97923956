# wattserve_warnings(target): the project's warning set, errors in CI (WATTSERVE_WERROR).
option(WATTSERVE_WERROR "Treat warnings as errors" OFF)
function(wattserve_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
    -Wimplicit-fallthrough)
  if(WATTSERVE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
