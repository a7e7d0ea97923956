# The CUDA build options stop the configure step with an error naming the fix, instead of
# building plug-ins that fail at their first dlopen: WATTSERVE_CUDA=ON with a llama.cpp built
# without CUDA, with a LibTorch without CUDA (Debian's), with no llama.cpp where it is expected.
# A plug-ins-only build (how scripts/gpu_check.sh builds on a GPU machine) configures with the
# engines' libraries alone. And scripts/gpu_check.sh refuses a bad mode and a run without a build.
source "$(dirname "$0")/lib.sh"
DEPS=${WATTSERVE_DEPS:-/opt/wattserve-deps}
configure() {  # EXPECTED_EXIT PATTERN CMAKE_ARGS...
  local want=$1 pattern=$2 got=0
  shift 2
  rm -rf "$TMP/b"
  cmake -S "$SRC" -B "$TMP/b" -DWATTSERVE_PLUGINS_ONLY=ON -DWATTSERVE_WITH_ONNX=OFF "$@" \
    >"$TMP/log" 2>&1 || got=$?
  if [[ $want == 0 ]]; then
    [[ $got == 0 ]] || { tail -20 "$TMP/log" >&2; fail "configure $* failed"; }
  else
    [[ $got != 0 ]] || fail "configure $* succeeded"
    grep -q -- "$pattern" "$TMP/log" || { tail -20 "$TMP/log" >&2; fail "configure $*: no '$pattern'"; }
  fi
}
have_cuda=0
[[ -x /usr/local/cuda/bin/nvcc ]] || command -v nvcc >/dev/null && have_cuda=1
if [[ -f $DEPS/llama.cpp/install/lib/cmake/llama/llama-config.cmake ]]; then
  configure 0 "" -DWATTSERVE_WITH_TORCH=OFF
  [[ -f $TMP/b/build.ninja || -f $TMP/b/Makefile ]] || fail "plug-ins-only configure wrote no build files"
  if ((have_cuda)); then
    configure 1 "was built without CUDA" -DWATTSERVE_CUDA=ON -DWATTSERVE_WITH_TORCH=OFF \
      "-DWATTSERVE_LLAMA_DIR=$DEPS/llama.cpp/install"
  else
    configure 1 "Could NOT find CUDAToolkit" -DWATTSERVE_CUDA=ON -DWATTSERVE_WITH_TORCH=OFF
  fi
fi
configure 1 "llama.cpp not found under $TMP/none: run" -DWATTSERVE_WITH_TORCH=OFF \
  "-DWATTSERVE_LLAMA_DIR=$TMP/none"
if ((have_cuda)) && [[ -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ]]; then
  configure 1 "has no CUDA: pass" -DWATTSERVE_CUDA=ON -DWATTSERVE_WITH_LLAMA=OFF
fi

expect_exit 2 bash "$SRC/scripts/gpu_check.sh" bogus
expect_exit 0 bash "$SRC/scripts/gpu_check.sh" --help
grep -q "rehearse" "$TMP/out" || fail "gpu_check.sh --help does not explain the modes"
mkdir -p "$TMP/src" && cp -r "$SRC/scripts" "$TMP/src/"
expect_exit 1 bash "$TMP/src/scripts/gpu_check.sh" run
grep -q "run 'scripts/gpu_check.sh build' first" "$TMP/err" || fail "run without build: $(cat "$TMP/err")"
expect_exit 1 bash "$TMP/src/scripts/gpu_check.sh" build
grep -q "gpu_check.sh pack" "$TMP/err" || fail "build without pack: $(cat "$TMP/err")"
echo "cuda build options: ok (CUDA toolkit here: $have_cuda)"
