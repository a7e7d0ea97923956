# scripts/gpu_summary.py (the figures of the GPU check) on made-up records whose figures are known:
# J per output token split into GPU and CPU parts with their sources, GPU against CPU, the GPU's
# idle power and its share, serving per stream count, the greedy-token comparison and the
# wrapper ratio of medians.
source "$(dirname "$0")/lib.sh"
R=$TMP/results
"$PY" - "$R" <<'PY'
import json, os, sys
r = sys.argv[1]
def rec(name, folder, model, engine, provider, gpu_j, cpu_j, tokens, duration, streams=None):
    domains = [{"id": "estimate:cpu", "kind": "cpu_package", "source": "estimate", "counted": True,
                "joules": cpu_j}]
    watts = {"estimate:cpu": 20.0}
    if gpu_j is not None:
        domains.insert(0, {"id": "nvml:gpu-0", "kind": "gpu", "source": "counter", "counted": True,
                           "joules": gpu_j})
        watts["nvml:gpu-0"] = 50.0
    total = cpu_j + (gpu_j or 0)
    config = {"model": {"model": model, "engine": engine, "provider": provider}}
    if streams is not None:
        config["serving"] = {"load.streams": streams}
    j = {"status": "ok", "warmup": False, "config": config,
         "metrics": {"joules": total, "output_tokens": tokens, "output_tokens_per_s": tokens / duration,
                     "joules_per_output_token": total / tokens, "slo_attainment": 1.0},
         "energy": {"duration_s": duration, "domains": domains,
                    "idle_baseline": {"watts_by_domain": watts}}}
    os.makedirs(os.path.join(r, folder, "runs"), exist_ok=True)
    json.dump(j, open(os.path.join(r, folder, "runs", name + ".json"), "w"))
rec("a", "engines-gpu", "pycode-tiny", "llama", "cuda", 10.0, 5.0, 100, 0.1)
rec("b", "engines-gpu", "pycode-tiny", "llama", "cuda", 12.0, 5.0, 100, 0.1)  # median: 11 + 5
rec("c", "engines-gpu", "pycode-tiny", "llama", "cpu", None, 32.0, 100, 1.0)
# A cuda run whose meter read no GPU: its (CPU-only) energy must not pass for the GPU's.
rec("d", "engines-gpu", "pycode-small", "torch", "cuda", None, 3.0, 100, 0.1)
rec("e", "engines-gpu", "pycode-small", "torch", "cpu", None, 30.0, 100, 1.0)
rec("s1", "serve-gpu", "qwen2-0.5b-replica", "llama", "cuda", 40.0, 8.0, 400, 2.0, streams=1)
rec("s8", "serve-gpu", "qwen2-0.5b-replica", "llama", "cuda", 20.0, 4.0, 400, 0.5, streams=8)
open(os.path.join(r, "machine.txt"), "w").write("NVIDIA Test GPU\n")
with open(os.path.join(r, "greedy.jsonl"), "w") as f:
    for model, ids in (("pycode-tiny", [[1, 2, 3]] * 3), ("pycode-small", [[1, 2, 3], [1, 2, 4], [1, 2, 3]])):
        for (e, p), t in zip((("llama", "cuda"), ("torch", "cuda"), ("llama", "cpu")), ids):
            f.write(json.dumps({"model": model, "engine": e, "provider": p, "token_ids": t}) + "\n")
with open(os.path.join(r, "wrapper.jsonl"), "w") as f:
    for ours, base in ((97, 100), (99, 100), (101, 100)):
        f.write(json.dumps({"model": "pycode-base", "side": "wattserve", "tokens_per_s": ours}) + "\n")
        f.write(json.dumps({"model": "pycode-base", "side": "llama-bench", "tokens_per_s": base}) + "\n")
PY
"$PY" "$SRC/scripts/gpu_summary.py" "$R" >"$TMP/s.md" 2>"$TMP/err" || fail "gpu_summary.py failed: $(cat "$TMP/err")"
cat "$TMP/s.md"
row() { grep -F -- "$1" "$TMP/s.md" || fail "no row '$1'"; }
# cuda: J/token median(0.15, 0.17) = 0.16, GPU part 0.11, CPU part 0.05; cpu: 0.32; GPU/CPU 0.5
row "| pycode-tiny | llama | cuda | 2 | 0.16 | 0.11 | 0.05 | counter / estimate | 1000 |"
row "| pycode-tiny | llama | cpu | 1 | 0.32 | n/a | 0.32 | - / estimate | 100 |"
row "| pycode-tiny | llama | 0.5 |"
row "| pycode-small | torch | cuda | 1 | n/a | n/a | n/a |"
grep -q "| pycode-small | torch | 0" "$TMP/s.md" && fail "a GPU/CPU ratio without GPU energy"
grep -q "pycode-small torch cuda: no GPU domain" "$TMP/err" || fail "an unmeasured GPU is not warned about"
row "GPU idle power (idle baseline of the GPU domains, median over runs): 50 W"
# idle share: 50 W x 0.1 s / 10 J = 0.5 and / 12 J = 0.4167: median 0.4583
row "| pycode-tiny | llama | 0.458 |"
row "| 1 | 1 | 200 | 0.12 | 0.1 | 0.02 | 1 |"
row "| 8 | 1 | 800 | 0.06 | 0.05 | 0.01 | 1 |"
row "| pycode-tiny | 0 | 3 | llama cuda / torch cuda: identical | - | identical | - |"
row "| pycode-small | 0 | 3 | llama cuda / torch cuda: differ | 2 | identical | - |"
grep -q "greedy tokens differ" "$TMP/err" || fail "a greedy difference is not reported on stderr"
row "| pycode-base | 3 | 99 | 100 | 0.99 |"
grep -q "DRY REHEARSAL" "$TMP/s.md" && fail "a real run is marked dry"
"$PY" "$SRC/scripts/gpu_summary.py" "$R" --dry 1 >"$TMP/d.md" 2>/dev/null
grep -q "No figure below is a GPU figure" "$TMP/d.md" || fail "--dry 1 is not marked"
expect_exit 1 "$PY" "$SRC/scripts/gpu_summary.py" "$TMP/nowhere"
echo "gpu_summary: ok"
