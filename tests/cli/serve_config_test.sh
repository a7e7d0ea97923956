# `wattserve serve --config examples/serve.toml` (the README's example, with --port 0 overriding
# its port): both models served under their names with their settings, SLO attainment and the
# length predictor's accuracy in /metrics; a broken config file exits 2 naming the line.
source "$(dirname "$0")/lib.sh"
IFS=, read -ra engines <<<"${3-}"
printf '[server]\nprot = 1\n' >"$TMP/bad.toml"
expect_exit 2 "$WS" serve --config "$TMP/bad.toml"
grep -q "bad.toml:2:1: unknown key 'prot' in server" "$TMP/err" || fail "bad key: $(cat "$TMP/err")"
expect_exit 2 "$WS" serve
grep -q "nothing to serve" "$TMP/err" || fail "no models: $(cat "$TMP/err")"
if [[ " ${engines[*]} " != *" llama "* || " ${engines[*]} " != *" onnx "* ]]; then
  echo "serve_config: ok (no llama and onnx engines in this build: file checks only)"
  exit 0
fi
PID=""
trap '[[ -n $PID ]] && kill -9 $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$WS" serve --config "$SRC/examples/serve.toml" --port 0 --ready-file "$TMP/url" 2>"$TMP/serve.log" &
PID=$!
for _ in $(seq 600); do [[ -s $TMP/url ]] && break; kill -0 $PID 2>/dev/null || break; sleep 0.05; done
[[ -s $TMP/url ]] || { cat "$TMP/serve.log" >&2; fail "the server did not start"; }
URL=$(cat "$TMP/url")
grep -q "pycode-small -> .*pycode-small-q8_0.gguf on llama (cpu; 4 sequences per step, sjf)" "$TMP/serve.log" \
  || fail "text model settings: $(cat "$TMP/serve.log")"
grep -q "fashion -> .*fmnist-cnn-tiny.onnx on onnx (cpu; batches of up to 32 rows)" "$TMP/serve.log" \
  || fail "tensor model settings: $(cat "$TMP/serve.log")"
curl -s "$URL/v1/models" | "$PY" -c 'import json,sys; ids=sorted(m["id"] for m in json.load(sys.stdin)["data"]); assert ids == ["fashion","pycode-small"], ids' \
  || fail "served names"
seq 24 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
  -d '{"model":"pycode-small","prompt":"def f{}(","max_tokens":{},"temperature":0}' \
  "$URL/v1/completions" >"$TMP/codes"
[[ $(sort -u "$TMP/codes") == 200 ]] || fail "statuses: $(sort "$TMP/codes" | uniq -c)"
curl -s -o "$TMP/body" -w '%{http_code}' "$URL/v2/models/fashion/ready" >"$TMP/status"
[[ $(cat "$TMP/status") == 200 ]] || fail "KServe model not ready: $(cat "$TMP/status")"
curl -s "$URL/metrics" >"$TMP/metrics"
for want in 'wattserve_slo_attainment_ratio{model="pycode-small",slo="ttft"}' \
            'wattserve_slo_attainment_ratio{model="pycode-small",slo="e2e"}' \
            'wattserve_output_length_mae_tokens{model="pycode-small",predictor="online"}' \
            'wattserve_output_length_prediction_error_tokens_count{model="pycode-small"} 24'; do
  grep -qF "$want" "$TMP/metrics" || fail "no $want in /metrics"
done
if command -v promtool >/dev/null; then promtool check metrics <"$TMP/metrics" || fail "promtool"; fi
kill -TERM $PID
wait $PID || fail "the server exited $? on SIGTERM"
PID=""
echo "serve_config: ok"
