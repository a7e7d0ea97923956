# `wattserve simulate` and `wattserve plan` end to end on the shipped profiles
# (examples/profiles/cpu-2core.json): simulate runs on any Azure-format CSV and gives, per policy,
# SLO attainment, energy per request and latency in JSON; --validate reproduces the replay
# study's measured runs when its dataset exists; plan prints a plan with GLPK's solve time; bad
# input exits 2 with a message.
source "$(dirname "$0")/lib.sh"
P=$SRC/examples/profiles/cpu-2core.json

# A small hand-written Azure CSV (unsorted, 'T' separator, a trailing Z): 40 requests in 2 s.
{
  echo "TIMESTAMP,ContextTokens,GeneratedTokens"
  for i in $(seq 39 -1 0); do
    printf '2024-05-01T10:00:%02d.%03dZ,%d,%d\n' $((i / 20)) $(((i % 20) * 50)) $((20 + i)) $((5 + i % 7))
  done
} >"$TMP/t.csv"
expect_exit 0 "$WS" simulate --trace "$TMP/t.csv" --profiles "$P" --model pycode-tiny --slo 1 --json
/usr/bin/python3 - "$TMP/out" <<'PY' || fail "simulate --json: $(head -c 2000 "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["requests"] == 40, d["requests"]
names = [p["name"] for p in d["policies"]]
assert len(names) == 3 and names[2] == "adaptive", names
assert names[0].startswith("least-energy static (a)") and names[1].startswith("fastest static (b)")
for p in d["policies"]:
    assert 0 <= p["slo_attainment"] <= 1
    assert p["energy_per_request_j"] > 0 and p["e2e_mean_s"] > 0 and p["e2e_p99_s"] >= p["e2e_p50_s"]
    assert p["requests"] == 40
assert d["energy_source"] == "estimate"
assert len(d["statics"]) >= 2
PY

# The text output names the energy source.
expect_exit 0 "$WS" simulate --trace "$TMP/t.csv" --profiles "$P" --model pycode-tiny
grep -q "estimate" "$TMP/out" || fail "the summary does not name the energy source"

# Bad input.
expect_exit 2 "$WS" simulate --trace "$TMP/nowhere.csv" --profiles "$P"
expect_exit 2 "$WS" simulate --trace "$TMP/t.csv" --profiles "$TMP/nowhere.json"
echo "{" >"$TMP/bad.json"
expect_exit 2 "$WS" simulate --trace "$TMP/t.csv" --profiles "$TMP/bad.json"
expect_exit 2 "$WS" simulate --trace "$TMP/t.csv" --profiles "$P" --model no-such-model
grep -q "no text-generation profile" "$TMP/err" || fail "unknown model: $(cat "$TMP/err")"
printf 'TIMESTAMP,ContextTokens,GeneratedTokens\n2024-05-01 10:00:00,x,3\n' >"$TMP/badtrace.csv"
expect_exit 2 "$WS" simulate --trace "$TMP/badtrace.csv" --profiles "$P"
grep -q "badtrace.csv:2" "$TMP/err" || fail "bad trace row: $(cat "$TMP/err")"
expect_exit 2 "$WS" simulate --profiles "$P"

# plan on the shipped profiles: a plan, the solve time, the energy source.
expect_exit 0 "$WS" plan --profiles "$P" --slo 1 --rate 2
grep -q "GLPK" "$TMP/out" || fail "plan: no solve time: $(cat "$TMP/out")"
grep -q "estimate" "$TMP/out" || fail "plan: no energy source"
expect_exit 0 "$WS" plan --profiles "$P" --pipeline "$SRC/examples/pipelines/classifier.toml" --json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["best"]["stages"], d' "$TMP/out" ||
  fail "plan --json: $(head -c 1000 "$TMP/out")"
expect_exit 1 "$WS" plan --profiles "$P" --slo 0.000001 --rate 2
expect_exit 2 "$WS" plan --profiles "$TMP/nowhere.json"
echo ok
