#!/usr/bin/env python3
"""Tables of a serving study (runs against servers: docs/bench-serving.md) from its records:
per server and load, throughput, TTFT/TPOT/E2E percentiles, SLO attainment, J per output token
(machine, server process tree, the server's own responses) and pacing; then, for each load
that two servers share, the ratios of the first server to the second. A stop-gap until
`wattserve report`.
  /usr/bin/python3 examples/studies/summarize_serving.py results/serve-vs-llama-server [A B]
A and B name the servers to compare (default: the first two seen)."""
import glob, json, statistics as st, sys

recs = [json.load(open(f)) for f in glob.glob(sys.argv[1] + "/runs/*.json")]
recs = [r for r in recs if "serving" in r and not r.get("warmup")]
bad = [r for r in recs if r["status"] != "ok"]
ok = [r for r in recs if r["status"] == "ok"]
print(f"{len(recs)} served runs, {len(ok)} ok, {len(bad)} failed; energy source: "
      f"{sorted({r['metrics']['energy_source'] for r in ok})}")
for r in bad:
    print(f"  failed: {r['serving']['target']['name'] if 'serving' in r else r['run_id']}: {r.get('error')}")


def load_key(r):
    ld = r["serving"]["load"]
    k = ld["kind"]
    if k == "closed":
        return f"closed {ld['streams']:>2} streams"
    if k == "trace":
        return "trace"
    return f"{k} {ld['rate']:g} req/s"


def f(x, scale=1.0, fmt="{:9.1f}"):
    return fmt.format(x * scale) if isinstance(x, (int, float)) else f"{'-':>9}"


cells = {}
for r in ok:
    cells.setdefault((load_key(r), r["serving"]["target"]["name"]), []).append(r)
print(f"\n{'load':<22}{'server':<18}{'n':>3}{'req/s':>7}{'tok/s':>8}{'TTFT50':>9}{'TTFT99':>9}"
      f"{'TPOT50':>9}{'E2Emean':>9}{'E2E99':>9}{'SLO':>6}{'J/tok':>8}{'proc':>8}{'resp':>8}{'late99':>8}")
print(f"{'':<43}{'':>8}{'ms':>9}{'ms':>9}{'ms':>9}{'s':>9}{'s':>9}{'':>6}{'mJ':>8}{'mJ':>8}{'mJ':>8}{'ms':>8}")
for (lk, name), v in sorted(cells.items()):
    def med(get):
        xs = [get(r) for r in v]
        xs = [x for x in xs if isinstance(x, (int, float))]
        return st.median(xs) if xs else None
    m = lambda k: med(lambda r: r["metrics"].get(k))
    t = lambda k, p: med(lambda r: r["timings"][k][p])
    print(f"{lk:<22}{name:<18}{len(v):>3}{f(m('requests_per_s'), 1, '{:7.2f}')}"
          f"{f(m('output_tokens_per_s'), 1, '{:8.1f}')}{f(t('ttft_s', 'p50'), 1e3)}{f(t('ttft_s', 'p99'), 1e3)}"
          f"{f(t('tpot_s', 'p50'), 1e3)}{f(t('e2e_s', 'mean'), 1, '{:9.3f}')}{f(t('e2e_s', 'p99'), 1, '{:9.3f}')}"
          f"{f(m('slo_attainment'), 1, '{:6.2f}')}{f(m('joules_per_output_token'), 1e3, '{:8.1f}')}"
          f"{f(m('process_joules_per_output_token'), 1e3, '{:8.1f}')}"
          f"{f(m('response_joules_per_output_token'), 1e3, '{:8.1f}')}"
          f"{f(med(lambda r: r['serving']['pacing']['p99']), 1, '{:8.3f}')}")

names = []
for r in ok:
    n = r["serving"]["target"]["name"]
    if n not in names:
        names.append(n)
a, b = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else (names + ["", ""])[:2]
if a and b:
    print(f"\nratios {a} / {b} (same load): output tok/s, TTFT p50, TTFT p99, J/output token (machine)")
    for lk in sorted({k[0] for k in cells}):
        if (lk, a) not in cells or (lk, b) not in cells:
            continue
        x, y = cells[(lk, a)][0], cells[(lk, b)][0]
        def ratio(get):
            p, q = get(x), get(y)
            return f"{p / q:6.3f}" if isinstance(p, (int, float)) and isinstance(q, (int, float)) and q else "     -"
        print(f"  {lk:<22} tok/s {ratio(lambda r: r['metrics']['output_tokens_per_s'])}"
              f"  TTFT p50 {ratio(lambda r: r['timings']['ttft_s']['p50'])}"
              f"  TTFT p99 {ratio(lambda r: r['timings']['ttft_s']['p99'])}"
              f"  J/token {ratio(lambda r: r['metrics']['joules_per_output_token'])}")
