#!/usr/bin/env bash
# Checks wattserve's NVML figures against a real NVIDIA GPU (needs the driver, python3 with
# pynvml and PyTorch with CUDA): `wattserve measure` runs a 12 s bf16 matrix-product load (with a
# 2 s gap) at --interval 100 and 20 ms; inside the command nvml_bracket.py reads GPU 0's energy
# counter before and after and integrates the instant power sampled every 10 ms. Prints, per
# interval, the largest power any timeline interval shows and wattserve's GPU energy over the
# bracket's exact wall-clock window against both references. Writes into OUT (default out/nvml).
#
#   bash perf/nvml/check.sh [WATTSERVE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
WS=${1:-build/src/cli/wattserve}
D=perf/nvml
R=${OUT:-out/nvml}
mkdir -p "$R"
"$WS" sensors --sensors nvml
for iv in 100 20; do
  echo "== load 12 s at --interval $iv, idle baseline 2 s"
  "$WS" measure --interval "$iv" --idle 2 --json "$R/load$iv.json" --timeline "$R/load${iv}_timeline.csv" -- \
    python3 "$D/nvml_bracket.py" "$R/ref_load$iv.json" -- python3 "$D/gpu_load.py" 12
done
python3 - "$R" <<'PY'
import csv, datetime, json, sys
r = sys.argv[1]
def wall(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
for iv in (100, 20):
    rows = [x for x in csv.DictReader(open(f"{r}/load{iv}_timeline.csv")) if x["domain"] == "nvml:gpu-0"]
    ref = json.load(open(f"{r}/ref_load{iv}.json"))
    ts = [wall(x["wall_time"]) for x in rows]
    cj = [float(x["cumulative_joules"]) for x in rows]
    def cum(t):  # wattserve's cumulative GPU joules at wall time t, linear between rows
        for i in range(1, len(ts)):
            if ts[i] >= t:
                f = (t - ts[i - 1]) / (ts[i] - ts[i - 1]) if ts[i] > ts[i - 1] else 1
                return cj[i - 1] + f * (cj[i] - cj[i - 1])
        return cj[-1]
    ours = cum(ref["wall_end"]) - cum(ref["wall_start"])
    print(f"--interval {iv}: largest timeline interval {max(float(x['watts']) for x in rows):.0f} W "
          f"(peak instant power {ref['max_watts']:.0f} W); over the same {ref['wall_end'] - ref['wall_start']:.2f} s: "
          f"wattserve {ours:.1f} J, NVML counter {ref['counter_joules']:.1f} J (x{ours / ref['counter_joules']:.4f}), "
          f"instant power integrated {ref['integrated_power_joules']:.1f} J (x{ours / ref['integrated_power_joules']:.4f})")
PY
