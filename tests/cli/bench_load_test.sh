# `wattserve bench` against servers: the load generator's arrivals, seen by a fake server on
# loopback (tests/bench/fake_openai_server.py), match Poisson and gamma by SciPy's
# Kolmogorov-Smirnov test (and constant-rate arrivals do not pass as Poisson); every run records
# its pacing; a server that dies mid-run gives a failed run and the sweep goes on; trace replay
# sends the trace's requests, and a bad trace row or an empty trace is refused (exit 2) naming
# FILE:LINE; with the llama engine: the serve target (wattserve serve, /metrics scraped, the
# responses' energy) and the external target (llama.cpp's llama-server) on a zoo model.
source "$(dirname "$0")/lib.sh"
IFS=, read -ra engines <<<"${3-}"
has() { [[ " ${engines[*]} " == *" $1 "* ]]; }
FAKE=$SRC/tests/bench/fake_openai_server.py
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
"$PY" "$FAKE" --port "$PORT" --record "$TMP/arrivals.txt" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.1
done

cat >"$TMP/url.toml" <<EOF
[study]
name = "load-url"
[target]
kind = "url"
url = "http://127.0.0.1:$PORT"
[load]
kind = "poisson"
rate = 25.0
requests = 300
input_tokens = 8
output_tokens = 2
warmup_requests = 0
seed = 7
[protocol]
warmup_runs = 0
idle_s = 0
EOF

# arrivals KIND: runs the url study with --set load.kind=KIND (and more --set), keeps the arrivals.
arrivals() {
  local kind=$1; shift
  : >"$TMP/arrivals.txt"
  rm -rf "$TMP/d-$kind"
  expect_exit 0 "$WS" bench "$TMP/url.toml" --out "$TMP/d-$kind" -q --set load.kind="$kind" "$@"
  cp "$TMP/arrivals.txt" "$TMP/arrivals-$kind.txt"
}
arrivals poisson
arrivals gamma --set load.cv=1.5
arrivals constant
"$PY" - "$TMP" <<'EOF' || fail "arrival distributions"
import sys
import numpy as np
from scipy import stats
t = sys.argv[1]
rate = 25.0
def gaps(kind):
    a = np.sort(np.loadtxt(f"{t}/arrivals-{kind}.txt"))
    assert len(a) == 300, (kind, len(a))
    return np.diff(a)
p = stats.kstest(gaps("poisson"), stats.expon(scale=1 / rate).cdf).pvalue
assert p > 0.01, ("poisson", p)
k = 1 / 1.5 ** 2
p = stats.kstest(gaps("gamma"), stats.gamma(a=k, scale=1 / (rate * k)).cdf).pvalue
assert p > 0.01, ("gamma", p)
p = stats.kstest(gaps("constant"), stats.expon(scale=1 / rate).cdf).pvalue
assert p < 1e-6, ("constant arrivals passed as Poisson", p)
print("KS ok")
EOF

# Every run records its pacing (lateness of each send against the schedule).
"$PY" - "$TMP/d-poisson" <<'EOF' || fail "pacing in the record"
import csv, glob, json, sys
d = sys.argv[1]
[rec] = [json.load(open(f)) for f in glob.glob(f"{d}/runs/*.json")]
p = rec["serving"]["pacing"]
assert p["n"] == 300 and p["unit"] == "ms" and 0 <= p["p50"] <= p["p99"] <= p["max"], p
assert rec["timings"]["lateness_ms"] == p
assert rec["metrics"]["requests_ok"] == 300 and rec["metrics"]["output_tokens"] == 600, rec["metrics"]
assert rec["serving"]["windows"]["full"]["requests"] > 299.9, rec["serving"]["windows"]
rows = list(csv.DictReader(open(glob.glob(f"{d}/requests/*.csv")[0])))
assert len(rows) == 300 and all(float(r["lateness_ms"]) >= 0 for r in rows)
runs = list(csv.DictReader(open(f"{d}/runs.csv")))
assert "timings.lateness_ms.p99" in runs[0] and "serving.pacing.p99" not in runs[0], list(runs[0])
EOF

# Trace replay: an Azure-format CSV's requests, on its schedule.
{
  echo "TIMESTAMP,ContextTokens,GeneratedTokens"
  for i in $(seq 0 19); do printf '2023-11-16 18:15:%02d.%07d,%d,%d\n' $((i / 10)) $((i % 10 * 1000000)) $((10 + i)) $((1 + i % 3)); done
} >"$TMP/trace.csv"
rm -rf "$TMP/d-trace"
expect_exit 0 "$WS" bench "$TMP/url.toml" --out "$TMP/d-trace" -q --set load.kind=trace \
  --set load.trace="$TMP/trace.csv" --set load.requests=0 --set load.rate_scale=4
"$PY" - "$TMP/d-trace" <<'EOF' || fail "trace replay"
import csv, glob, json, sys
d = sys.argv[1]
[rec] = [json.load(open(f)) for f in glob.glob(f"{d}/runs/*.json")]
assert rec["serving"]["load"]["requests"] == 20, rec["serving"]["load"]
rows = sorted(csv.DictReader(open(glob.glob(f"{d}/requests/*.csv")[0])), key=lambda r: int(r["index"]))
# 0.1 s apart in the trace, 4x the rate: 0.025 s apart.
for i, r in enumerate(rows):
    assert abs(float(r["scheduled_s"]) - 0.025 * i) < 1e-6, (i, r["scheduled_s"])
    assert int(r["planned_output_tokens"]) == 1 + i % 3 and int(r["output_tokens"]) == 1 + i % 3
