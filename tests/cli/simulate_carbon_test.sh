# `wattserve simulate --carbon-intensity CSV`: per compared policy, the requests' gCO2e without
# and with carbon-aware deferral of a share of them, on the shipped synthetic series
# (data/carbon/synthetic-diurnal.csv); the existing output is unchanged; errors exit 2.
source "$(dirname "$0")/lib.sh"
P=$SRC/examples/profiles/cpu-2core.json
CI=$SRC/data/carbon/synthetic-diurnal.csv

# 40 requests in 2 s (as simulate_test.sh).
{
  echo "TIMESTAMP,ContextTokens,GeneratedTokens"
  for i in $(seq 39 -1 0); do
    printf '2024-05-01T10:00:%02d.%03dZ,%d,%d\n' $((i / 20)) $(((i % 20) * 50)) $((20 + i)) $((5 + i % 7))
  done
} >"$TMP/t.csv"
BASE=(simulate --trace "$TMP/t.csv" --profiles "$P" --model pycode-tiny --slo 1)

# At 10:00 (279 g) half the requests may wait 6 h: they move to 13:00 (212 g).
expect_exit 0 "$WS" "${BASE[@]}" --json --carbon-intensity "$CI" --carbon-start 2026-12-06T10:00:00Z \
  --deferrable-fraction 0.5 --defer-deadline 21600
"$PY" - "$TMP/out" <<'PY' || fail "simulate --carbon-intensity --json: $(head -c 3000 "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["policies"]) == 3 and "statics" in d and "adaptive_saving_vs_fastest" in d
c = d["carbon"]
assert c["trace_start"] == "2026-12-06T10:00:00Z" and c["deferrable_fraction"] == 0.5
assert "not simulated" in c["assumption"]
assert [p["name"] for p in c["policies"]] == [p["name"] for p in d["policies"]]
for p in c["policies"]:
    assert p["requests"] == 40 and p["deferrable"] == 20 and p["deferred"] == 20, p
    w, wo = p["g_co2e_with_deferral"], p["g_co2e_without_deferral"]
    assert 0 < w < wo and abs(p["g_co2e_saved"] - (wo - w)) < 1e-12, p
    # half the energy (about) at 212 instead of 279 g: about 12 % less
    assert 0.05 < p["saved_fraction"] < 0.2, p
PY

# Nothing deferrable: nothing saved. The text output ends with the carbon block.
expect_exit 0 "$WS" "${BASE[@]}" --json --carbon-intensity "$CI" --carbon-start 2026-12-06T10:00:00Z \
  --deferrable-fraction 0
[[ $(json_get "$TMP/out" "sum(p['g_co2e_saved'] for p in j['carbon']['policies'])") == 0.0 ]] ||
  fail "fraction 0 saved something"
expect_exit 0 "$WS" "${BASE[@]}" --carbon-intensity "$CI"
grep -q "^carbon: .*synthetic-diurnal.csv from 2026-12-06T00:00:00Z, 50% of requests deferrable" "$TMP/out" ||
  fail "text block: $(cat "$TMP/out")"
grep -q "gCO2e now" "$TMP/out" || fail "text block header"
expect_exit 0 "$WS" "${BASE[@]}" --json
json_get "$TMP/out" "'carbon' in j" | grep -q False || fail "a carbon key without --carbon-intensity"

# Errors.
expect_exit 2 "$WS" "${BASE[@]}" --carbon-intensity "$CI" --carbon-start 2020-01-01T00:00:00Z
grep -q "is before" "$TMP/err" || fail "start before the series: $(cat "$TMP/err")"
expect_exit 2 "$WS" "${BASE[@]}" --carbon-intensity "$CI" --carbon-start noon
expect_exit 2 "$WS" "${BASE[@]}" --carbon-start 2026-12-06T10:00:00Z
expect_exit 2 "$WS" "${BASE[@]}" --carbon-intensity "$TMP/nowhere.csv"
expect_exit 2 "$WS" "${BASE[@]}" --carbon-intensity "$CI" --deferrable-fraction 2
echo ok
