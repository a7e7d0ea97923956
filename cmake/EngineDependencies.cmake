# The runtime engines' libraries (llama.cpp, ONNX Runtime, LibTorch), and with WATTSERVE_CUDA the
# CUDA toolkit they are built against. Included by Dependencies.cmake, alone in a
# WATTSERVE_PLUGINS_ONLY build (scripts/gpu_check.sh on a GPU machine).

if(WATTSERVE_CUDA)
  # ggml-cuda's static archive needs the CUDA runtime and cuBLAS at link time; both are linked
  # dynamically (the GPU machine's own libraries are used at run time).
  find_package(CUDAToolkit REQUIRED)
  foreach(_lib IN ITEMS cudart cublas cublasLt)
    if(NOT TARGET CUDA::${_lib})
      message(FATAL_ERROR "WATTSERVE_CUDA=ON: lib${_lib} is not in the CUDA toolkit at "
        "${CUDAToolkit_LIBRARY_DIR}; where another package has it (a PyTorch venv's "
        "site-packages/nvidia/), pass -DCUDA_${_lib}_LIBRARY=<its .so>")
    endif()
  endforeach()
  # CUDA >= 12.9 ships NVTX only as headers (nvtx3), while some LibTorch CMake configs still name
  # the old library CUDA::nvToolsExt (pytorch/pytorch#152756): stand it in by the headers.
  if(NOT TARGET CUDA::nvToolsExt AND TARGET CUDA::nvtx3)
    add_library(CUDA::nvToolsExt INTERFACE IMPORTED)
    set_property(TARGET CUDA::nvToolsExt PROPERTY INTERFACE_LINK_LIBRARIES CUDA::nvtx3)
  endif()
  set(_llama_default "${WATTSERVE_DEPS}/llama.cpp/install-cuda")
  set(_llama_hint "scripts/build_llama.sh ${WATTSERVE_DEPS}/llama.cpp/src ${_llama_default} --cuda")
else()
  set(_llama_default "${WATTSERVE_DEPS}/llama.cpp/install")
  set(_llama_hint "scripts/setup.sh")
endif()
# Empty: the default of this configuration (so that switching WATTSERVE_CUDA switches it too).
set(WATTSERVE_LLAMA_DIR "" CACHE PATH
  "Installed llama.cpp (static, PIC) the llama engine links; empty: setup.sh's, or with WATTSERVE_CUDA build_llama.sh --cuda's")
set(_llama_dir "${WATTSERVE_LLAMA_DIR}")
if(NOT _llama_dir)
  set(_llama_dir "${_llama_default}")
endif()

if(WATTSERVE_PLUGINS_ONLY AND NOT TARGET nlohmann_json::nlohmann_json)
  # nlohmann/json is header-only: a folder holding nlohmann/json.hpp will do.
  find_package(nlohmann_json 3.10 QUIET)
  if(NOT nlohmann_json_FOUND)
    find_path(WATTSERVE_JSON_INCLUDE nlohmann/json.hpp)
    if(NOT WATTSERVE_JSON_INCLUDE)
      message(FATAL_ERROR "nlohmann/json.hpp not found: pass -DWATTSERVE_JSON_INCLUDE=<folder>")
    endif()
    add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
    set_target_properties(nlohmann_json::nlohmann_json PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${WATTSERVE_JSON_INCLUDE}")
  endif()
endif()

if(WATTSERVE_WITH_LLAMA)
  # llama-config.cmake caches where it found libllama.a: forget it, so that another llama.cpp
  # (WATTSERVE_LLAMA_DIR, WATTSERVE_CUDA changed) is not mixed with this one's ggml.
  unset(llama_LIBRARY CACHE)
  unset(llama_DIR CACHE)
  find_package(llama CONFIG PATHS "${_llama_dir}" NO_DEFAULT_PATH)
  if(NOT llama_FOUND)
    message(FATAL_ERROR "llama.cpp not found under ${_llama_dir}: run ${_llama_hint}, "
      "or name another with -DWATTSERVE_LLAMA_DIR=, or configure with -DWATTSERVE_WITH_LLAMA=OFF")
  endif()
  if(WATTSERVE_CUDA AND NOT GGML_CUDA)
    message(FATAL_ERROR "WATTSERVE_CUDA=ON but the llama.cpp under ${_llama_dir} was built "
      "without CUDA: run ${_llama_hint}, or name another with -DWATTSERVE_LLAMA_DIR=")
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
  # Plug-ins pass C++ objects (std::string, std::vector) to the binary: LibTorch must use the
  # same libstdc++ ABI as everything else here (pre-2.7 pip wheels used the old one).
  if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
    message(FATAL_ERROR "The LibTorch found (${Torch_DIR}) is built with the pre-C++11 libstdc++ "
      "ABI (_GLIBCXX_USE_CXX11_ABI=0); the engine plug-ins need the C++11 ABI: use LibTorch >= 2.7 "
      "or a cxx11-abi LibTorch build")
  endif()
  if(WATTSERVE_CUDA AND NOT TARGET torch_cuda)
    message(FATAL_ERROR "WATTSERVE_CUDA=ON but the LibTorch found (${Torch_DIR}) has no CUDA: pass "
      "-DCMAKE_PREFIX_PATH=\"$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')\" "
      "with a CUDA build of torch, or -DWATTSERVE_WITH_TORCH=OFF")
  endif()
endif()
