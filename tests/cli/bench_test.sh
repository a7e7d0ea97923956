# `wattserve bench` end to end on the zoo: the smoke study (cut short by --set) completes with a
# record per run, requests/timelines files, runs.csv and a CodeCarbon emissions.csv; rerunning
# skips everything; a failing configuration is recorded as failed and the sweep goes on; shards
# are disjoint, cover the design and merge into the whole; `bench status` counts; latency
# percentiles equal numpy's; errors in the
# study or in --set exit 2 with FILE:LINE:COL. Needs the llama and onnx engines and the zoo.
source "$(dirname "$0")/lib.sh"
need_zoo_and_engines llama onnx
SMOKE=$SRC/examples/studies/smoke.toml
FAST=(--set protocol.idle_s=0.3 --set workload.requests=1 --set sampling.max_tokens=4)

# The design, as the dry run shows it: 2 x 2 configurations x 2 repeats + 4 warm-ups.
expect_exit 0 "$WS" bench "$SMOKE" --dry-run --json "${FAST[@]}"
cp "$TMP/out" "$TMP/plan.json"
[[ $(json_get "$TMP/plan.json" "len(j)") == 12 ]] || fail "smoke plan: $(cat "$TMP/plan.json")"
[[ $(json_get "$TMP/plan.json" "len(set(r['run_id'] for r in j))") == 12 ]] || fail "run ids repeat"

# The LHS study: each continuous factor's 40 strata used exactly once, the integer factors' 40
# values distinct (their strata are whole groups of values: design.h, tests/bench); the same
# seed gives the same design, another seed another.
LHS=$SRC/examples/studies/sampling-lhs.toml
expect_exit 0 "$WS" bench "$LHS" --dry-run --json; cp "$TMP/out" "$TMP/lhs1.json"
expect_exit 0 "$WS" bench "$LHS" --dry-run --json; cp "$TMP/out" "$TMP/lhs2.json"
expect_exit 0 "$WS" bench "$LHS" --dry-run --json --set design.seed=7; cp "$TMP/out" "$TMP/lhs7.json"
"$PY" - "$TMP" <<'EOF' || fail "lhs design"
import json, sys
t = sys.argv[1]
load = lambda n: json.load(open(f"{t}/{n}.json"))
j = load("lhs1")
cfgs = {json.dumps(r["config"], sort_keys=True): r["config"] for r in j if not r["warmup"]}
assert len(j) == 160 and len(cfgs) == 40, (len(j), len(cfgs))
c = list(cfgs.values())
for f, lo, hi in (("temperature", 0.0, 1.5), ("top_p", 0.5, 1.0)):
    st = sorted(min(39, int((x[f] - lo) / (hi - lo) * 40)) for x in c)
    assert st == list(range(40)), (f, st)
for f in ("max_tokens", "top_k"):
    assert len({x[f] for x in c}) == 40, f
assert load("lhs2") == j, "same seed, another design"
c7 = {json.dumps(r["config"], sort_keys=True) for r in load("lhs7")}
assert c7 != set(cfgs), "design.seed=7 gives the same design"
EOF

expect_exit 0 "$WS" bench "$SMOKE" --out "$TMP/d" "${FAST[@]}"
grep -q "run 12/12" "$TMP/err" || fail "no progress lines: $(cat "$TMP/err")"
D=$TMP/d
for f in study.toml study.json runs.csv emissions.csv index.json; do
  [[ -s $D/$f ]] || fail "no $f in the dataset"
