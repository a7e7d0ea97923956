#!/usr/bin/env bash
# Server benchmark: `wattserve serve` against llama.cpp's own llama-server, built from the same
# llama.cpp source tree, on the same GGUF with the same threads, slots and context.
#
#   bash perf/serve.sh [--model ZOO_NAME] [--quant Q] [--threads N] [--tokens N]
#                       [--context N] [--slots N] [--requests-per-stream N] [--llama-server PATH]
#
# For 1 and 8 concurrent streams, each server runs in turn under `wattserve measure` (a fresh
# process per cell, ours first), gets one warm-up request, then closed-loop load from
# perf/serve_load.py: streaming /v1/completions, temperature 0, ignore_eos, --tokens output
# tokens, a distinct prompt per request. Reported per cell: output tokens/s (all output tokens /
# wall time of the load), TTFT p50/p99, and energy per output token: ours from the responses
# (sum of usage.energy.joules / tokens), both from `wattserve measure` around the server
# (the server process tree's attributed joules over its whole life / tokens, warm-up included).
# Ratios are ours / llama-server's from the same run. Raw: out/perf/serve.jsonl.
# llama-server is $LLAMA_SERVER, --llama-server, or built once into
# $WATTSERVE_DEPS/llama.cpp/bench-build (a few minutes). Needs the build and the zoo.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=qwen2-0.5b-replica QUANT="" THREADS=2 TOKENS=64 CONTEXT=512 SLOTS=8 PER_STREAM=3
LS=${LLAMA_SERVER:-}
while (($#)); do
  case "$1" in
    --model) MODEL=$2; shift 2 ;;
    --quant) QUANT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --context) CONTEXT=$2; shift 2 ;;
    --slots) SLOTS=$2; shift 2 ;;
    --requests-per-stream) PER_STREAM=$2; shift 2 ;;
    --llama-server) LS=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "serve.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
WS=build/src/cli/wattserve
DEPS=${WATTSERVE_DEPS:-/opt/wattserve-deps}
PY=/usr/bin/python3
OUT=out/perf
mkdir -p "$OUT"
RAW=$OUT/serve.jsonl
: >"$RAW.tmp"
[[ -x $WS ]] || { echo "build first: bash scripts/build.sh" >&2; exit 1; }
source perf/llama_tools.sh
[[ -n $LS ]] || LS=$(llama_tool llama-server)
ZOO=${WATTSERVE_ZOO:-zoo}
GGUF=$($PY - "$ZOO" "$MODEL" "$QUANT" <<'PYEOF'
import json, sys
zoo, model, quant = sys.argv[1:]
for e in json.load(open(f"{zoo}/manifest.json"))["entries"]:
    if e["model"] == model and e["format"].startswith("gguf") and (not quant or e["format"] == f"gguf-{quant}"):
        print(f'{zoo}/{e["file"]}')
        break
PYEOF
)
[[ -f $GGUF ]] || { echo "serve.sh: no GGUF for $MODEL in the zoo (scripts/build_zoo.sh)" >&2; exit 1; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {  # PID: until GET /health is 200 (llama-server: model loaded) or the server died
  for _ in $(seq 600); do
    kill -0 "$1" 2>/dev/null || { echo "serve.sh: the server exited" >&2; return 1; }
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$URL/health") == 200 ]] && return 0
    sleep 0.2
  done
  echo "serve.sh: the server did not get ready" >&2; return 1
}

cell() {  # SERVER STREAMS
  local server=$1 streams=$2 json=$OUT/serve-$1-$2.measure.json cmd
  PORT=$(free_port)  # a fresh port: the last server's may still be in TIME_WAIT
  URL=http://127.0.0.1:$PORT
  if [[ $server == wattserve ]]; then
    cmd=("$WS" serve --model "$GGUF" --engine llama --threads "$THREADS" --context "$CONTEXT"
         --parallel "$SLOTS" --kv-cache f16 --port "$PORT" --max-queue 256 --interval 1000)
  else
    cmd=("$LS" -m "$GGUF" -t "$THREADS" -tb "$THREADS" -c $((CONTEXT * SLOTS)) -np "$SLOTS"
         --host 127.0.0.1 --port "$PORT" -ngl 0 --no-webui)
  fi
  "$WS" measure -q --interval 1000 --json "$json" -- "${cmd[@]}" >"$OUT/serve-$server.log" 2>&1 &
  local mpid=$!
  wait_ready "$mpid"
  local name
  name=$(curl -s "$URL/v1/models" | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
  $PY perf/serve_load.py "$URL" "$name" --streams 1 --requests 1 --max-tokens "$TOKENS" >/dev/null
  local load
  load=$($PY perf/serve_load.py "$URL" "$name" --streams "$streams" \
    --requests $((streams * PER_STREAM)) --max-tokens "$TOKENS")
  kill -TERM "$mpid"
  wait "$mpid" || true
  $PY - "$server" "$load" "$json" "$TOKENS" >>"$RAW.tmp" <<'PYEOF'
import json, sys
server, load, mjson, tokens = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])
m = json.load(open(mjson))
served = load["output_tokens"] + tokens  # the load plus the warm-up request
load.update(server=server, measure_joules=m["energy"]["joules"], source=m["energy"]["source"],
            process_joules=m["process"]["joules"], served_tokens=served,
            process_j_per_token=m["process"]["joules"] / served)
if load.get("response_joules") is not None:
    load["response_j_per_token"] = load["response_joules"] / load["output_tokens"]
print(json.dumps(load))
PYEOF
  echo "  $server, $streams stream(s): $(tail -1 "$RAW.tmp" | $PY -c 'import json,sys; d=json.load(sys.stdin); print("%.1f tok/s, TTFT p50 %.0f ms" % (d["tokens_per_s"], d["ttft_p50_s"]*1e3))')" >&2
}

echo "model $MODEL ($GGUF), $THREADS threads, $SLOTS slots x $CONTEXT tokens, $TOKENS output tokens" >&2
for streams in 1 8; do
  cell wattserve "$streams"
  cell llama-server "$streams"
done
mv "$RAW.tmp" "$RAW"
$PY - "$RAW" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["server"], r["streams"]): r for r in rows}
print("| streams | server | output tok/s | TTFT p50 (ms) | TTFT p99 (ms) | J/token (responses) | J/token (measure, process) |")
print("|---:|---|---:|---:|---:|---:|---:|")
for s in (1, 8):
    for srv in ("wattserve", "llama-server"):
        r = by[(srv, s)]
        resp = f'{r["response_j_per_token"]:.4f}' if "response_j_per_token" in r else "-"
        print(f'| {s} | {srv} | {r["tokens_per_s"]:.1f} | {r["ttft_p50_s"]*1e3:.0f} | {r["ttft_p99_s"]*1e3:.0f} | {resp} | {r["process_j_per_token"]:.4f} |')
for s in (1, 8):
    a, b = by[("wattserve", s)], by[("llama-server", s)]
    print(f'{s} stream(s): tokens/s ratio {a["tokens_per_s"]/b["tokens_per_s"]:.3f}, '
          f'TTFT p50 ratio {a["ttft_p50_s"]/b["ttft_p50_s"]:.3f}, TTFT p99 ratio '
          f'{a["ttft_p99_s"]/b["ttft_p99_s"]:.3f} (ours / llama-server); energy source: {a["source"]}')
PYEOF
