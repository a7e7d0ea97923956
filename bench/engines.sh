#!/usr/bin/env bash
# Engine benchmark: decode throughput and energy per token of every engine x zoo text model x
# quantisation through `wattserve run`, and the wrapper's cost against the engines' own tools.
#
#   bash bench/engines.sh [--threads N] [--tokens N] [--repeats N] [--llama-bench PATH]
#
# Each cell: `wattserve run --temperature 0 --ignore-eos --max-tokens N` (fixed prompt), run
# --repeats times; the table shows medians of decode tokens/s ((N-1)/(total - TTFT)) and of
# J/token (meter energy of the run / N, with its source). Wrapper cost, one run each:
#   llama: our decode tokens/s / llama-bench's tg (-p 0 -n N, same GGUF and threads), where
#          llama-bench is $LLAMA_BENCH, --llama-bench, or built once into
#          $WATTSERVE_DEPS/llama.cpp/bench-build (a few minutes);
#   onnx:  our decode tokens/s / bench/baselines/ort_bare_decode's (a bare ONNX Runtime session
#          greedy-decoding the same prompt ids, same threads).
# Raw results: out/bench/engines.jsonl. Needs the build (scripts/build.sh) and the zoo.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=2 TOKENS=128 REPEATS=3 LB=${LLAMA_BENCH:-}
while (($#)); do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --llama-bench) LB=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "engines.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
WS=build/src/cli/wattserve
BARE=build/bench/ort_bare_decode
DEPS=${WATTSERVE_DEPS:-/opt/wattserve-deps}
ZOO=${WATTSERVE_ZOO:-zoo}
PY=/usr/bin/python3
OUT=out/bench
mkdir -p "$OUT"
RAW=$OUT/engines.jsonl
: >"$RAW.tmp"
[[ -x $WS && -x $BARE ]] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }
PROMPT=$'class Parser:\n    def __init__(self, '

if [[ -z $LB ]]; then
  LB=$DEPS/llama.cpp/bench-build/bin/llama-bench
  if [[ ! -x $LB ]]; then
    echo "building llama-bench into $DEPS/llama.cpp/bench-build (once)" >&2
    cmake -S "$DEPS/llama.cpp/src" -B "$DEPS/llama.cpp/bench-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
      -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
      -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF >/dev/null
    cmake --build "$DEPS/llama.cpp/bench-build" --target llama-bench -j"$(nproc)" >/dev/null
  fi
fi

cell() {  # MODEL ENGINE QUANT: REPEATS runs -> one JSON line each in $RAW.tmp
  local q=() i
  [[ -n $3 ]] && q=(--quant "$3")
  for ((i = 0; i < REPEATS; i++)); do
    "$WS" run --model "$1" --engine "$2" "${q[@]}" --prompt "$PROMPT" --temperature 0 --ignore-eos \
      --max-tokens "$TOKENS" --threads "$THREADS" --json | "$PY" -c \
      'import json,sys; j=json.load(sys.stdin); j["quant"]=sys.argv[1]; print(json.dumps(j))' "${3:--}" >>"$RAW.tmp"
  done
}
for s in tiny small base; do
  for q in f32 q8_0 q4_0; do cell "pycode-$s" llama "$q"; done
  cell "pycode-$s" onnx ""
  cell "pycode-$s" torch ""
done
cell gpt2-124m-replica llama ""
cell qwen2-0.5b-replica llama ""
mv "$RAW.tmp" "$RAW"

echo "## Decode throughput and energy per token (threads $THREADS, $TOKENS tokens, median of $REPEATS)"
"$PY" - "$RAW" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    j = json.loads(line)
    rows.setdefault((j["model"], j["engine"], j.get("format", j["quant"])), []).append(j)
print("| model | engine | format | decode tokens/s | TTFT ms | J/token | energy source |")
print("|---|---|---|---:|---:|---:|---|")
for (m, e, f), js in rows.items():
    med = lambda k: statistics.median(x[k] for x in js)
    print(f"| {m} | {e} | {f} | {med('decode_tokens_per_s'):.1f} | {med('ttft_s') * 1e3:.2f} | "
          f"{med('joules_per_token'):.4f} | {js[0]['energy']['source']} |")
PY

echo; echo "## Wrapper cost (one run each, threads $THREADS, $TOKENS tokens)"
echo "| comparison | model | ours tokens/s | baseline tokens/s | ratio |"
echo "|---|---|---:|---:|---:|"
for m in pycode-small:f32 pycode-base:q8_0 gpt2-124m-replica: qwen2-0.5b-replica:; do
  name=${m%%:*} quant=${m#*:}
  q=(); [[ -n $quant ]] && q=(--quant "$quant")
  ours=$("$WS" run --model "$name" --engine llama "${q[@]}" --prompt "$PROMPT" --temperature 0 --ignore-eos \
    --max-tokens "$TOKENS" --threads "$THREADS" --json)
  file=$(echo "$ours" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["file"])')
  ours_tps=$(echo "$ours" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["decode_tokens_per_s"])')
  lb_tps=$("$LB" -m "$file" -t "$THREADS" -p 0 -n "$TOKENS" -r 1 -o json 2>/dev/null | "$PY" -c \
    'import json,sys; print([r for r in json.load(sys.stdin) if r["n_gen"] > 0][0]["avg_ts"])')
  "$PY" -c "import sys; o,b=float(sys.argv[1]),float(sys.argv[2]); print(f'| wattserve llama / llama-bench tg$TOKENS | $name ${quant:-} | {o:.1f} | {b:.1f} | {o/b:.3f} |')" "$ours_tps" "$lb_tps"
done
for s in tiny small base; do
  ours=$("$WS" run --model "pycode-$s" --engine onnx --prompt "$PROMPT" --temperature 0 --ignore-eos \
    --max-tokens "$TOKENS" --threads "$THREADS" --json)
  ids=$(echo "$ours" | "$PY" -c 'import json,sys; print(",".join(map(str, json.load(sys.stdin)["prompt_token_ids"])))')
  bare=$("$BARE" "$ZOO/text/pycode-$s.onnx" "$THREADS" "$TOKENS" "$ids")
  "$PY" -c "
import json, sys
o, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
same = 'same tokens' if o['token_ids'] == b['token_ids'] else 'DIFFERENT tokens'
r = o['decode_tokens_per_s'] / b['decode_tokens_per_s']
print(f\"| wattserve onnx / bare ORT session | pycode-$s ({same}) | {o['decode_tokens_per_s']:.1f} | {b['decode_tokens_per_s']:.1f} | {r:.3f} |\")" "$ours" "$bare"
done
