# The reference of perf/nvml/check.sh: reads GPU 0's NVML total-energy counter (pynvml) just
# before and after running CMD, and integrates the instant board power (field 186, else
# nvmlDeviceGetPowerUsage) sampled every 10 ms; writes both with the wall-clock window.
#   python3 nvml_bracket.py OUT.json -- CMD ARGS...
import json, subprocess, sys, threading, time
import pynvml

out = sys.argv[1]
cmd = sys.argv[sys.argv.index("--") + 1:]
pynvml.nvmlInit()
h = pynvml.nvmlDeviceGetHandleByIndex(0)
samples = []
stop = threading.Event()

def sampler():
    while not stop.is_set():
        v = pynvml.nvmlDeviceGetFieldValues(h, [186])[0]  # NVML_FI_DEV_POWER_INSTANT
        w = v.value.uiVal / 1000.0 if v.nvmlReturn == 0 else pynvml.nvmlDeviceGetPowerUsage(h) / 1000.0
        samples.append((time.monotonic(), w))
        time.sleep(0.01)

th = threading.Thread(target=sampler)
e0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
t0 = time.monotonic()
w0 = time.time()
th.start()
rc = subprocess.call(cmd)
e1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
t1 = time.monotonic()
w1 = time.time()
stop.set()
th.join()
integ = 0.0
for (ta, wa), (tb, wb) in zip(samples, samples[1:]):
    integ += 0.5 * (wa + wb) * (tb - ta)
r = {"counter_joules": (e1 - e0) / 1000.0, "integrated_power_joules": integ,
     "duration_s": t1 - t0, "samples": len(samples),
     "mean_watts": integ / (samples[-1][0] - samples[0][0]) if len(samples) > 1 else None,
     "max_watts": max(w for _, w in samples) if samples else None,
     "wall_start": w0, "wall_end": w1,
     "name": pynvml.nvmlDeviceGetName(h), "rc": rc}
json.dump(r, open(out, "w"), indent=1)
print(json.dumps(r))
sys.exit(rc)
