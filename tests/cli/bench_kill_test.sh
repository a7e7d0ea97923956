# kill -9 of `wattserve bench` at random moments, in a loop, then a rerun to the end: the
# dataset holds exactly the design's runs, none twice, every file whole (every record and CSV
# parses, no temporary file is left), and runs.csv/emissions.csv list each run once. The kill
# moments are drawn from a seed printed on failure (BENCH_KILL_SEED to replay). Needs llama and
# onnx and the zoo.
source "$(dirname "$0")/lib.sh"
need_zoo_and_engines llama onnx
SEED=${BENCH_KILL_SEED:-$RANDOM}
RANDOM=$SEED
SMOKE=$SRC/examples/studies/smoke.toml
# Runs of at least 0.4 s (min_duration_s), so that the study lasts long enough to be killed often.
ARGS=(--set protocol.idle_s=0.2 --set workload.requests=2 --set workload.min_duration_s=0.4
      --set sampling.max_tokens=8 -q --out "$TMP/d")

"$WS" bench "$SMOKE" "${ARGS[@]}" --dry-run --json >"$TMP/plan.json" || fail "dry run"
kills=0
for round in $(seq 1 10); do
  "$WS" bench "$SMOKE" "${ARGS[@]}" &
  pid=$!
  # 0 .. 2 s: inside model loading, the idle baseline, runs and the writes between them.
  sleep "$((RANDOM % 2)).$(printf '%02d' $((RANDOM % 100)))"
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null || true
  # After every kill the dataset is consistent: whatever records exist are whole and unique
  # (a temporary file of the interrupted write may remain until the next run opens the folder).
  "$PY" - "$TMP/d" <<'EOF' || fail "round $round (seed $SEED): dataset broken after kill -9"
import json, os, sys
d = sys.argv[1]
if os.path.isdir(f"{d}/runs"):
    for f in os.listdir(f"{d}/runs"):
        if f.startswith(".") and ".tmp." in f:
            continue  # a write the kill interrupted: never a record; the next open removes it
        assert f.endswith(".json"), f"stray file runs/{f}"
        r = json.load(open(f"{d}/runs/{f}"))
        assert r["run_id"] + ".json" == f
EOF
done
# The rerun finishes the study.
"$WS" bench "$SMOKE" "${ARGS[@]}" 2>"$TMP/err" || { cat "$TMP/err"; fail "final run (seed $SEED)"; }
"$PY" - "$TMP/d" "$TMP/plan.json" <<'EOF' || fail "after $kills kills (seed $SEED): dataset incomplete or duplicated"
import csv, json, os, sys
d, plan = sys.argv[1], json.load(open(sys.argv[2]))
want = sorted(r["run_id"] for r in plan)
files = sorted(f for f in os.listdir(f"{d}/runs"))
got = sorted(f[:-5] for f in files if f.endswith(".json"))
assert got == want, (got, want)
assert len(files) == len(want), f"extra files in runs/: {files}"
for i in got:
    r = json.load(open(f"{d}/runs/{i}.json"))
    assert r["status"] == "ok", r["error"]
    for sub in ("requests", "timelines"):
        rows = list(csv.reader(open(f"{d}/{sub}/{i}.csv")))
        assert len(rows) >= 2 and all(len(x) == len(rows[0]) for x in rows), f"{sub}/{i}.csv"
for sub in ("requests", "timelines"):
    extra = set(f[:-4] for f in os.listdir(f"{d}/{sub}")) - set(got)
    assert not extra, f"{sub} files without a record: {extra}"
runs = [x["run_id"] for x in csv.DictReader(open(f"{d}/runs.csv"))]
assert sorted(runs) == want, "runs.csv"
em = list(csv.DictReader(open(f"{d}/emissions.csv")))
assert sorted(x["run_id"] for x in em) == want, "emissions.csv"
left = [os.path.join(p, f) for p, _, fs in os.walk(d) for f in fs if ".tmp" in f]
assert not left, f"temporary files left: {left}"
EOF
((kills >= 5)) || fail "only $kills of 10 kills hit a running bench (seed $SEED): the study ran too fast to test"
echo "bench_kill_test: ok ($kills kills, seed $SEED)"
