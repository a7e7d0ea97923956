#!/usr/bin/env bash
# Wall-time overhead of `wattserve measure -- true` against running `true` directly.
#   bash perf/measure_overhead.sh [WATTSERVE_BINARY] [RUNS]
set -euo pipefail
WS=${1:-build/src/cli/wattserve}
N=${2:-50}
TRUE=$(command -v true)
ms_per_run() {  # runs "$@" N times, prints the mean wall time in ms
  local t0 t1
  t0=$(date +%s%N)
  for ((i = 0; i < N; i++)); do "$@" >/dev/null 2>&1; done
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "%.3f", (b - a) / n / 1e6 }'
}
direct=$(ms_per_run "$TRUE")
measured=$(ms_per_run "$WS" measure -q -- "$TRUE")
measured_np=$(ms_per_run "$WS" measure -q --no-process -- "$TRUE")
echo "runs=$N  true: ${direct} ms  wattserve measure -- true: ${measured} ms" \
     " (--no-process: ${measured_np} ms)  overhead: $(awk -v a="$measured" -v b="$direct" 'BEGIN { printf "%.3f", a - b }') ms"