done
SRC=$SRC "$PY" - "$D" "$TMP/plan.json" <<'EOF' || fail "dataset check"
import csv, json, os, sys
d, plan = sys.argv[1], json.load(open(sys.argv[2]))
ids = {r["run_id"] for r in plan}
runs = {f[:-5] for f in os.listdir(f"{d}/runs") if f.endswith(".json")}
assert runs == ids, (sorted(runs), sorted(ids))
for i in ids:
    r = json.load(open(f"{d}/runs/{i}.json"))
    assert r["schema"] == "wattserve.run-record" and r["kind"] == "bench", r
    assert r["status"] == "ok", r["error"]
    assert r["energy"]["joules"] > 0 and r["energy"]["source"] in ("counter", "integrated", "estimate")
    m = r["metrics"]
    assert m["output_tokens"] == 4 * m["requests_ok"], m
    assert abs(m["joules_per_output_token"] - r["energy"]["joules"] / m["output_tokens"]) < 1e-9 * r["energy"]["joules"] + 1e-12
    rows = list(csv.DictReader(open(f"{d}/requests/{i}.csv")))
    assert len(rows) == m["requests"] and all(x["status"] == "ok" for x in rows), rows
    # joules split by device: no GPU domain here, so all of it is the CPU's
    gpu = any(d["kind"] == "gpu" for d in r["energy"]["domains"])
    for x in rows:
        assert (x["gpu_joules"] != "") == gpu, x
        part = float(x["cpu_joules"]) + (float(x["gpu_joules"]) if gpu else 0)
        assert abs(part - float(x["joules"])) <= 1e-9 * float(x["joules"]) + 1e-12, x
    assert os.path.getsize(f"{d}/timelines/{i}.csv") > 0
import jsonschema
schema = json.load(open(os.environ["SRC"] + "/schemas/run-record.schema.json"))
for i in ids:
    jsonschema.validate(json.load(open(f"{d}/runs/{i}.json")), schema)
rows = list(csv.DictReader(open(f"{d}/runs.csv")))
assert {x["run_id"] for x in rows} == ids, "runs.csv rows"
em = list(csv.reader(open(f"{d}/emissions.csv")))
assert em[0][:3] == ["timestamp", "project_name", "run_id"], em[0]
assert len(em) == 1 + len(ids), len(em)
EOF

# Latency statistics against numpy (the reference): mean and p50/p90/p99 (numpy's default
# "linear" percentiles) of the requests' TTFT, TPOT and E2E, from requests/<run_id>.csv.
expect_exit 0 "$WS" bench "$SMOKE" --out "$TMP/p" "${FAST[@]}" --set workload.requests=7 --set design.repeats=1 \
  --set protocol.warmup_runs=0 --set 'factors.engine=["onnx"]' --set 'factors.model=["pycode-tiny"]'
"$PY" - "$TMP/p" <<'EOF' || fail "latency statistics differ from numpy"
import csv, json, os, sys
import numpy as np
d = sys.argv[1]
(f,) = os.listdir(f"{d}/runs")
r = json.load(open(f"{d}/runs/{f}"))
rows = [x for x in csv.DictReader(open(f"{d}/requests/{r['run_id']}.csv")) if x["status"] == "ok"]
assert len(rows) == 7, len(rows)
for name in ("ttft_s", "tpot_s", "e2e_s"):
    xs = np.array([float(x[name]) for x in rows if x[name] != ""])
    got = r["timings"][name]
    assert got["n"] == len(xs), (name, got)
    for p in (50, 90, 99):
        want = float(np.percentile(xs, p))
        assert abs(got[f"p{p}"] - want) <= 1e-12 + 1e-9 * abs(want), (name, p, got, want)
    assert abs(got["mean"] - xs.mean()) <= 1e-12 + 1e-9 * abs(xs.mean()), (name, got)
m = r["metrics"]
e = r["energy"]["joules"]
assert abs(m["joules_per_request"] - e / 7) <= 1e-12 * e + 1e-15
assert abs(m["joules_per_token"] - e / (m["input_tokens"] + m["output_tokens"])) <= 1e-12 * e + 1e-15
EOF

# The OCR pipeline with its images (when this build has it): character accuracy per run.
if "$WS" ocr --help >/dev/null 2>&1; then
  printf '[study]\nname = "ocr"\n[model]\nmodel = "ppocr-v4"\nthreads = 2\n[workload]\nrequests = 2\n[protocol]\nwarmup_runs = 0\nidle_s = 0\n' >"$TMP/ocr.toml"
  expect_exit 0 "$WS" bench "$TMP/ocr.toml" --out "$TMP/ocr"
  "$PY" - "$TMP/ocr" <<'EOF' || fail "ocr bench run"
