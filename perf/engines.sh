#!/usr/bin/env bash
# Engine benchmark: decode throughput and energy per token of every engine x zoo text model x
# quantisation through `wattserve run`, and the wrapper's cost against the engines' own tools.
#
#   bash perf/engines.sh [--threads N] [--tokens N] [--repeats N] [--llama-bench PATH]
#
# Each cell: `wattserve run --temperature 0 --ignore-eos --max-tokens N --warmup 1 --interval 1000`
# (the sampling interval these figures were first taken at; fixed
# prompt; llama with --kv-cache f16, llama.cpp's and llama-bench's default), run --repeats times; the table shows medians of decode tokens/s ((N-1)/(total -
# TTFT)) and of J/token (meter energy of the run / N, with its source). Wrapper cost: ours and
# the baseline alternate max(--repeats, 7) times (A B A B ..., so that drifting machine load hits
# both);
# the ratio is of the medians:
#   llama: our decode tokens/s / llama-bench's tg (-p 0 -n N -d 16 -r 1: same GGUF, threads and
#          context size; it
#          warms up itself), where llama-bench is $LLAMA_BENCH, --llama-bench, or built once
#          into $WATTSERVE_DEPS/llama.cpp/bench-build (a few minutes);
#   onnx:  our decode tokens/s / perf/baselines/ort_bare_decode's (a bare ONNX Runtime session
#          greedy-decoding the same prompt ids, same threads, after one warm-up pass).
# Raw results: out/perf/engines.jsonl. Needs the build (scripts/build.sh) and the zoo.
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
BARE=build/perf/ort_bare_decode
DEPS=${WATTSERVE_DEPS:-/opt/wattserve-deps}
ZOO=${WATTSERVE_ZOO:-zoo}
PY=/usr/bin/python3
OUT=out/perf
mkdir -p "$OUT"
RAW=$OUT/engines.jsonl
: >"$RAW.tmp"
[[ -x $WS && -x $BARE ]] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }
PROMPT=$'class Parser:\n    def __init__(self, '

source perf/llama_tools.sh
[[ -n $LB ]] || LB=$(llama_tool llama-bench)

cell() {  # MODEL ENGINE QUANT: REPEATS runs -> one JSON line each in $RAW.tmp
  local q=() i
  [[ -n $3 ]] && q=(--quant "$3")
  [[ $2 == llama ]] && q+=(--kv-cache f16)  # llama.cpp's default, as llama-bench uses
  for ((i = 0; i < REPEATS; i++)); do
    "$WS" run --model "$1" --engine "$2" "${q[@]}" --prompt "$PROMPT" --temperature 0 --ignore-eos \
      --max-tokens "$TOKENS" --threads "$THREADS" --warmup 1 --interval 1000 --json | "$PY" -c \
      'import json,sys; j=json.load(sys.stdin); j["quant"]=sys.argv[1]; print(json.dumps(j))' "${3:--}" >>"$RAW.tmp"
  done
}
if [[ ${WRAPPER_ONLY:-0} != 1 ]]; then  # WRAPPER_ONLY=1: only the wrapper-cost section
for s in tiny small base; do
  for q in f32 q8_0 q4_0; do cell "pycode-$s" llama "$q"; done
  cell "pycode-$s" onnx ""
  cell "pycode-$s" torch ""
done
cell gpt2-124m-replica llama ""
cell qwen2-0.5b-replica llama ""
mv "$RAW.tmp" "$RAW"
fi

if [[ ${WRAPPER_ONLY:-0} != 1 ]]; then
echo "## Decode throughput and energy per token (threads $THREADS, $TOKENS tokens, median of $REPEATS)"
"$PY" - "$RAW" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    j = json.loads(line)
    c = j["config"]  # a run record (docs/record.md)
    rows.setdefault((c["model"], c["engine"], c.get("format") or j["quant"]), []).append(j)