EOF
sed '3s/.*/2023-11-16 18:15:00.2,12,x/' "$TMP/trace.csv" >"$TMP/bad.csv"
expect_exit 2 "$WS" bench "$TMP/url.toml" --out "$TMP/d-bad" --set load.kind=trace --set load.trace="$TMP/bad.csv"
grep -q "bad.csv:3" "$TMP/err" || fail "a bad trace row: $(cat "$TMP/err")"
head -1 "$TMP/trace.csv" >"$TMP/empty.csv"
expect_exit 2 "$WS" bench "$TMP/url.toml" --out "$TMP/d-bad" --set load.kind=trace --set load.trace="$TMP/empty.csv"
grep -q "empty.csv: the trace has no requests" "$TMP/err" || fail "an empty trace: $(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$TMP/url.toml" --out "$TMP/d-bad" --set target.url=https://127.0.0.1:1
grep -q "not an http://HOST" "$TMP/err" || fail "a bad URL: $(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$TMP/url.toml" --out "$TMP/d-bad" --set target.kind=external --set 'target.command=srv --port {prot}'
grep -q "unknown placeholder {prot}" "$TMP/err" || fail "an unknown placeholder: $(cat "$TMP/err")"
[[ ! -e $TMP/d-bad ]] || fail "a refused study left a dataset folder"

# A server that dies mid-run: that run is recorded as failed, the next one runs.
cat >"$TMP/dies.toml" <<EOF
[study]
name = "load-dies"
[target]
kind = "external"
ready_timeout_s = 30
[load]
kind = "closed"
streams = 1
requests = 12
input_tokens = 8
output_tokens = 2
warmup_requests = 0
[factors]
"target.command" = ["$PY $FAKE --port {port} --die-after 5", "$PY $FAKE --port {port}"]
[protocol]
warmup_runs = 0
idle_s = 0
order = "sequential"
EOF
expect_exit 1 "$WS" bench "$TMP/dies.toml" --out "$TMP/d-dies" -q
"$PY" - "$TMP/d-dies" <<'EOF' || fail "a server that dies"
import glob, json, sys
recs = sorted((json.load(open(f)) for f in glob.glob(f"{sys.argv[1]}/runs/*.json")), key=lambda r: r["order"])
assert [r["status"] for r in recs] == ["failed", "ok"], [(r["status"], r.get("error")) for r in recs]
assert "the server exited during the run" in recs[0]["error"], recs[0]["error"]
assert recs[0]["energy"]["joules"] > 0  # measured before it failed: its energy counts
assert recs[1]["serving"]["process"]["root_pid"] > 0
EOF

has llama || { echo "SKIP: the serve and external targets need the llama engine"; exit 0; }
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
[[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"
WATTSERVE_DEPS=${WATTSERVE_DEPS:-/opt/wattserve-deps}
LS=${WATTSERVE_LLAMA_SERVER:-$WATTSERVE_DEPS/llama.cpp/bench-build/bin/llama-server}
[[ -x $LS ]] || fail "no llama-server at $LS: scripts/setup.sh builds it"
cat >"$TMP/servers.toml" <<EOF
[study]
name = "load-servers"
[model]
model = "pycode-tiny"
engine = "llama"
threads = 2
parallel = 2
context = 128
[sampling]
temperature = 0.0
[target]
command = "{llama_server} -m {model_file} -t {threads} -c {context_total} -np {parallel} --host 127.0.0.1 --port {port} --no-webui"
ready_timeout_s = 60
[load]
kind = "closed"
streams = 2
requests = 6
input_tokens = 16
output_tokens = 12
[factors]
"target.kind" = ["serve", "external"]
[serve]
schedule = "oracle"
[protocol]
warmup_runs = 0
idle_s = 0
order = "sequential"
EOF
expect_exit 0 "$WS" bench "$TMP/servers.toml" --out "$TMP/d-servers" -q
"$PY" - "$TMP/d-servers" <<'EOF' || fail "serve and external targets"
import csv, glob, json, sys
d = sys.argv[1]
recs = {json.load(open(f))["serving"]["target"]["kind"]: json.load(open(f)) for f in glob.glob(f"{d}/runs/*.json")}
s, e = recs["serve"], recs["external"]
assert s["serving"]["length_control"] == "extension" and e["serving"]["length_control"] == "ignore_eos"
for r in (s, e):
    m = r["metrics"]
    assert m["requests_ok"] == 6 and m["output_tokens"] == 72, (r["serving"]["target"], m)
    assert r["serving"]["process"]["joules"] > 0 and r["timings"]["ttft_s"]["n"] == 6
    rid = r["run_id"]
    rows = list(csv.DictReader(open(f"{d}/requests/{rid}.csv")))
    assert all(int(x["prompt_tokens"]) in (16, 17) for x in rows), [x["prompt_tokens"] for x in rows]
# Our server reports each request's energy; the scrape shows the 6 requests (+1 warm-up before).
assert s["metrics"]["response_joules_per_request"] > 0
delta = s["serving"]["server_metrics"]
n = sum(v for k, v in delta.items() if k.startswith("wattserve_requests_total") and 'status="200"' in k)
assert n == 6, {k: v for k, v in delta.items() if "requests_total" in k}
assert e["metrics"]["response_joules_per_request"] is None
assert "llama-server" in e["config"]["target"]["command"]
EOF
# Every record of a served run (ok and failed) is valid against the run-record schema.
"$PY" - "$SRC/schemas/run-record.schema.json" "$TMP" <<'EOF' || fail "served records against the schema"
import glob, json, sys
import jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])), format_checker=jsonschema.FormatChecker())
files = glob.glob(f"{sys.argv[2]}/d-*/runs/*.json")
assert len(files) >= 7, files
for f in files:
    errs = sorted(v.iter_errors(json.load(open(f))), key=str)
    assert not errs, (f, [e.message for e in errs[:3]])
EOF
echo "bench load: ok"