import json, os, sys
d = sys.argv[1]
(f,) = os.listdir(f"{d}/runs")
m = json.load(open(f"{d}/runs/{f}"))["metrics"]
assert m["items"] == 2 and 0 <= m["character_accuracy"] <= 1 and m["joules_per_item"] > 0, m
EOF
fi

# Rerunning the same command does nothing but say so.
expect_exit 0 "$WS" bench "$SMOKE" --out "$D" "${FAST[@]}"
grep -q "12 of 12 runs already in" "$TMP/err" || fail "no resume: $(cat "$TMP/err")"

# A resume never measures a cold model: a configuration whose warm-ups an earlier invocation
# recorded gets an unrecorded warm-up first.
m=$("$PY" -c 'import json,sys,os; d=sys.argv[1]; print(next(f for f in sorted(os.listdir(d+"/runs")) if not json.load(open(d+"/runs/"+f))["warmup"]))' "$D")
rm "$D/runs/$m"
expect_exit 0 "$WS" bench "$SMOKE" --out "$D" "${FAST[@]}"
grep -q "warming up" "$TMP/err" || fail "resume without a warm-up: $(cat "$TMP/err")"
[[ -f $D/runs/$m ]] || fail "the removed run was not run again"
[[ $(ls "$D/runs" | wc -l) == 12 ]] || fail "the unrecorded warm-up was recorded: $(ls "$D/runs")"

# Status of the finished dataset.
expect_exit 0 "$WS" bench status "$D" --json
json_get "$TMP/out" "(j['runs']['done'], j['runs']['remaining'])" | grep -qx "(12, 0)" || fail "status: $(cat "$TMP/out")"

# A configuration that cannot load is recorded as failed; the others run; exit 1.
expect_exit 1 "$WS" bench "$SMOKE" --out "$TMP/f" "${FAST[@]}" --set 'factors.model=["pycode-tiny","no-such-model"]' \
  --set protocol.warmup_runs=0 --set design.repeats=1 --set 'factors.engine=["onnx"]'
SRC=$SRC "$PY" - "$TMP/f" <<'EOF' || fail "failed runs not recorded"
import json, os, sys, jsonschema
d = sys.argv[1]
recs = [json.load(open(f"{d}/runs/{f}")) for f in os.listdir(f"{d}/runs")]
schema = json.load(open(os.environ["SRC"] + "/schemas/run-record.schema.json"))
for r in recs:
    jsonschema.validate(r, schema)
st = sorted((r["config"]["factors"]["model"], r["status"]) for r in recs)
assert st == [("no-such-model", "failed"), ("pycode-tiny", "ok")], st
bad = [r for r in recs if r["status"] == "failed"][0]
assert "no-such-model" in bad["error"], bad["error"]
EOF
# Rerunning does not make the failure go away: exit 1 again, and says so.
expect_exit 1 "$WS" bench "$SMOKE" --out "$TMP/f" "${FAST[@]}" --set 'factors.model=["pycode-tiny","no-such-model"]' \
  --set protocol.warmup_runs=0 --set design.repeats=1 --set 'factors.engine=["onnx"]'
grep -q "1 of them failed" "$TMP/err" || fail "rerun hides the failed run: $(cat "$TMP/err")"
# --max-failures 0 stops at the first failure.
expect_exit 1 "$WS" bench "$SMOKE" --out "$TMP/g" "${FAST[@]}" --set 'factors.model=["no-such-model"]' \
  --set 'factors.engine=["onnx","llama"]' --set protocol.warmup_runs=0 --set design.repeats=1 --max-failures 0
[[ $(ls "$TMP/g/runs" | wc -l) == 1 ]] || fail "--max-failures 0 did not stop: $(ls "$TMP/g/runs")"

# Shards: disjoint, cover the design; merged they equal the whole dataset.
for i in 0 1 2; do
  expect_exit 0 "$WS" bench "$SMOKE" --dry-run --json --shard $i/3 "${FAST[@]}"
  cp "$TMP/out" "$TMP/shard$i.json"
