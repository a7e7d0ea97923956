# `wattserve serve` on real loopback HTTP with the zoo's pycode-tiny on llama.cpp: the OpenAI
# API (completions, chat, SSE streaming with usage), usage.energy in every response, errors as
# OpenAI error bodies with the right status (400, 401, 404, 413), /metrics in Prometheus text
# format (checked by promtool when installed), concurrent requests (200, 16 at a time) with no
# 5xx, batched several per decode step, whose per-request energies add up to the meter's total,
# hostile input (huge numbers, a 10 MB body, a slow client), and a clean stop on SIGTERM.
source "$(dirname "$0")/lib.sh"
IFS=, read -ra engines <<<"${3-}"
if [[ " ${engines[*]} " != *" llama "* ]]; then
  expect_exit 2 "$WS" serve --model pycode-tiny --host 0.0.0.0
  grep -q "api-key" "$TMP/err" || fail "a public address without an API key is not refused"
  echo "serve: ok (no llama engine in this build: argument checks only)"
  exit 0
fi
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
[[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"

PID=""
trap '[[ -n $PID ]] && kill -9 $PID 2>/dev/null; rm -rf "$TMP"' EXIT  # never leave a server behind
start_server() {  # ARGS... -> $URL, $PID
  rm -f "$TMP/url"
  "$WS" serve --model pycode-tiny --port 0 --threads 2 --ready-file "$TMP/url" "$@" 2>"$TMP/serve.log" &
  PID=$!
  for _ in $(seq 600); do [[ -s $TMP/url ]] && break; kill -0 $PID 2>/dev/null || break; sleep 0.05; done
  [[ -s $TMP/url ]] || { cat "$TMP/serve.log" >&2; fail "the server did not start"; }
  URL=$(cat "$TMP/url")
}
stop_server() {
  kill -TERM $PID
  local rc=0
  wait $PID || rc=$?
  PID=""
  [[ $rc == 0 ]] || { cat "$TMP/serve.log" >&2; fail "the server exited $rc on SIGTERM"; }
}
post() {  # PATH BODY [curl args] -> body in $TMP/body, status in $TMP/status
  curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' "${@:3}" \
    -d "$2" "$URL$1" >"$TMP/status"
}
status() { cat "$TMP/status"; }

start_server --max-body 65536
post /v1/completions '{"model":"pycode-tiny","prompt":"import os\n\n\ndef ","max_tokens":8,"temperature":0,"ignore_eos":true}'
[[ $(status) == 200 ]] || fail "completion: $(status) $(cat "$TMP/body")"
json_get "$TMP/body" "j['object'] == 'text_completion' and j['usage']['completion_tokens'] == 8 and j['usage']['energy']['joules'] > 0 and j['usage']['energy']['source'] in ('counter','integrated','estimate')" | grep -q True \
  || fail "completion body: $(cat "$TMP/body")"
# usage.energy.devices: the joules by device, each with its source; this machine's meter has
# CPU-side domains only (a GPU machine adds "gpu" with NVML's counter).
json_get "$TMP/body" "(lambda e: set(e['devices']) <= {'cpu', 'gpu', 'system'} and 'cpu' in e['devices'] and abs(sum(p['joules'] for p in e['devices'].values()) - e['joules']) <= 1e-9 * e['joules'] and all(p['source'] in ('counter', 'power', 'estimate') for p in e['devices'].values()))(j['usage']['energy'])" | grep -q True \
  || fail "usage.energy.devices: $(cat "$TMP/body")"
post /v1/chat/completions '{"model":"pycode-tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":4}'
[[ $(status) == 200 ]] && json_get "$TMP/body" "j['choices'][0]['message']['role'] == 'assistant' and 'energy' in j['usage']" | grep -q True \
  || fail "chat: $(cat "$TMP/body")"
# Streaming: chunks, then the usage chunk with energy, then [DONE].
curl -sN -H 'Content-Type: application/json' -d '{"model":"pycode-tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":6,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}' \
  "$URL/v1/chat/completions" >"$TMP/sse"
"$PY" - "$TMP/sse" <<'PY' || fail "stream: $(cat "$TMP/sse")"
import json, sys
events = [e[6:] for e in open(sys.argv[1]).read().split("\n\n") if e.startswith("data: ")]
assert events[-1] == "[DONE]", events[-1]
chunks = [json.loads(e) for e in events[:-1]]
assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
usage = chunks[-1]["usage"]
assert chunks[-1]["choices"] == [] and usage["completion_tokens"] == 6 and usage["energy"]["joules"] > 0
assert chunks[-2]["choices"][0]["finish_reason"] == "length"
PY
# Errors.
post /v1/completions '{"model":"nope","prompt":"x"}'
[[ $(status) == 404 ]] && json_get "$TMP/body" "j['error']['param']" | grep -q model || fail "unknown model: $(status)"
for bad in '{"model":"pycode-tiny","prompt":"x","max_tokens":-1}' '{"model":"pycode-tiny","prompt":' \
           '{"model":"pycode-tiny","prompt":"x","max_tokens":1e300}' '{"model":"pycode-tiny","prompt":"x","top_p":99999999999999999999}' \
           '{"model":"pycode-tiny","prompt":"x","temperature":"hot"}' '[]'; do
  post /v1/completions "$bad"
  [[ $(status) == 400 ]] && json_get "$TMP/body" "j['error']['type']" | grep -q invalid_request_error \
    || fail "'$bad' -> $(status) $(cat "$TMP/body")"
done
head -c 200000 /dev/zero | tr '\0' a >"$TMP/big"
curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/big" \
  "$URL/v1/completions" >"$TMP/status"
[[ $(status) == 413 ]] || fail "a 200 kB body with --max-body 65536 -> $(status)"
head -c 10000000 /dev/zero | tr '\0' a >"$TMP/big"
curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/big" \
  "$URL/v1/completions" >"$TMP/status"
[[ $(status) == 413 ]] || fail "a 10 MB body -> $(status)"
# A slow client (half a request, then silence) holds one connection, not the server.
"$PY" - "$URL" <<'PY' || fail "a slow client blocks other requests"
import json, socket, sys, urllib.parse, urllib.request
u = urllib.parse.urlparse(sys.argv[1])
slow = socket.create_connection((u.hostname, u.port))
slow.sendall(b'POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"mod')
req = urllib.request.Request(sys.argv[1] + "/v1/completions", method="POST",
    data=json.dumps({"model": "pycode-tiny", "prompt": "x", "max_tokens": 2}).encode(),
    headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=30) as r:
    assert r.status == 200
slow.close()
PY
# Concurrency: 200 requests, 16 at a time; energies add up to the meter's total.
curl -s "$URL/metrics" >"$TMP/m0"
seq 200 | xargs -P 16 -I{} curl -s -o "$TMP/r{}.json" -w '%{http_code}\n' -H 'Content-Type: application/json' \
  -d '{"model":"pycode-tiny","prompt":"class A:\n    def ","max_tokens":128,"temperature":0.8,"seed":{},"ignore_eos":true}' \
  "$URL/v1/completions" >"$TMP/codes"
curl -s "$URL/metrics" >"$TMP/m1"
[[ $(sort -u "$TMP/codes") == 200 ]] || fail "concurrent load statuses: $(sort "$TMP/codes" | uniq -c)"
"$PY" - "$TMP" <<'PY' || fail "per-request energies do not add up"
import glob, json, sys
t = sys.argv[1]
def total(f):  # counted domains' energy from the exposition
    s = 0.0
    for line in open(f):
        if line.startswith("wattserve_energy_joules_total{"):
            s += float(line.rsplit(" ", 1)[1])
    return s
meter = total(f"{t}/m1") - total(f"{t}/m0")
reqs = [json.load(open(f)) for f in glob.glob(f"{t}/r*.json")]
assert len(reqs) == 200 and all(r["usage"]["completion_tokens"] == 128 for r in reqs)
attributed = sum(r["usage"]["energy"]["joules"] for r in reqs)
print(f"meter {meter:.3f} J, requests {attributed:.3f} J, ratio {attributed / meter:.4f}")
assert abs(attributed / meter - 1) < 0.01, (attributed, meter)
PY
curl -s "$URL/metrics" >"$TMP/metrics"
grep -q 'wattserve_requests_total{model="pycode-tiny",status="200"}' "$TMP/metrics" || fail "no request counter"
grep -q 'wattserve_request_energy_joules_total{model="pycode-tiny",status="200"}' "$TMP/metrics" || fail "no energy counter"
# Continuous batching: the load ran several sequences per decode step (--parallel 4 default).
"$PY" - "$TMP/metrics" <<'PY' || fail "no continuous batching under load"
import sys
m = {l.split(" ")[0]: float(l.split(" ")[1]) for l in open(sys.argv[1]) if l.startswith("wattserve_batch_size_")}
mean = m['wattserve_batch_size_sum{model="pycode-tiny"}'] / m['wattserve_batch_size_count{model="pycode-tiny"}']
print(f"mean sequences per decode step: {mean:.2f}")
assert mean > 2, mean
PY
grep -q 'wattserve_output_length_mae_tokens{model="pycode-tiny",predictor="online"}' "$TMP/metrics" \
  || fail "no output-length predictor accuracy in /metrics"
if command -v promtool >/dev/null; then
  promtool check metrics <"$TMP/metrics" || fail "promtool rejects /metrics"
fi
# The books balance: the requests' energy by status plus the unattributed (idle) energy is all
# the meter measured.
"$PY" - "$TMP/metrics" <<'PY' || fail "the energy books do not balance"
import sys
def total(name):
    return sum(float(l.split(" ")[-1]) for l in open(sys.argv[1])
               if l.startswith(name + "{") or l.startswith(name + " "))
req = total("wattserve_request_energy_joules_total")
idle = total("wattserve_unattributed_energy_joules_total")
meter = total("wattserve_meter_energy_joules_total")
print(f"requests {req:.3f} J + unattributed {idle:.3f} J = {req + idle:.3f} J; meter {meter:.3f} J")
assert meter > 0 and abs((req + idle) / meter - 1) < 0.01
PY
stop_server

# An API key guards the API.
start_server --api-key s3cret
post /v1/completions '{"model":"pycode-tiny","prompt":"x","max_tokens":1}'
[[ $(status) == 401 ]] || fail "no key -> $(status)"
post /v1/completions '{"model":"pycode-tiny","prompt":"x","max_tokens":1}' -H 'Authorization: Bearer s3cret'
[[ $(status) == 200 ]] || fail "right key -> $(status)"
stop_server
echo "serve: ok"
