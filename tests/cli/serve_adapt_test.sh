# `wattserve serve --adapt` with the zoo's pycode-tiny on llama.cpp: two variants loaded (f32
# with 2 threads, q4_0 with 1), profiles matched by id, the controller's decisions in the log and
# in /metrics with their reasons, requests answered throughout; bad flags exit 2 with a message
# (no profiles, a variant without a profile, --adapt-variants without --adapt, no SLO); the
# governor refuses a machine without cpufreq, and never writes without --allow-actuate.
source "$(dirname "$0")/lib.sh"
IFS=, read -ra engines <<<"${3-}"
if [[ " ${engines[*]} " != *" llama "* ]]; then
  expect_exit 2 "$WS" serve --model pycode-tiny --adapt-variants q4_0:1
  echo "serve --adapt: ok (no llama engine in this build: argument checks only)"
  exit 0
fi
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
[[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"

# Profiles for the two variants: made-up numbers where q4_0 on 1 thread is the cheaper.
"$PY" - "$TMP/p.json" <<'PY'
import json, sys
def v(id, quant, threads, step, busy):
    fit = {"r2": None, "points": 0, "holdout_mape": None, "data": "test"}
    return {"id": id, "family": "pycode", "model": "pycode-tiny", "size": "tiny", "quant": quant,
            "engine": "llama", "provider": "cpu", "kind": "text", "threads": threads, "parallel": 2,
            "context": 256,
            "step": {"base_s": step, "per_sequence_s": 0, "per_prompt_token_s": 0, "max_batch_seen": 2, "fit": fit},
            "prefill": {"base_s": step, "per_token_s": 0, "fit": fit},
            "power": {"idle_w": 30, "busy_w": busy, "per_sequence_w": 0, "source": "estimate", "fit": fit},
            "quality": None, "quality_metric": "", "measured_joules_per_request": None, "holdout_runs": []}
json.dump({"schema": "wattserve.profiles", "schema_version": 1, "machine": "test", "cores": 2,
           "energy_source": "estimate", "datasets": [],
           "variants": [v("pycode-tiny/f32/llama/cpu/t2/p2", "f32", 2, 0.001, 40),
                        v("pycode-tiny/q4_0/llama/cpu/t1/p2", "q4_0", 1, 0.002, 10)]},
          open(sys.argv[1], "w"))
PY

expect_exit 2 "$WS" serve --model pycode-tiny --adapt --slo-e2e 1
grep -q "adapt-profiles" "$TMP/err" || fail "--adapt without profiles: $(cat "$TMP/err")"
expect_exit 2 "$WS" serve --model pycode-tiny --parallel 2 --adapt --adapt-profiles "$TMP/p.json"
grep -q "slo-e2e" "$TMP/err" || fail "--adapt without an SLO: $(cat "$TMP/err")"
expect_exit 2 "$WS" serve --model pycode-tiny --adapt-variants q4_0:1
grep -q "need --adapt" "$TMP/err" || fail "variants without --adapt: $(cat "$TMP/err")"
expect_exit 2 "$WS" serve --model pycode-tiny --parallel 2 --threads 2 --context 256 --adapt \
  --adapt-profiles "$TMP/p.json" --slo-e2e 1 --adapt-variants q8_0:1
grep -q "no profile for pycode-tiny/q8_0/llama/cpu/t1/p2" "$TMP/err" || fail "missing profile: $(cat "$TMP/err")"
expect_exit 2 "$WS" serve --model pycode-tiny --parallel 2 --threads 2 --context 256 --adapt \
  --adapt-profiles "$TMP/p.json" --slo-e2e 1 --adapt-variants q4_0:x
grep -q "QUANT\[:THREADS\]" "$TMP/err" || fail "bad variant: $(cat "$TMP/err")"
if [[ ! -e /sys/devices/system/cpu/cpufreq/policy0 ]]; then
  expect_exit 2 "$WS" serve --model pycode-tiny --parallel 2 --threads 2 --context 256 --adapt \
    --adapt-profiles "$TMP/p.json" --slo-e2e 1 --governor cpufreq
  grep -qi "cpufreq" "$TMP/err" || fail "governor without cpufreq: $(cat "$TMP/err")"
fi

PID=""
trap '[[ -n $PID ]] && kill -9 $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$WS" serve --model pycode-tiny --parallel 2 --threads 2 --context 256 --port 0 --ready-file "$TMP/url" \
  --adapt --adapt-profiles "$TMP/p.json" --slo-e2e 1 --adapt-variants q4_0:1 --adapt-period 0.2 \
  2>"$TMP/serve.log" &
PID=$!
for _ in $(seq 600); do [[ -s $TMP/url ]] && break; kill -0 $PID 2>/dev/null || break; sleep 0.05; done
[[ -s $TMP/url ]] || { cat "$TMP/serve.log" >&2; fail "the server did not start"; }
URL=$(cat "$TMP/url")
for i in $(seq 8); do
  code=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"model":"pycode-tiny","prompt":"def f(","max_tokens":4}' "$URL/v1/completions")
  [[ $code == 200 ]] || fail "completion $i: $code $(cat "$TMP/body")"
done
for _ in $(seq 100); do grep -q "switch to" "$TMP/serve.log" && break; sleep 0.05; done
grep -q "adapt: pycode-tiny@q4_0-t1" "$TMP/serve.log" || fail "the variant was not loaded: $(cat "$TMP/serve.log")"
grep -q "adapt pycode-tiny: switch to pycode-tiny@q4_0-t1 .*least predicted energy" "$TMP/serve.log" ||
  fail "no decision with its reason in the log: $(cat "$TMP/serve.log")"
curl -s "$URL/metrics" >"$TMP/metrics"
grep -q 'wattserve_adapt_active{model="pycode-tiny",option="pycode-tiny@q4_0-t1"} 1' "$TMP/metrics" ||
  fail "/metrics: $(grep adapt "$TMP/metrics")"
grep -q 'wattserve_adapt_last_decision_info{model="pycode-tiny"' "$TMP/metrics" || fail "no decision info"
if command -v promtool >/dev/null; then
  promtool check metrics <"$TMP/metrics" >"$TMP/promtool" 2>&1 || fail "promtool: $(cat "$TMP/promtool")"
fi
kill -TERM $PID
wait $PID || fail "the server exited $? on SIGTERM"
PID=""
echo "serve --adapt: ok"
