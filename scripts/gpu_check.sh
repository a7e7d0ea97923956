#!/usr/bin/env bash
# The GPU work of wattserve in one prepared script (docs/cuda.md): CUDA engine plug-ins built on a
# lent GPU machine, the GPU cells of the engines study, greedy tokens across the CUDA engines,
# llama-bench on CUDA, and `wattserve serve` on CUDA under 1, 8 and 32 streams.
#
#   bash scripts/gpu_check.sh pack        here: build wattserve without OCR (build-gpu-host/) and
#                                         fill .gpu/ with what the GPU machine needs (< 64 MiB)
#   bash scripts/gpu_check.sh build       on the GPU machine, 1st device call (~5 min): llama.cpp
#                                         with ggml-cuda and llama-bench, the llama and torch
#                                         plug-ins against its CUDA and torch, the zoo -> .gpu-work/
#   bash scripts/gpu_check.sh run         on the GPU machine, 2nd device call (~5 min): the checks
#                                         and studies; the dataset and a summary -> $OUT
#   bash scripts/gpu_check.sh rehearse    here: pack, then build and run with --dry (the same
#                                         steps on the CPU: CUDA replaced by cpu, fewer repeats)
#   build --dry, run --dry                one step of the rehearsal
#
# The device calls (carry: [".gpu"]; never change the card's clocks or power limit: nothing here
# does):   bash scripts/gpu_check.sh build      then at once   bash scripts/gpu_check.sh run
# Env: OUT (default out/gpu-check), PY (python3 with torch, numpy, sentencepiece; default python3),
# BUDGET_S (run: no step starts after this many seconds, default 420),
# JOBS (default nproc), LLAMA_FA=1 (ggml-cuda with its flash-attention kernels: about half as much
# build time again; off by default to stay inside the first call's 8 minutes).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CARRY=.gpu WORK=.gpu-work
OUT=${OUT:-out/gpu-check}
DEPS=${WATTSERVE_DEPS:-/opt/wattserve-deps}
JOBS=${JOBS:-$(nproc)}
log() { printf '[gpu_check %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[gpu_check] error: %s\n' "$*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

MODE=${1:-}
DRY=0
[[ ${2:-} == --dry ]] && DRY=1
case $MODE in
  pack | build | run | rehearse) ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

