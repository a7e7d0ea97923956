# Finds every third-party library. Why each is here: README.md, "Dependencies".
find_package(Threads REQUIRED)
if(WATTSERVE_PLUGINS_ONLY)
  include(EngineDependencies)
  return()
endif()
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(TOMLPLUSPLUS REQUIRED IMPORTED_TARGET tomlplusplus)
# OpenSSL's libcrypto: SHA-256 of bench study hashes and run ids (src/bench/study.cpp).
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
# Boost.Beast and Asio (header-only): the server's event-driven HTTP layer (src/serve/http_server).
find_package(Boost 1.74 REQUIRED)
if(WATTSERVE_WITH_ONNX OR WATTSERVE_WITH_TORCH)
  pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)
endif()
find_package(prometheus-cpp CONFIG REQUIRED)
# Eigen (header-only): least squares of `wattserve report`'s regressions (src/report/stats).
# Boost.Math (in Boost's headers above): the distributions behind the report's p-values.
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
# Vega, Vega-Lite and vega-embed (npm, scripts/setup.sh): inlined into `wattserve report`'s HTML.
set(WATTSERVE_VEGA_DIR "${WATTSERVE_DEPS}/vega" CACHE PATH
  "Folder with vega.min.js, vega-lite.min.js, vega-embed.min.js and their licences (scripts/setup.sh)")

# OpenCV 4 core, imgproc, imgcodecs: image decoding, resizing and box geometry of the OCR pipeline
# (src/ocr). Debian's per-module -dev packages ship no CMake or pkg-config file (only the
# all-modules libopencv-dev does), so the headers and the three libraries are found directly.
# Only with WATTSERVE_WITH_OCR (on by default).
if(WATTSERVE_WITH_OCR)
  find_path(OPENCV_INCLUDE_DIR opencv2/imgproc.hpp PATH_SUFFIXES opencv4)
  foreach(m IN ITEMS core imgproc imgcodecs)
    find_library(OPENCV_${m}_LIBRARY opencv_${m})
    if(NOT OPENCV_INCLUDE_DIR OR NOT OPENCV_${m}_LIBRARY)
      message(FATAL_ERROR "OpenCV ${m} not found: run scripts/setup.sh (libopencv-${m}-dev), "
        "or configure with -DWATTSERVE_WITH_OCR=OFF")
    endif()
    add_library(opencv::${m} SHARED IMPORTED)
    set_target_properties(opencv::${m} PROPERTIES IMPORTED_LOCATION "${OPENCV_${m}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${OPENCV_INCLUDE_DIR}")
  endforeach()
endif()
if(WATTSERVE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(WATTSERVE_BUILD_PERF)
  find_package(benchmark REQUIRED)
endif()

include(EngineDependencies)
