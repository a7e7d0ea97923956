# Real run records validate against schemas/run-record.schema.json (JSON Schema 2020-12, Debian
# python3-jsonschema), and their figures agree with the formulas of docs/record.md:
#   - `measure --json`: a plain run; one with an idle baseline and process attribution on the
#     estimate (fake empty sysfs); a command that fails (status "failed", its exit code);
#   - `run --json` of a text model and a tensor model from the zoo, on the engines this build has;
#   - every *.json in $BENCH_RECORDS_DIR (a bench dataset's runs/ folder), when it is set.
# Fails when the zoo is missing and this build has an engine to run it on.
source "$(dirname "$0")/lib.sh"
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
SCHEMA=$SRC/schemas/run-record.schema.json
IFS=, read -ra engines <<<"${3-}"
has() { [[ " ${engines[*]} " == *" $1 "* ]]; }
"$PY" -c 'import jsonschema' 2>/dev/null || fail "python3-jsonschema is missing (scripts/setup.sh installs it)"

# validate KIND FILE...: each file is one record of KIND, valid and consistent.
validate() {
  "$PY" - "$SCHEMA" "$@" <<'PY' || fail "invalid record(s): ${*:2}"
import json, math, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
kind, files, bad = sys.argv[2], sys.argv[3:], 0
def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))
for f in files:
    r = json.load(open(f))
    errors = sorted(validator.iter_errors(r), key=lambda e: list(e.absolute_path))
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors]
    if not problems and kind != "any" and r["kind"] != kind:
        problems.append(f"kind {r['kind']}, expected {kind}")
    e, c = r["energy"], r["carbon"]
    if not problems and e is not None:
        counted = sum(d["joules"] for d in e["domains"] if d["counted"])
        if not close(e["joules"], counted, 1e-6):
            problems.append(f"energy.joules {e['joules']} != sum of counted domains {counted}")
        if not close(e["kwh"], e["joules"] / 3.6e6):
            problems.append("energy.kwh != joules / 3.6e6")
        if e["duration_s"] > 0 and not close(e["avg_watts"], e["joules"] / e["duration_s"], 1e-6):
            problems.append("energy.avg_watts != joules / duration_s")
        if (e["dynamic_joules"] is None) != (e["idle_baseline"] is None):
            problems.append("dynamic_joules and idle_baseline disagree on the baseline")
        if c is not None:
            want = e["joules"] / 3.6e6 * c["pue"] * c["g_per_kwh"] / 1000
            if not close(c["emissions_kg"], want):
                problems.append(f"carbon.emissions_kg {c['emissions_kg']} != {want}")
    for p in problems:
        print(f"{f}: {p}", file=sys.stderr)
    bad += bool(problems)
sys.exit(1 if bad else 0)
PY
}

# measure: the machine's own sensors, whatever they are.
expect_exit 0 "$WS" measure -q --json "$TMP/measure.json" -- sleep 0.2
validate measure "$TMP/measure.json"
json_get "$TMP/measure.json" 'j["status"] == "ok" and j["error"] is None and j["exit_code"] == 0 and j["command"] == ["sleep", "0.2"] and j["software"]["engines"] == {}' \
  | grep -q True || fail "measure record: $(cat "$TMP/measure.json")"
# The estimate on an empty sysfs, with an idle baseline and the command tree's share.
mkdir -p "$TMP/sys"
expect_exit 0 "$WS" measure -q --sysfs-root "$TMP/sys" --nvml-lib /nonexistent/libnvidia-ml.so.1 \
  --idle 0.3 --json "$TMP/idle.json" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
validate measure "$TMP/idle.json"
json_get "$TMP/idle.json" 'j["energy"]["source"] == "estimate" and len(j["energy"]["estimate_reason"]) > 0 and j["energy"]["dynamic_joules"] is not None and j["energy"]["idle_baseline"]["duration_s"] > 0.25 and j["process"]["joules"] >= 0 and j["machine"]["frequency_governor"] == "none" and j["config"]["idle_s"] == 0.3' \
  | grep -q True || fail "measure record with a baseline: $(cat "$TMP/idle.json")"
# A command that fails: still a record, marked failed with the exit code.
expect_exit 3 "$WS" measure -q --json "$TMP/failed.json" -- sh -c 'exit 3'
validate measure "$TMP/failed.json"
json_get "$TMP/failed.json" 'j["status"] == "failed" and "3" in j["error"] and j["exit_code"] == 3' \
  | grep -q True || fail "failed command: $(cat "$TMP/failed.json")"
checked=3

# run: a text model and a tensor model on the first engine this build has for each.
if ((${#engines[@]})); then
  [[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"
fi
for e in llama onnx torch; do
  has $e || continue
  expect_exit 0 "$WS" run --model pycode-tiny --engine $e --prompt "import os" --temperature 0 \
    --ignore-eos --max-tokens 8 --threads 2 --idle 0.2 --json
  cp "$TMP/out" "$TMP/run-text.json"
  validate run "$TMP/run-text.json"
  json_get "$TMP/run-text.json" "j['config']['engine'] == '$e' and j['config']['model_kind'] == 'text' and '$e' in j['software']['engines'] and j['metrics']['output_tokens'] == 8 and abs(j['metrics']['joules_per_output_token'] - j['energy']['joules'] / 8) < 1e-9 * max(1, j['energy']['joules']) and abs(j['metrics']['joules_per_token'] - j['energy']['joules'] / (8 + j['metrics']['input_tokens'])) < 1e-9 * max(1, j['energy']['joules']) and j['energy']['dynamic_joules'] is not None" \
    | grep -q True || fail "$e text run record: $(cat "$TMP/run-text.json")"
  checked=$((checked + 1))
  break
done
for e in onnx torch; do
  has $e || continue
  expect_exit 0 "$WS" run --model fmnist-cnn-tiny --engine $e --batch 16 --json
  cp "$TMP/out" "$TMP/run-tensor.json"
  validate run "$TMP/run-tensor.json"
  json_get "$TMP/run-tensor.json" "j['config']['model_kind'] == 'tensor' and j['metrics']['items'] == 64 and j['metrics']['batches'] == 4 and 0 <= j['metrics']['accuracy'] <= 1 and abs(j['metrics']['joules_per_item'] - j['energy']['joules'] / 64) < 1e-9 * max(1, j['energy']['joules'])" \
    | grep -q True || fail "$e tensor run record: $(cat "$TMP/run-tensor.json")"
  checked=$((checked + 1))
  break
done

# bench: a dataset's records, when given.
if [[ -n ${BENCH_RECORDS_DIR:-} ]]; then
  shopt -s nullglob
  records=("$BENCH_RECORDS_DIR"/*.json)
  ((${#records[@]})) || fail "no *.json in BENCH_RECORDS_DIR=$BENCH_RECORDS_DIR"
  validate bench "${records[@]}"
  checked=$((checked + ${#records[@]}))
fi
echo "run record schema: ok ($checked records)"
