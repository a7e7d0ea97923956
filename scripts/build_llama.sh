#!/usr/bin/env bash
# Builds llama.cpp as static, position-independent libraries for the llama engine plug-in, on the
# CPU (what scripts/setup.sh installs) or with its CUDA backend, ggml-cuda (a WATTSERVE_CUDA=ON
# build), and with --tools llama-bench beside them (the wrapper-cost baseline).
#
#   bash scripts/build_llama.sh SRC PREFIX [options]
#
#   SRC              a llama.cpp source tree (scripts/setup.sh puts one in
#                    $WATTSERVE_DEPS/llama.cpp/src)
#   PREFIX           where to install: PREFIX/lib/cmake/llama (-DWATTSERVE_LLAMA_DIR=PREFIX),
#                    PREFIX/bin/llama-bench with --tools; the build folder is PREFIX.build
#   --cuda           with ggml-cuda (NCCL off: one GPU, and it would add a 218 MB dependency);
#                    the CUDA runtime and cuBLAS are linked dynamically, so the binaries use the
#                    libraries of the machine they run on
#   --arch LIST      CUDA architectures (CMAKE_CUDA_ARCHITECTURES), default 90 (H100, H200)
#   --no-fa          leave out ggml-cuda's flash-attention kernels (about a third less time)
#   --tools          also build and install llama-bench and llama-quantize
#   --native         tune the CPU backend for this machine's CPU (default: AVX2, FMA, F16C)
#   --jobs N         parallel jobs (default: all cores)
#
# Where the CUDA toolkit lacks cuBLAS (a PyTorch venv carries it under site-packages/nvidia/),
# pass -DCUDA_cublas_LIBRARY=... -DCUDA_cublasLt_LIBRARY=... through EXTRA_CMAKE_ARGS, and the
# include folder holding cublas_v2.h through CUDA_EXTRA_INCLUDE (scripts/gpu_check.sh does).
set -euo pipefail
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
[[ ${1:-} == -h || ${1:-} == --help ]] && { usage; exit 0; }
(($# >= 2)) || { usage >&2; exit 2; }
SRC=$1 PREFIX=$2
shift 2
ARCH=90 FA=ON TOOLS=OFF CUDA=OFF NATIVE=OFF JOBS=$(nproc)
while (($#)); do
  case $1 in
    --arch) ARCH=${2:?--arch needs a value}; shift 2 ;;
    --no-fa) FA=OFF; shift ;;
    --tools) TOOLS=ON; shift ;;
    --cuda) CUDA=ON; shift ;;
    --native) NATIVE=ON; shift ;;
    --jobs) JOBS=${2:?--jobs needs a value}; shift 2 ;;
    *) echo "build_llama.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -f $SRC/CMakeLists.txt && -d $SRC/ggml ]] || { echo "build_llama.sh: $SRC is not a llama.cpp source tree" >&2; exit 2; }
BUILD=$PREFIX.build
cpu_flags=(-DGGML_NATIVE=ON)
[[ $NATIVE == OFF ]] && cpu_flags=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON)
cuda_flags=(-DGGML_CUDA=OFF)
if [[ $CUDA == ON ]]; then
  cuda_flags=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=$ARCH" -DGGML_CUDA_NCCL=OFF "-DGGML_CUDA_FA=$FA")
  if [[ -n ${CUDA_EXTRA_INCLUDE:-} ]]; then
    cuda_flags+=("-DCMAKE_CUDA_FLAGS=-I$CUDA_EXTRA_INCLUDE" "-DCMAKE_CXX_FLAGS=-I$CUDA_EXTRA_INCLUDE")
  fi
fi
# ccache makes a rebuild after a wiped deps folder cheap.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
configure() {  # TOOLS: ON or OFF; the libraries' flags are the same either way, so the second
  # configure rebuilds nothing of ggml
  # shellcheck disable=SC2086
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON "${cpu_flags[@]}" "${cuda_flags[@]}" \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS="$1" \
    -DLLAMA_BUILD_COMMON="$1" -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_OPENSSL=OFF "${launcher[@]}" ${EXTRA_CMAKE_ARGS:-} >"$BUILD.configure.log" 2>&1 \
    || { tail -n 40 "$BUILD.configure.log" >&2; echo "build_llama.sh: configure failed ($BUILD.configure.log)" >&2; exit 1; }
}
build() {
  cmake --build "$BUILD" -j"$JOBS" "$@" >"$BUILD.log" 2>&1 \
    || { tail -n 40 "$BUILD.log" >&2; echo "build_llama.sh: build failed ($BUILD.log)" >&2; exit 1; }
}
# The libraries, installed with their headers and CMake files; then, configured again with the
# tools, the two tools alone (installing with the tools configured would want every tool built).
configure OFF
build
cmake --install "$BUILD" >/dev/null
if [[ $TOOLS == ON ]]; then
  configure ON
  build --target llama-bench llama-quantize
  mkdir -p "$PREFIX/bin"
  cp "$BUILD/bin/llama-bench" "$BUILD/bin/llama-quantize" "$PREFIX/bin/"
fi
echo "$PREFIX"
