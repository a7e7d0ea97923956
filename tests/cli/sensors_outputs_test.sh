# `wattserve sensors` explains missing sensors; measure writes CodeCarbon CSV (appending),
# a timeline CSV and Prometheus text.
source "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/sys"
expect_exit 0 "$WS" sensors --sysfs-root "$TMP/sys" --nvml-lib /nonexistent.so
grep -q "estimate:cpu" "$TMP/out" || fail "sensors does not list the estimator"
grep -q "powercap" "$TMP/out" || fail "sensors does not say why RAPL is missing"
expect_exit 0 "$WS" sensors --sysfs-root "$TMP/sys" --json
cp "$TMP/out" "$TMP/s.json"
[[ $(json_get "$TMP/s.json" 'any("powercap" in u["sensor"] for u in j["unavailable"])') == True ]] \
  || fail "sensors --json does not explain the missing RAPL"
for i in 1 2; do
  expect_exit 0 "$WS" measure -q --sysfs-root "$TMP/sys" --country FRA --csv "$TMP/emissions.csv" \
    --timeline "$TMP/timeline.csv" --prometheus "$TMP/metrics.prom" -- sleep 0.3
done
[[ $(wc -l <"$TMP/emissions.csv") == 3 ]] || fail "emissions.csv should have a header and 2 rows"
head -1 "$TMP/emissions.csv" | grep -q "^timestamp,project_name,run_id" || fail "not CodeCarbon's header"
"$PY" - "$TMP/emissions.csv" <<'PY' || fail "emissions.csv rows are wrong"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 2
ratios = []
for r in rows:
    assert r["country_iso_code"] == "FRA", r
    assert float(r["energy_consumed"]) > 0, r
    ratios.append(float(r["emissions"]) / float(r["energy_consumed"]))  # kg per kWh
# France's grid: tens of gCO2e/kWh, the same factor in both rows.
assert 0.01 < ratios[0] < 0.2 and abs(ratios[0] - ratios[1]) < 1e-3 * ratios[0], ratios
PY
head -1 "$TMP/timeline.csv" | grep -q "time_s" || fail "timeline header"
[[ $(wc -l <"$TMP/timeline.csv") -gt 2 ]] || fail "timeline has no rows"
grep -q "^wattserve_energy_joules_total{" "$TMP/metrics.prom" || fail "no energy counter in Prometheus text"
if command -v promtool >/dev/null; then promtool check metrics <"$TMP/metrics.prom" || fail "promtool"; fi
echo "sensors and outputs: ok"
