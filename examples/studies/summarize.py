#!/usr/bin/env python3
"""Mean, spread and range of J per output token (text) or per item (classifiers) by model and
engine over the measured runs of a bench dataset (its runs.csv). A stop-gap until
`wattserve report`: python3 examples/studies/summarize.py results/engines"""
import csv, statistics as st, sys
rows = [r for r in csv.DictReader(open(sys.argv[1] + "/runs.csv"))]
ok = [r for r in rows if r["status"] == "ok" and r["warmup"] == "false"]
print(f"{len(rows)} runs, {len(ok)} measured ok; sources: {sorted({r['metrics.energy_source'] for r in ok})}")
cells = {}
for r in ok:
    key = (r["config.factors.model"], r["config.factors.engine"])
    m = "metrics.joules_per_output_token" if r["metrics.joules_per_output_token"] else "metrics.joules_per_item"
    tp = r.get("metrics.output_tokens_per_s") or r.get("metrics.items_per_s")
    cells.setdefault(key, []).append((float(r[m]), float(tp), float(r["metrics.avg_watts"])))
for (model, eng), v in sorted(cells.items()):
    j = [x[0] for x in v]; t = [x[1] for x in v]
    unit = "mJ/token" if model.startswith("pycode") else "mJ/item"
    print(f"{model:<17} {eng:<6} n={len(j):2} {st.mean(j)*1e3:8.3f} {unit}  sd {st.stdev(j)*1e3:7.3f} (CV {st.stdev(j)/st.mean(j)*100:4.1f}%)  "
          f"min {min(j)*1e3:8.3f} max {max(j)*1e3:8.3f}  | {st.median(t):9.1f}/s  {st.mean(x[2] for x in v):5.1f} W")

# Latency: the median over a cell's runs of each run's percentiles (ms).
print(f"\n{'latency, ms':<24}{'req/run':>8} {'TTFT p50':>9} {'TTFT p99':>9} {'TPOT p50':>9} {'TPOT p99':>9} {'E2E p50':>9} {'E2E p99':>9}"
      "  (median over the runs of each run's percentiles)")
groups = {}
for r in ok:
    groups.setdefault((r["config.factors.model"], r["config.factors.engine"]), []).append(r)
for (model, eng), v in sorted(groups.items()):
    def med(k):
        xs = [float(x[k]) * 1e3 for x in v if x.get(k)]
        return f"{st.median(xs):9.3f}" if xs else f"{'':>9}"
    req = st.median(float(x["metrics.requests_ok"]) for x in v)
    print(f"{model:<17} {eng:<6}{req:8.0f} {med('timings.ttft_s.p50')} {med('timings.ttft_s.p99')} "
          f"{med('timings.tpot_s.p50')} {med('timings.tpot_s.p99')} {med('timings.e2e_s.p50')} {med('timings.e2e_s.p99')}")