# --- pack (here) ------------------------------------------------------------------------------
# Libraries the GPU machine (Ubuntu 24.04) has itself, or must not be given an older copy of.
SYSTEM_LIBS='^(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux-x86-64|libz|libcrypto|libssl)\.so'
pack() {
  local host=build-gpu-host
  log "building wattserve without OCR, ONNX, tests and benchmarks into $host"
  # The flags of scripts/build.sh (ccache shares its objects); debug info is stripped below.
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$host" -G Ninja -DWATTSERVE_WERROR=ON "${launcher[@]}" -DWATTSERVE_WITH_OCR=OFF \
    -DWATTSERVE_WITH_ONNX=OFF -DWATTSERVE_BUILD_TESTS=OFF -DWATTSERVE_BUILD_PERF=OFF >/dev/null
  cmake --build "$host" -j"$JOBS" --target wattserve wattserve_spm >/dev/null
  rm -rf "$CARRY.tmp" && mkdir -p "$CARRY.tmp/bin" "$CARRY.tmp/lib" "$CARRY.tmp/include"
  strip -o "$CARRY.tmp/bin/wattserve" "$host/src/cli/wattserve"
  strip -o "$CARRY.tmp/bin/libwattserve_spm.so" "$host/src/cli/libwattserve_spm.so"
  local lib
  for lib in $(ldd "$host/src/cli/wattserve" "$host/src/cli/libwattserve_spm.so" | awk '$3 ~ /^\// {print $3}' | sort -u); do
    [[ $(basename "$lib") =~ $SYSTEM_LIBS ]] && continue
    cp -L "$lib" "$CARRY.tmp/lib/"
  done
  strip --strip-unneeded "$CARRY.tmp"/lib/*.so* 2>/dev/null || true
  # nlohmann/json (header-only, MIT) for the torch plug-in: the GPU machine has no -dev packages.
  cp -r /usr/include/nlohmann "$CARRY.tmp/include/"
  cp /usr/share/doc/nlohmann-json3-dev/copyright "$CARRY.tmp/include/nlohmann/COPYRIGHT" 2>/dev/null || true
  # llama.cpp's sources (MIT): ggml's CPU and CUDA backends, llama, the tools llama-bench and
  # llama-quantize need, gguf-py and the two test vocabularies the shape replicas use.
  local src=$DEPS/llama.cpp/src
  [[ -d $src/ggml ]] || die "no llama.cpp source in $src: run scripts/setup.sh"
  tar -C "$src" -cJf "$CARRY.tmp/llama-src.tar.xz" --exclude='.git' \
    --exclude='ggml/src/ggml-'{vulkan,sycl,metal,opencl,cann,musa,hip,kompute,webgpu,zdnn,rpc,blas,zendnn,virtgpu,openvino,hexagon} \
    CMakeLists.txt LICENSE cmake ggml src include common vendor gguf-py tools licenses \
    models/ggml-vocab-gpt-2.gguf models/ggml-vocab-qwen2.gguf
  # The classifiers (trained here on Fashion-MNIST, which the GPU machine does not have), the zoo
  # manifests and the tokenizer; the text models and replicas are made there from the committed
  # weights (models/text/weights) and models/replicas/make_replica.py.
  [[ -f zoo/manifest.json && -f zoo/text/manifest.json ]] || die "no zoo: run scripts/build_zoo.sh"
  mkdir -p "$CARRY.tmp/zoo/text" "$CARRY.tmp/zoo/classifier"
  cp zoo/manifest.json "$CARRY.tmp/zoo/"
  cp zoo/text/manifest.json zoo/text/pycode-tokenizer.model "$CARRY.tmp/zoo/text/"
  cp zoo/classifier/manifest.json zoo/classifier/*.torchscript.pt zoo/classifier/*.sample.json \
    zoo/classifier/*.npy "$CARRY.tmp/zoo/classifier/"
  # The commit the carried binary was built from (+dirty: with uncommitted changes).
  { git rev-parse HEAD 2>/dev/null || echo unknown; } | tr -d '\n' >"$CARRY.tmp/commit"
  [[ -z $(git status --porcelain --untracked-files=no 2>/dev/null) ]] || printf '+dirty' >>"$CARRY.tmp/commit"
  rm -rf "$CARRY" && mv "$CARRY.tmp" "$CARRY"
  local carry_b tree_b
  carry_b=$(du -sb "$CARRY" | cut -f1)
  tree_b=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
  log "$CARRY: $((carry_b / 1048576)) MiB; with the tracked files $(((carry_b + tree_b) / 1048576)) MiB of the 64 MiB a call carries"
  ((carry_b + tree_b < 62 * 1048576)) || die "too much to carry: $((carry_b + tree_b)) bytes"
}

# --- build (GPU machine) ----------------------------------------------------------------------
PYTHON=${PY:-python3}

# Where the CUDA toolkit and torch put what the build needs: prints KEY=VALUE lines.
discover() {
  local nvcc tk sp
  nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
  [[ -n $nvcc ]] || die "no nvcc on this machine"
  tk=$(cd "$(dirname "$nvcc")/.." && pwd)
  echo "NVCC=$nvcc"
  echo "TOOLKIT=$tk"
  "$PYTHON" -c 'import torch; print("TORCH_PREFIX=" + torch.utils.cmake_prefix_path); print("TORCH_VERSION=" + torch.__version__); print("TORCH_CUDA=" + str(torch.version.cuda))' \
    || die "$PYTHON has no torch"
  sp=$("$PYTHON" -c 'import site; print(" ".join(site.getsitepackages()))')
  # CMake's FindCUDAToolkit looks in the toolkit; a PyTorch venv has the libraries (versioned
  # names only) under site-packages/nvidia/. Each found elsewhere is passed as CUDA_<name>_LIBRARY.
  local name f
  for name in cudart cublas cublasLt; do
    f=$(ls "$tk"/lib64/lib$name.so "$tk"/targets/x86_64-linux/lib/lib$name.so 2>/dev/null | head -1 || true)
    # shellcheck disable=SC2086
    [[ -n $f ]] || f=$(find $sp -path '*nvidia*' -name "lib$name.so.1[0-9]" 2>/dev/null | sort | tail -1 || true)
    [[ -n $f ]] || die "lib$name not found in $tk or under $sp"
    echo "LIB_$name=$f"
  done
  # ggml-cuda links the driver API (CUDA::cuda_driver): the toolkit's stub, else the driver itself.
  f=$(ls "$tk"/lib64/stubs/libcuda.so "$tk"/targets/x86_64-linux/lib/stubs/libcuda.so 2>/dev/null | head -1 || true)
  [[ -n $f ]] || f=$(ldconfig -p | awk '/libcuda\.so\.1 / {print $NF; exit}')
  [[ -n $f ]] || f=$(ls /usr/local/nvidia/lib64/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null | head -1 || true)
  [[ -n $f ]] || die "libcuda (the driver API) not found: no stub in $tk and no driver library"
  echo "LIB_cuda_driver=$f"
  f=$(ls "$tk"/include/cublas_v2.h "$tk"/targets/x86_64-linux/include/cublas_v2.h 2>/dev/null | head -1 || true)
  # shellcheck disable=SC2086
  [[ -n $f ]] || f=$(find $sp -path '*nvidia*' -name cublas_v2.h 2>/dev/null | head -1 || true)
  [[ -n $f ]] || die "cublas_v2.h not found in $tk or under $sp"
  echo "CUBLAS_INCLUDE=$(dirname "$f")"
}

# The Python modules the zoo's exports import: stop before the long llama.cpp build when one is
# missing (the GPU machine cannot fetch any).
check_python() {
  "$1" -c 'import numpy, yaml, sentencepiece, torch' 2>"$WORK/logs/python.log" \
    || die "$1 lacks a module the zoo needs (numpy, yaml, sentencepiece, torch): $(tail -n 1 "$WORK/logs/python.log")"
}

# Whatever happens, the logs of a device call come back: $OUT/gpu-<step>-logs.tar.gz.
keep_logs() {
  mkdir -p "$OUT"
  tar -C "$WORK" -czf "$OUT/gpu-$1-logs.tar.gz" logs 2>/dev/null || true
}

# The zoo the studies read: text models exported from the committed weights, the two replicas,
# the carried classifiers.
build_zoo() {
  local zoo=$WORK/zoo py=$1 s q
  rm -rf "$zoo" && mkdir -p "$zoo/text" "$zoo/replicas"
  cp -r "$CARRY/zoo/." "$zoo/"
  for s in tiny small base; do
    for q in f32 q8_0 q4_0; do
      GGUF_PY=$WORK/llama-src/gguf-py "$py" models/text/export_gguf.py --ckpt "models/text/weights/$s.pt" \
        --tok "$zoo/text/pycode-tokenizer.model" --out "$zoo/text/pycode-$s-$q.gguf" --type "$q" >/dev/null
    done
    "$py" models/text/export_torchscript.py --ckpt "models/text/weights/$s.pt" \
      --out "$zoo/text/pycode-$s.ts.pt" >/dev/null
  done
  for r in "gpt2-124m f16" "qwen2-0.5b q8_0"; do
    set -- $r
    LLAMA_SRC=$WORK/llama-src "$py" models/replicas/make_replica.py --shape "$1" --type "$2" \
      --out "$zoo/replicas/$1-replica-$2.gguf" --info "$zoo/replicas/$1-replica-$2.json" >/dev/null
  done
}

build() {
  [[ -x $CARRY/bin/wattserve ]] || die "no $CARRY/bin/wattserve: run 'scripts/gpu_check.sh pack' here and carry $CARRY"
  local t0=$SECONDS
  rm -rf "$WORK" && mkdir -p "$WORK/bin" "$WORK/logs"
  trap 'keep_logs build' EXIT
  log "unpacking llama.cpp"
  mkdir -p "$WORK/llama-src" && tar -C "$WORK/llama-src" -xJf "$CARRY/llama-src.tar.xz"
  local py=$PYTHON cuda_args=() llama_args=(--tools --native --jobs "$JOBS") torch_prefix=""
  [[ ${LLAMA_FA:-0} == 1 ]] || llama_args+=(--no-fa)
  if ((DRY)); then
    py=/usr/bin/python3
  else
    llama_args+=(--cuda)
  fi
  check_python "$py"
  if ((!DRY)); then
    nvidia-smi -L || die "nvidia-smi finds no GPU"
    discover | tee "$WORK/discover.txt"
    local k v NVCC TORCH_PREFIX LIB_cudart LIB_cublas LIB_cublasLt LIB_cuda_driver CUBLAS_INCLUDE
    while IFS='=' read -r k v; do printf -v "$k" '%s' "$v"; done <"$WORK/discover.txt"
    torch_prefix=$TORCH_PREFIX
    cuda_args=("-DCUDA_cudart_LIBRARY=$LIB_cudart" "-DCUDA_cublas_LIBRARY=$LIB_cublas"
      "-DCUDA_cublasLt_LIBRARY=$LIB_cublasLt" "-DCUDA_cuda_driver_LIBRARY=$LIB_cuda_driver")
    export CUDA_EXTRA_INCLUDE=$CUBLAS_INCLUDE PATH=$(dirname "$NVCC"):$PATH
    export EXTRA_CMAKE_ARGS="${cuda_args[*]}"
  fi
  log "the zoo (in the background) and llama.cpp ($([[ $DRY == 1 ]] && echo CPU || echo CUDA sm_90))"
  build_zoo "$py" >"$WORK/logs/zoo.log" 2>&1 &
  local zoo_pid=$!
  bash scripts/build_llama.sh "$WORK/llama-src" "$ROOT/$WORK/llama" "${llama_args[@]}" \
    >"$WORK/logs/llama.log" 2>&1 || {
    cp "$WORK"/llama.build*.log "$WORK/logs/" 2>/dev/null || true
    tail -n 30 "$WORK/logs/llama.log" >&2; die "llama.cpp build failed"; }
  cp "$WORK"/llama.build*.log "$WORK/logs/" 2>/dev/null || true
  log "llama.cpp built ($((SECONDS - t0)) s); the llama and torch plug-ins"
  local plugin_args=(-DWATTSERVE_PLUGINS_ONLY=ON -DWATTSERVE_WITH_ONNX=OFF -DCMAKE_BUILD_TYPE=Release
    "-DWATTSERVE_LLAMA_DIR=$ROOT/$WORK/llama" "-DWATTSERVE_JSON_INCLUDE=$ROOT/$CARRY/include")
  if ((DRY)); then
    plugin_args+=(-DWATTSERVE_CUDA=OFF)
  else
    plugin_args+=(-DWATTSERVE_CUDA=ON "-DCMAKE_PREFIX_PATH=$torch_prefix" "${cuda_args[@]}"
      "-DCMAKE_CUDA_ARCHITECTURES=90")
  fi
  cmake -S . -B "$WORK/plugins" -G Ninja "${plugin_args[@]}" >"$WORK/logs/plugins.log" 2>&1 \
    && cmake --build "$WORK/plugins" -j"$JOBS" >>"$WORK/logs/plugins.log" 2>&1 \
    || { tail -n 30 "$WORK/logs/plugins.log" >&2; die "plug-in build failed"; }
  cp "$CARRY/bin/wattserve" "$CARRY/bin/libwattserve_spm.so" "$WORK/bin/"
  cp "$WORK"/plugins/src/cli/libwattserve_engine_*.so "$WORK/bin/"
  cp "$WORK/llama/bin/llama-bench" "$WORK/bin/"
  wait "$zoo_pid" || { tail -n 30 "$WORK/logs/zoo.log" >&2; die "zoo build failed"; }
  env_setup
  wattserve engines | tee "$WORK/engines.txt" || true  # exits 1 when a plug-in does not load
  wattserve engines --json >"$WORK/engines.json" || true
  if ((!DRY)); then
    for e in llama torch; do
      "$py" -c 'import json, sys; sys.exit(0 if any(x["name"] == sys.argv[2] and "cuda" in x.get("providers", []) for x in json.load(open(sys.argv[1]))) else 1)' \
        "$WORK/engines.json" "$e" || die "the $e engine does not offer cuda (wattserve engines above)"
    done
  fi
  cp "$WORK/engines.txt" "$WORK/logs/"
  echo "built in $((SECONDS - t0)) s, dry=$DRY" | tee "$WORK/logs/build.txt" >"$WORK/build.ok"
  log "built in $((SECONDS - t0)) s"
}

env_setup() {
  export WATTSERVE_ZOO=$ROOT/$WORK/zoo WATTSERVE_ENGINE_DIR=$ROOT/$WORK/bin
  export LD_LIBRARY_PATH=$ROOT/$CARRY/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  PATH=$ROOT/$WORK/bin:$PATH
}

# --- run (GPU machine) ------------------------------------------------------------------------
# Each step may fail without losing the others: its failure is logged and listed in
# failures.txt, the results so far always come back ($OUT/gpu-results.tar.gz), and the exit code
# is 1 when any step failed.
# A step that would start after BUDGET_S seconds (default 420) is skipped, so that the call ends
# inside the device tool's limit with what it has; results are packed after every step.
step() {  # NAME CMD...
  local name=$1
  shift
  if ((SECONDS - RUN_T0 > ${BUDGET_S:-420})); then
    log "$name skipped: past the ${BUDGET_S:-420} s budget"
    echo "$name (skipped: time)" >>"$WORK/results/failures.txt"
    return
  fi
  log "$name"
  if ! "$@" 2>>"$WORK/logs/$name.log"; then
    log "$name FAILED (logs/$name.log)"
    echo "$name" >>"$WORK/results/failures.txt"
  fi
  finish_run
}

finish_run() {
  mkdir -p "$OUT"
  cp -r "$WORK/logs" "$WORK/results/" 2>/dev/null || true
  tar -C "$WORK" -czf "$OUT/gpu-results.tar.gz" results 2>/dev/null || true
  [[ -f $WORK/results/summary.md ]] && cp "$WORK/results/summary.md" "$OUT/gpu-summary.md"
  [[ -f $WORK/results/machine.txt ]] && cp "$WORK/results/machine.txt" "$OUT/machine.txt"
  [[ -f $WORK/results/failures.txt ]] && cp "$WORK/results/failures.txt" "$OUT/failures.txt"
  true
}

PROMPTS=($'import os\n\n\ndef ' $'class Parser:\n    def __init__(self, ' $'for i in range(')
greedy() {  # pycode sizes x PROMPTS, f32, 64 tokens: llama on GPU, torch on GPU, llama on cpu
  local s k e rc=0
  for s in tiny small base; do
    for k in "${!PROMPTS[@]}"; do
      for e in "llama $GPU" "torch $GPU" "llama cpu"; do
        set -- $e
        local f32=()
        [[ $1 == llama ]] && f32=(--quant f32 --kv-cache f32)
        wattserve run --model "pycode-$s" --engine "$1" --provider "$2" "${f32[@]}" \
          --prompt "${PROMPTS[$k]}" --temperature 0 --ignore-eos --max-tokens 64 \
          --threads "$THREADS" --json |
          "$PY_RUN" -c 'import json,sys; j=json.load(sys.stdin); print(json.dumps({"model": sys.argv[1], "prompt": int(sys.argv[2]), "engine": sys.argv[3], "provider": sys.argv[4], "token_ids": j["output"]["token_ids"]}))' \
            "pycode-$s" "$k" "$1" "$2" >>"$RES/greedy.jsonl" || rc=1
      done
    done
  done
  return $rc
}

wrapper() {  # wattserve run against llama-bench, alternating pairs, same GGUF/context/threads
  local ngl=99 j file m q i rc=0
  ((DRY)) && ngl=0
  for m in pycode-base:f32 qwen2-0.5b-replica:; do
    q=${m#*:} m=${m%%:*}
    for ((i = 0; i < PAIRS; i++)); do
      j=$(wattserve run --model "$m" --engine llama --provider "$GPU" ${q:+--quant "$q"} --kv-cache f16 \
        --prompt "${PROMPTS[1]}" --temperature 0 --ignore-eos --max-tokens 128 \
        --context 144 --threads "$THREADS" --warmup 1 --json) || { rc=1; continue; }
      file=$(echo "$j" | "$PY_RUN" -c 'import json,sys; print(json.load(sys.stdin)["config"]["file"])')
      echo "$j" | "$PY_RUN" -c 'import json,sys; j=json.load(sys.stdin); print(json.dumps({"model": sys.argv[1], "side": "wattserve", "tokens_per_s": j["metrics"]["decode_tokens_per_s"]}))' "$m" >>"$RES/wrapper.jsonl"
      llama-bench -m "$file" -ngl "$ngl" -t "$THREADS" -p 0 -n 128 -d 16 -r 1 -o json |
        "$PY_RUN" -c 'import json,sys; print(json.dumps({"model": sys.argv[1], "side": "llama-bench", "tokens_per_s": json.load(sys.stdin)[-1]["avg_ts"]}))' "$m" >>"$RES/wrapper.jsonl" || rc=1
    done
  done
  return $rc
}

machine() {
  echo "commit $(cat "$CARRY/commit")  dry=$DRY  $(date -u +%FT%TZ)"
  ((DRY)) || nvidia-smi --query-gpu=name,driver_version,memory.total,power.limit,clocks.max.sm --format=csv
  lscpu | grep -E '^(Model name|CPU\(s\)|Socket)' || true
  cat "$WORK/engines.txt"
  wattserve sensors 2>&1 || true
}

run() {
  [[ -f $WORK/build.ok ]] || die "nothing built in $WORK: run 'scripts/gpu_check.sh build' first (the machine keeps it only while warm)"
  env_setup
  local t0=$SECONDS
  RUN_T0=$SECONDS RES=$WORK/results GPU=cuda THREADS=16 PAIRS=5 PY_RUN=$PYTHON
  ((DRY)) && { GPU=cpu; THREADS=2; PAIRS=2; PY_RUN=/usr/bin/python3; }
  mkdir -p "$OUT" || die "cannot write to OUT=$OUT"  # before the last results are removed
  rm -rf "$RES" && mkdir -p "$RES" "$WORK/logs"
  trap finish_run EXIT
  trap 'exit 143' TERM INT  # a timeout's SIGTERM still packs the results (the EXIT trap)
  machine >"$RES/machine.txt"
  cat "$RES/machine.txt"
  step greedy greedy

  local study=examples/studies/engines-gpu.toml sets=()
  if ((DRY)); then
    sed '/provider = "cuda"/d; s/^repeats = 3/repeats = 1/' "$study" >"$WORK/engines-gpu.toml"
    study=$WORK/engines-gpu.toml sets=(--set model.threads=2)
  fi
  step engines-study wattserve bench "$study" "${sets[@]}" --out "$RES/engines-gpu" --quiet
  step wrapper wrapper
  sets=()
  ((DRY)) && sets=(--set model.provider=cpu --set model.threads=2 --set model.model=pycode-small
    --set model.parallel=8 --set load.requests=16 --set load.output_tokens=16 --set design.repeats=1)
  step serve-study wattserve bench examples/studies/serve-gpu.toml "${sets[@]}" --out "$RES/serve-gpu" --quiet
  "$PY_RUN" scripts/gpu_summary.py "$RES" --dry "$DRY" >"$RES/summary.md" 2>>"$WORK/logs/summary.log" \
    || echo summary >>"$RES/failures.txt"
  cat "$RES/summary.md"
  log "done in $((SECONDS - t0)) s: $OUT"
  if [[ -f $RES/failures.txt ]]; then
    log "failed steps: $(tr '\n' ' ' <"$RES/failures.txt")"
    return 1
  fi
}

case $MODE in
  pack) pack ;;
  build) build ;;
  run) run ;;
  rehearse)
    pack
    DRY=1
    build
    run
    ;;
esac
