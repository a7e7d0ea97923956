# Raw NVML trace of GPU 0 every ~5 ms while a bf16 load runs in phases: idle 1.5 s, load 3 s,
# idle 2 s, load 1 s, idle 1 s. Columns: t_s (monotonic from start), counter_mj, power_mw
# (nvmlDeviceGetPowerUsage), instant_mw and average_mw (field values 186/185, -1 if unsupported),
# phase (0 idle, 1 load).
#   python3 record_nvml_trace.py OUT.csv   (needs pynvml, PyTorch with CUDA, an NVIDIA GPU)
import sys, threading, time
import pynvml, torch

out = sys.argv[1]
pynvml.nvmlInit()
h = pynvml.nvmlDeviceGetHandleByIndex(0)
FI_INST, FI_AVG = 186, 185

def fields():
    try:
        v = pynvml.nvmlDeviceGetFieldValues(h, [FI_INST, FI_AVG])
        return [x.value.uiVal if x.nvmlReturn == 0 else -1 for x in v]
    except Exception:
        return [-1, -1]

a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
torch.cuda.synchronize()
phase = [0]
stop = threading.Event()
rows = []
t0 = time.monotonic()

def sampler():
    while not stop.is_set():
        t = time.monotonic() - t0
        c = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
        p = pynvml.nvmlDeviceGetPowerUsage(h)
        i, av = fields()
        rows.append((t, c, p, i, av, phase[0]))
        time.sleep(0.004)

th = threading.Thread(target=sampler); th.start()
for kind, dur in [(0, 1.5), (1, 3.0), (0, 2.0), (1, 1.0), (0, 1.0)]:
    phase[0] = kind
    end = time.monotonic() + dur
    while time.monotonic() < end:
        if kind:
            for _ in range(4):
                c = a @ b
            torch.cuda.synchronize()
        else:
            time.sleep(0.01)
stop.set(); th.join()
with open(out, "w") as f:
    f.write("t_s,counter_mj,power_mw,instant_mw,average_mw,phase\n")
    for r in rows:
        f.write(f"{r[0]:.6f},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]}\n")
print(f"trace: {len(rows)} rows over {rows[-1][0]:.2f} s; fields instant={rows[0][3]} average={rows[0][4]}")
