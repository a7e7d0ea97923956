#!/usr/bin/env python3
"""Writes a synthetic bench dataset for the report tests: RUNS measured runs over engine x
batch configurations, each with a record (the fields `wattserve report` reads), a requests CSV
and a power timeline, as `wattserve bench` lays them out (docs/bench.md).

usage: make_dataset.py DIR RUNS [REQUESTS_PER_RUN] [TIMELINE_ROWS]"""
import json
import os
import random
import sys

out, runs = sys.argv[1], int(sys.argv[2])
per_run = int(sys.argv[3]) if len(sys.argv) > 3 else 50
rows = int(sys.argv[4]) if len(sys.argv) > 4 else 100
rng = random.Random(1)
for sub in ("runs", "requests", "timelines"):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
HASH = "f" * 64
json.dump({"schema": "wattserve.bench-dataset", "schema_version": 1, "name": "synthetic",
           "hash": HASH}, open(os.path.join(out, "study.json"), "w"))
configs = [(e, b) for e in ("llama", "onnx", "torch") for b in (1, 2, 4, 8, 16)]
for i in range(runs):
    engine, batch = configs[i % len(configs)]
    base = {"llama": 0.010, "onnx": 0.014, "torch": 0.030}[engine]
    jpt = base * (1 + 3.0 / batch) * rng.lognormvariate(0, 0.05)
    tput = 2000 * batch / (1 + 3.0 / batch) * rng.lognormvariate(0, 0.05)
    watts = jpt * tput
    e2e = [0.05 * (1 + batch / 4) * rng.lognormvariate(0, 0.3) for _ in range(per_run)]
    run_id = f"{i:032x}"
    rec = {
        "schema": "wattserve.run-record", "schema_version": 1, "kind": "bench",
        "run_id": run_id, "status": "ok", "warmup": False, "order": i, "repeat": i // len(configs),
        "study": {"name": "synthetic", "hash": HASH},
        "config": {"factors": {"engine": engine, "model.batch": batch}},
        "metrics": {"energy_source": "estimate", "joules_per_output_token": jpt,
                    "joules_per_request": jpt * 32, "avg_watts": watts,
                    "output_tokens_per_s": tput, "reference_perplexity": 40 + batch * 0.01},
        "timings": {"e2e_s": {"p50": sorted(e2e)[per_run // 2], "p99": max(e2e)}},
        "energy": {"source": "estimate",
                   "idle_baseline": {"watts_by_domain": {"estimate:cpu": 20.0, "estimate:ram": 15.0}}},
    }
    json.dump(rec, open(os.path.join(out, "runs", run_id + ".json"), "w"))
    with open(os.path.join(out, "requests", run_id + ".csv"), "w") as f:
        f.write("request,item,status,error,prompt_tokens,output_tokens,queue_s,ttft_s,tpot_s,e2e_s\n")
        for k, v in enumerate(e2e):
            f.write(f"{k},p{k},ok,,10,32,0,{v / 10},{v / 40},{v}\n")
    with open(os.path.join(out, "timelines", run_id + ".csv"), "w") as f:
        f.write("t_s,wall_ns,estimate:cpu.joules,estimate:cpu.watts,estimate:ram.joules,estimate:ram.watts\n")
        f.write("0,0,0,,0,\n")
        for k in range(1, rows):
            f.write(f"{k * 0.02},{k},0,{watts - 15 + rng.random()},0,15\n")
