# Sourced by the benchmarks: llama_tool NAME prints the path of llama.cpp's own tool NAME
# (llama-bench, llama-server), building it once from the same llama.cpp source tree the engine
# uses into $WATTSERVE_DEPS/llama.cpp/bench-build (a few minutes; CPU, AVX2 like the engine).
llama_tool() {
  local deps=${WATTSERVE_DEPS:-/opt/wattserve-deps} tool=$1
  local dir=$deps/llama.cpp/bench-build
  if [[ ! -x $dir/bin/$tool ]]; then
    echo "building $tool into $dir (once)" >&2
    cmake -S "$deps/llama.cpp/src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
      -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
      -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_MTMD=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF \
      -DLLAMA_OPENSSL=OFF >/dev/null
    cmake --build "$dir" --target "$tool" -j"$(nproc)" >/dev/null
  fi
  echo "$dir/bin/$tool"
}
