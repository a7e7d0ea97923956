# The load of perf/nvml/check.sh: a GPU load with a known shape: SECONDS of bf16 8192^3 matrix products, with a 2 s idle gap
# in the middle (so the power timeline shows a dip).
import sys, time
import torch
dur = float(sys.argv[1])
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
torch.cuda.synchronize()
t0 = time.monotonic()
n = 0
gap_done = dur < 6
while time.monotonic() - t0 < dur:
    for _ in range(10):
        c = a @ b
    torch.cuda.synchronize()
    n += 10
    if not gap_done and time.monotonic() - t0 > dur / 2 - 1:
        time.sleep(2.0)
        gap_done = True
el = time.monotonic() - t0
print(f"gpu_load: {n} products in {el:.2f} s, {n * 2 * 8192**3 / el / 1e12:.0f} TFLOP/s (incl. gap)")