print("| model | engine | format | decode tokens/s | TTFT ms | J/token | energy source |")
print("|---|---|---|---:|---:|---:|---|")
for (m, e, f), js in rows.items():
    med = lambda b, k: statistics.median(x[b][k] for x in js)
    print(f"| {m} | {e} | {f} | {med('metrics', 'decode_tokens_per_s'):.1f} | "
          f"{med('timings', 'ttft_s') * 1e3:.2f} | {med('metrics', 'joules_per_output_token'):.4f} | "
          f"{js[0]['energy']['source']} |")
PY
fi

PAIRS=$((REPEATS > 7 ? REPEATS : 7))  # run-to-run noise on a shared VM is ~10%: at least 7 pairs
echo; echo "## Wrapper cost (threads $THREADS, $TOKENS tokens, medians of $PAIRS alternating runs)"
echo "| comparison | model | ours tokens/s | baseline tokens/s | ratio |"
echo "|---|---|---:|---:|---:|"
# The same context on both sides, since the KV cache size sets the attention work per token:
# ours N + 16 (the prompt's 12 tokens + N + 4); llama-bench's n_depth + n_gen = 16 + N, its
# tokens generated after a 16-token context as ours follow the 12-token prompt.
ours_run() {  # MODEL ENGINE [QUANT] -> JSON
  local q=(); [[ -n ${3:-} ]] && q=(--quant "$3")
  [[ $2 == llama ]] && q+=(--kv-cache f16)
  "$WS" run --model "$1" --engine "$2" "${q[@]}" --prompt "$PROMPT" --temperature 0 --ignore-eos \
    --max-tokens "$TOKENS" --threads "$THREADS" --warmup 1 --interval 1000 --context $((TOKENS + 16)) --json
}
get() { "$PY" -c "import json,sys; print(json.load(sys.stdin)$1)"; }
ratio_row() {  # LABEL MODEL OURS... -- BASE...
  "$PY" -c "
import statistics, sys
a = sys.argv[3:]; k = a.index('--'); o = [float(x) for x in a[:k]]; b = [float(x) for x in a[k + 1:]]
mo, mb = statistics.median(o), statistics.median(b)
print(f'| {sys.argv[1]} | {sys.argv[2]} | {mo:.1f} | {mb:.1f} | {mo / mb:.3f} |')" "$@"
}
for m in pycode-small:f32 pycode-base:q8_0 gpt2-124m-replica: qwen2-0.5b-replica:; do
  name=${m%%:*} quant=${m#*:} ours=() base=()
  for ((i = 0; i < PAIRS; i++)); do
    j=$(ours_run "$name" llama "$quant")
    file=$(echo "$j" | get '["config"]["file"]')
    ours+=("$(echo "$j" | get '["metrics"]["decode_tokens_per_s"]')")
    base+=("$("$LB" -m "$file" -t "$THREADS" -p 0 -n "$TOKENS" -d 16 -r 1 -o json 2>/dev/null | get '[-1]["avg_ts"]')")
  done
  ratio_row "wattserve llama / llama-bench tg$TOKENS @ d16" "$name ${quant:-}" "${ours[@]}" -- "${base[@]}"
done
for s in tiny small base; do
  ours=() base=() same=yes
  for ((i = 0; i < PAIRS; i++)); do
    j=$(ours_run "pycode-$s" onnx)
    ids=$(echo "$j" | get '["output"]["prompt_token_ids"]' | tr -d '[] ')
    b=$("$BARE" "$ZOO/text/pycode-$s.onnx" "$THREADS" "$TOKENS" "$ids")
    [[ "$(echo "$j" | get '["output"]["token_ids"]')" == "$(echo "$b" | get '["token_ids"]')" ]] || same=no
    ours+=("$(echo "$j" | get '["metrics"]["decode_tokens_per_s"]')")
    base+=("$(echo "$b" | get '["decode_tokens_per_s"]')")
  done
  ratio_row "wattserve onnx / bare ORT session" "pycode-$s (same tokens: $same)" "${ours[@]}" -- "${base[@]}"
done