done
"$PY" - "$TMP" <<'EOF' || fail "shards"
import json, sys
t = sys.argv[1]
whole = {r["run_id"] for r in json.load(open(f"{t}/plan.json"))}
parts = [{r["run_id"] for r in json.load(open(f"{t}/shard{i}.json"))} for i in range(3)]
assert set().union(*parts) == whole and sum(map(len, parts)) == len(whole), parts
EOF
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3 expect_exit 0 "$WS" bench "$SMOKE" --dry-run --json "${FAST[@]}"
cmp -s "$TMP/out" "$TMP/shard1.json" || fail "SLURM_ARRAY_TASK_ID does not pick shard 1"
JOB_COMPLETION_INDEX=2 WATTSERVE_SHARD_COUNT=3 expect_exit 0 "$WS" bench "$SMOKE" --dry-run --json "${FAST[@]}"
cmp -s "$TMP/out" "$TMP/shard2.json" || fail "JOB_COMPLETION_INDEX does not pick shard 2"

# Merge: refuses another study; combines shards.
expect_exit 0 "$WS" bench "$SMOKE" --out "$TMP/s0" --shard 0/2 "${FAST[@]}"
expect_exit 0 "$WS" bench "$SMOKE" --out "$TMP/s1" --shard 1/2 "${FAST[@]}"
expect_exit 0 "$WS" bench status "$TMP/s0" --shard 0/2 --json
json_get "$TMP/out" "j['runs']['remaining']" | grep -qx 0 || fail "shard status: $(cat "$TMP/out")"
expect_exit 0 "$WS" bench merge "$TMP/s0" "$TMP/s1" --out "$TMP/m"
"$PY" - "$TMP" <<'EOF' || fail "merge"
import json, os, sys
t = sys.argv[1]
whole = {r["run_id"] for r in json.load(open(f"{t}/plan.json"))}
got = {f[:-5] for f in os.listdir(f"{t}/m/runs") if f.endswith(".json")}
assert got == whole, (sorted(got), sorted(whole))
EOF
expect_exit 2 "$WS" bench merge "$TMP/m" "$TMP/f" --out "$TMP/m2"
grep -qi "study" "$TMP/err" || fail "merge of two studies: $(cat "$TMP/err")"

# Errors: FILE:LINE:COL for the file, --set KEY for overrides; exit 2, nothing written.
printf '[study]\nname = "x"\n[factors]\nengine = ["llama"]\nbogus = [1]\n' >"$TMP/bad.toml"
expect_exit 2 "$WS" bench "$TMP/bad.toml" --dry-run
grep -q "bad.toml:5:1" "$TMP/err" || fail "unknown factor without FILE:LINE:COL: $(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --set design.repeats=0
grep -q "design.repeats" "$TMP/err" || fail "$(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --set design.nope=1
grep -q "design.nope" "$TMP/err" || fail "$(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --set sampling.top_p=2
expect_exit 2 "$WS" bench "$TMP/none.toml" --dry-run
printf '[study]\nname = "nomodel"\n[factors]\nengine = ["llama"]\n' >"$TMP/nomodel.toml"
expect_exit 2 "$WS" bench "$TMP/nomodel.toml" --dry-run
grep -q "no model to run" "$TMP/err" || fail "$(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --set protocol.idle_s=0 --set protocol.cooldown_within_pct=5
expect_exit 2 "$WS" bench "$SMOKE" --json --out "$TMP/j"
# Designs too large to run (or to plan) are refused at once, not planned for minutes.
expect_exit 2 "$WS" bench "$LHS" --dry-run --set design.samples=1000000 --set design.maximin=0
grep -q "at most 1000000" "$TMP/err" || fail "$(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$LHS" --dry-run --set design.samples=100000 --set design.maximin=100
expect_exit 2 "$WS" bench "$SMOKE" --shard 3/3 --dry-run
expect_exit 2 "$WS" bench "$SMOKE" --out "$TMP/m" "${FAST[@]}" --set design.repeats=3
grep -qi "study" "$TMP/err" || fail "a dataset of another study was reused: $(cat "$TMP/err")"
echo "bench_test: ok"
