# `wattserve estimate` prints the model's total and above-idle power, and rejects bad input.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$WS" estimate --cpu-model "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz" --load 0.5 --json
cp "$TMP/out" "$TMP/e.json"
"$PY" - "$TMP/e.json" <<'PY' || fail "estimate JSON is wrong: $(cat "$TMP/e.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["dynamic_w"] > 0, j
assert abs(j["total_w"] - (j["idle_w"] + j["dynamic_w"])) < 1e-9, j
assert j["tdp_w"] == 85 and j["tdp_source"] == "table", j
assert j["source"] == "estimate"
PY
"$WS" estimate --cpu-model "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz" --load 1 --json >"$TMP/full.json"
"$PY" -c "import json,sys; a=json.load(open('$TMP/e.json')); b=json.load(open('$TMP/full.json')); sys.exit(0 if b['dynamic_w'] > a['dynamic_w'] else 1)" \
  || fail "dynamic power does not grow with load"
expect_exit 2 "$WS" estimate --cpu-model x --load 1.5
expect_exit 2 "$WS" estimate --load 0.5
expect_exit 0 "$WS" estimate --cpu-model "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz" --load 0.5
grep -q "dynamic" "$TMP/out" || fail "text output lacks the dynamic figure"
echo "estimate cli: ok"
