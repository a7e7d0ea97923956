#!/usr/bin/env bash
# Soak of `wattserve serve` (not in CI): mixed normal and abusive load on pycode-tiny for a while.
#
#   bash perf/serve_soak.sh [--minutes 30] [--out DIR] [--threads N] [WATTSERVE_BINARY]
#
# Closed-loop streamed and non-streamed completions and KServe text infers, with slow-header
# clients, idle keep-alive sockets, unterminated chunked bodies, header floods, oversized
# Content-Length, streams abandoned mid-way and malformed JSON mixed in (perf/serve_soak.py).
# Every 10 s a row of DIR/soak.csv (server RSS, /health latency, answers, 5xx); at the end
# DIR/summary.json, printed. Exits 1 on any 5xx, RSS growth > 100 MB after warm-up, /health p99
# > 100 ms or energy books off by > 1% (docs/serve.md, "Abuse tests and soak"); 2 when the server
# did not start or died. Default DIR: out/soak; binary: build/src/cli/wattserve.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=30 OUT=out/soak THREADS=1 WS=build/src/cli/wattserve
while (($#)); do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "serve_soak.sh: unknown option $1" >&2; exit 2 ;;
    *) WS=$1; shift ;;
  esac
done
[[ -x $WS ]] || { echo "serve_soak.sh: no binary at $WS (build first: bash scripts/build.sh)" >&2; exit 2; }
ZOO=${WATTSERVE_ZOO:-zoo}
[[ -f $ZOO/manifest.json ]] || { echo "serve_soak.sh: no model zoo at $ZOO (scripts/build_zoo.sh)" >&2; exit 2; }
mkdir -p "$OUT"
PYPID=""
cleanup() {
  [[ -n $PYPID ]] && kill -TERM "$PYPID" 2>/dev/null && sleep 0.5
  if [[ -f $OUT/pids ]]; then
    while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$OUT/pids"
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT
/usr/bin/python3 perf/serve_soak.py "$WS" --minutes "$MINUTES" --out "$OUT" --zoo "$ZOO" --threads "$THREADS" &
PYPID=$!
rc=0
wait "$PYPID" || rc=$?
PYPID=""
exit "$rc"
