#!/usr/bin/env bash
# Sets everything up, builds, and shows what the meter does on this machine:
# the sensors it finds, the estimator, and a measured CPU workload with its
# emissions, JSON summary, CodeCarbon CSV and power timeline (written to out/demo/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh >/dev/null
WS=build/src/cli/wattserve
OUT=out/demo
mkdir -p "$OUT"

echo; echo "== wattserve sensors: what can measure energy here"
"$WS" sensors

echo; echo "== wattserve measure: 1 s idle baseline, then a 3 s busy loop on every core"
"$WS" measure --idle 1 --json "$OUT/summary.json" --csv "$OUT/emissions.csv" \
  --timeline "$OUT/timeline.csv" -- \
  sh -c 'for i in $(seq "$(nproc)"); do timeout 3 sh -c "while :; do :; done" & done; wait'

echo; echo "== wattserve estimate: the estimator's model for a CPU you may not have"
"$WS" estimate --cpu-model "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz" --load 0.5

echo; echo "== wattserve ocr: PP-OCRv4 text detection + recognition on images with known text"
bash scripts/build_zoo.sh --check >/dev/null 2>&1 || bash scripts/build_zoo.sh >/dev/null
bash scripts/build_zoo.sh --ocr-eval "$WS"

echo; echo "Files: $OUT/summary.json $OUT/emissions.csv $OUT/timeline.csv"
