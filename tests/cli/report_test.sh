# `wattserve report` end to end: on the smoke study's dataset (cut short by --set) it writes the
# HTML page, JSON (valid against schemas/report.schema.json), Markdown and CSV; its Kruskal-Wallis,
# Mann-Whitney and Cliff's delta on the real runs equal SciPy's on the same runs.csv values; the
# page renders every plot in headless Chromium with no network (tests/report/check_page.sh);
# two datasets are compared configuration by configuration; a 1,000-run dataset gives a page
# under 5 MB; the same seed gives the same statistics; bad input exits 2 with a message.
source "$(dirname "$0")/lib.sh"
need_zoo_and_engines llama onnx

# Bad input: exit 2 and a message naming the problem, no output file.
expect_exit 2 "$WS" report "$TMP/nowhere"
grep -q "no such folder" "$TMP/err" || fail "missing folder: $(cat "$TMP/err")"
mkdir -p "$TMP/empty" && echo '{"name": "x", "hash": "h"}' >"$TMP/empty/study.json"
expect_exit 2 "$WS" report "$TMP/empty"
grep -q "no finished measured run" "$TMP/err" || fail "empty dataset: $(cat "$TMP/err")"
mkdir -p "$TMP/notds"
expect_exit 2 "$WS" report "$TMP/notds"
grep -q "not a bench dataset" "$TMP/err" || fail "not a dataset: $(cat "$TMP/err")"
[[ ! -e $TMP/notds/report.html ]] || fail "a report was written for bad input"

# A real dataset: the smoke study, short runs, 3 repeats.
expect_exit 0 "$WS" bench "$SRC/examples/studies/smoke.toml" --out "$TMP/d" --set protocol.idle_s=0.3 \
  --set workload.requests=1 --set sampling.max_tokens=4 --set design.repeats=3
D=$TMP/d
expect_exit 2 "$WS" report "$D" --out "$TMP/no/such/dir/r.html"
expect_exit 2 "$WS" report "$D" --confidence 2
expect_exit 0 "$WS" report "$D" --out "$D/report.html" --json "$TMP/stats.json" --md "$TMP/r.md" \
  --csv "$TMP/csv" --resamples 2000
grep -q "J per output token by configuration" "$TMP/out" || fail "no summary: $(cat "$TMP/out")"
grep -q "estimate" "$TMP/out" || fail "the summary does not name the energy source"
for f in "$D/report.html" "$TMP/r.md" "$TMP/csv/configs.csv" "$TMP/csv/factor_tests.csv"; do
  [[ -s $f ]] || fail "$f not written"
done
"$PY" - "$TMP/stats.json" "$SRC/schemas/report.schema.json" "$D/runs.csv" <<'EOF' || fail "statistics against SciPy"
import csv, json, sys
import jsonschema
from scipy import stats
j = json.load(open(sys.argv[1]))
jsonschema.validate(j, json.load(open(sys.argv[2])))
ds = j["datasets"][0]
assert ds["runs"] == 12 and len(ds["configurations"]) == 4, (ds["runs"], len(ds["configurations"]))
rows = [r for r in csv.DictReader(open(sys.argv[3])) if r["status"] == "ok" and r["warmup"] == "false"]
def values(engine, model):
    return [float(r["metrics.joules_per_output_token"]) for r in rows
            if r["config.factors.engine"] == engine and r["config.factors.model"] == model]
def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * max(1.0, abs(b))
checked = 0
for t in ds["factor_tests"]:
    if t["factor"] != "engine" or t["metric"] != "joules_per_output_token":
        continue
    model = t["stratum"].split("=", 1)[1]
    a, b = values("llama", model), values("onnx", model)
    h = stats.kruskal(a, b)
    assert close(t["kruskal_wallis"]["statistic"], h.statistic), (t["kruskal_wallis"], h)
    assert close(t["kruskal_wallis"]["p"], h.pvalue), (t["kruskal_wallis"], h)
    p = t["pairs"][0]
    x, y = (values(p["b"], model), values(p["a"], model))
    u = stats.mannwhitneyu(x, y, alternative="two-sided")
    assert close(p["mann_whitney"]["statistic"], u.statistic) and close(p["mann_whitney"]["p"], u.pvalue), (p, u)
    assert close(p["cliffs_delta"], 2 * u.statistic / (len(x) * len(y)) - 1), p
    checked += 1
assert checked == 2, checked
for c in ds["configurations"]:
    m = c["metrics"]["joules_per_output_token"]
    assert m["median_ci"]["valid"] and m["median_ci"]["low"] <= m["median"] <= m["median_ci"]["high"], m
print("statistics match SciPy on", checked, "factor tests")
EOF
bash "$SRC/tests/report/check_page.sh" "$D/report.html" "$TMP/smoke-report.png" || fail "the smoke report does not render"

# Run against run: the same dataset twice gives ratios of 1 and no change.
cp -r "$D" "$TMP/d2"
expect_exit 0 "$WS" report "$D" "$TMP/d2" --no-html --json "$TMP/cmp.json" --resamples 500
"$PY" - "$TMP/cmp.json" <<'EOF' || fail "comparison"
import json, sys
c = json.load(open(sys.argv[1]))["comparisons"][0]
assert c["base"] == "d" and c["new"] == "d2", c
assert len(c["rows"]) >= 4 and not c["unmatched"], c
assert all(abs(r["ratio"]["estimate"] - 1) < 1e-12 for r in c["rows"]), c["rows"]
assert all("no evidence of a change" in f for f in c["findings"]), c["findings"]
EOF

# 1,000 runs with requests and timelines: the page stays under 5 MB and renders; the same seed
# gives the same statistics.
"$PY" "$SRC/tests/report/make_dataset.py" "$TMP/big" 1000 50 100
expect_exit 0 "$WS" report "$TMP/big" --resamples 999 --front-resamples 200 --json "$TMP/big1.json"
size=$(stat -c %s "$TMP/big/report.html")
((size < 5 * 1024 * 1024)) || fail "the 1,000-run page is $size bytes (limit 5 MB)"
grep -q "knee" "$TMP/big/report.html" || fail "no proportionality curve in the page"
bash "$SRC/tests/report/check_page.sh" "$TMP/big/report.html" "$TMP/big.png" || fail "the 1,000-run report does not render"
expect_exit 0 "$WS" report "$TMP/big" --no-html --resamples 999 --front-resamples 200 --json "$TMP/big2.json"
cmp -s "$TMP/big1.json" "$TMP/big2.json" || fail "the same seed gave different statistics"
echo "report_test: ok (1,000-run page: $size bytes)"
