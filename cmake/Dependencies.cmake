# Finds every third-party library. Why each is here: README.md, "Dependencies".
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
if(WATTSERVE_WITH_ONNX OR WATTSERVE_WITH_TORCH)
  pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)
endif()
find_package(prometheus-cpp CONFIG REQUIRED)
if(WATTSERVE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(WATTSERVE_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

if(WATTSERVE_WITH_LLAMA)
  find_package(llama CONFIG PATHS "${WATTSERVE_DEPS}/llama.cpp/install" NO_DEFAULT_PATH)
  if(NOT llama_FOUND)
    message(FATAL_ERROR "llama.cpp not found under ${WATTSERVE_DEPS}/llama.cpp/install: "
      "run scripts/setup.sh, or configure with -DWATTSERVE_WITH_LLAMA=OFF")
  endif()
endif()

if(WATTSERVE_WITH_ONNX)
  set(_ort "${WATTSERVE_DEPS}/onnxruntime")
  if(NOT EXISTS "${_ort}/include/onnxruntime_cxx_api.h" OR NOT EXISTS "${_ort}/lib/libonnxruntime.so")
    message(FATAL_ERROR "ONNX Runtime not found under ${_ort}: run scripts/setup.sh, "
      "or configure with -DWATTSERVE_WITH_ONNX=OFF")
  endif()
  add_library(onnxruntime::onnxruntime SHARED IMPORTED)
  set_target_properties(onnxruntime::onnxruntime PROPERTIES
    IMPORTED_LOCATION "${_ort}/lib/libonnxruntime.so.1"
    IMPORTED_SONAME "libonnxruntime.so.1"
    INTERFACE_INCLUDE_DIRECTORIES "${_ort}/include")
endif()

if(WATTSERVE_WITH_TORCH)
  find_package(Torch CONFIG)
  if(NOT Torch_FOUND)
    message(FATAL_ERROR "LibTorch not found: run scripts/setup.sh (Debian libtorch-dev), "
      "or configure with -DWATTSERVE_WITH_TORCH=OFF")
  endif()
endif()
