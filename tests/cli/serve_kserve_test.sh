# `wattserve serve` speaks KServe Open Inference Protocol v2 over loopback: server and model
# metadata and health; the zoo classifier answers 64 one-image requests sent 16 at a time
# (dynamically batched) with the classes eager PyTorch gave, each with parameters.energy; a text
# model answers through "text_input"; the OCR pipeline reads images as `wattserve ocr` does; bad
# tensors are 400 and unknown models 404.
source "$(dirname "$0")/lib.sh"
IFS=, read -ra engines <<<"${3-}"
if [[ " ${engines[*]} " != *" onnx "* || " ${engines[*]} " != *" llama "* ]]; then
  echo "serve kserve: skipped (needs the onnx and llama engines)"
  exit 0
fi
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
[[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"
PID=""
trap '[[ -n $PID ]] && kill -9 $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$WS" serve --model fmnist-cnn-small --engine onnx --model pycode-tiny --model ppocr-v4 --threads 2 --port 0 \
  --max-batch 16 --max-wait-ms 20 --ready-file "$TMP/url" 2>"$TMP/serve.log" &
PID=$!
for _ in $(seq 600); do [[ -s $TMP/url ]] && break; kill -0 $PID 2>/dev/null || break; sleep 0.05; done
[[ -s $TMP/url ]] || { cat "$TMP/serve.log" >&2; fail "the server did not start"; }
URL=$(cat "$TMP/url")
get() { curl -s -o "$TMP/body" -w '%{http_code}' "$URL$1"; }
post() { curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "$URL$1"; }

[[ $(get /v2) == 200 ]] && json_get "$TMP/body" "j['name']" | grep -q wattserve || fail "/v2"
[[ $(get /v2/health/ready) == 200 && $(get /v2/health/live) == 200 ]] || fail "health"
[[ $(get /v2/models/fmnist-cnn-small/ready) == 200 ]] || fail "model ready"
[[ $(get /v2/models/nope/ready) == 404 ]] || fail "unknown model is not 404"
[[ $(get /v2/models/fmnist-cnn-small) == 200 ]] && json_get "$TMP/body" "j['inputs'][0]['shape']" | grep -q "28, 28" \
  || fail "model metadata: $(cat "$TMP/body")"

# One request per sample image, 16 at a time.
"$PY" - "$ZOO" "$TMP" <<'PY'
import json, sys
import numpy as np
zoo, tmp = sys.argv[1:]
x = np.load(f"{zoo}/classifier/fmnist-sample-images.npy")
for i in range(len(x)):
    body = {"id": f"img{i}", "inputs": [{"name": "image", "shape": [1, 1, 28, 28], "datatype": "FP32",
                                         "data": x[i].flatten().tolist()}]}
    json.dump(body, open(f"{tmp}/req{i}.json", "w"))
PY
seq 0 63 | xargs -P 16 -I{} curl -s -o "$TMP/res{}.json" -w '%{http_code}\n' -H 'Content-Type: application/json' \
  --data-binary @"$TMP/req{}.json" "$URL/v2/models/fmnist-cnn-small/infer" >"$TMP/codes"
[[ $(sort -u "$TMP/codes") == 200 ]] || fail "statuses: $(sort "$TMP/codes" | uniq -c)"
"$PY" - "$ZOO" "$TMP" <<'PY' || fail "classifier answers differ from eager PyTorch"
import json, sys
zoo, tmp = sys.argv[1:]
want = json.load(open(f"{zoo}/classifier/fmnist-cnn-small.sample.json"))["argmax"]
rows = []
for i in range(64):
    r = json.load(open(f"{tmp}/res{i}.json"))
    assert r["id"] == f"img{i}", r.get("id")
    logits = r["outputs"][0]["data"]
    assert r["outputs"][0]["shape"] == [1, 10]
    assert logits.index(max(logits)) == want[i], (i, logits)
    e = r["parameters"]["energy"]
    assert e["joules"] > 0 and e["source"], e
    rows.append(e["batch_rows"])
print(f"64 images ok; batch sizes seen: {sorted(set(rows))}")
PY
[[ $(post /v2/models/fmnist-cnn-small/infer '{"inputs":[{"name":"image","shape":[1,2],"datatype":"FP32","data":[1,2]}]}') == 400 ]] \
  || fail "a wrong shape is not 400: $(cat "$TMP/body")"
[[ $(post /v2/models/fmnist-cnn-small/infer '{"inputs":[{"name":"image","shape":[1],"datatype":"FP32","data":[1,2]}]}') == 400 ]] \
  || fail "data that does not fit its shape is not 400"
[[ $(post /v2/models/nope/infer '{"inputs":[]}') == 404 ]] || fail "unknown model infer is not 404"
[[ $(post /v2/models/pycode-tiny/infer '{"inputs":[{"name":"text_input","datatype":"BYTES","shape":[1],"data":["import os"]}],"parameters":{"max_tokens":6,"temperature":0,"ignore_eos":true}}') == 200 ]] \
  || fail "text infer: $(cat "$TMP/body")"
json_get "$TMP/body" "j['outputs'][0]['name'] == 'text_output' and j['parameters']['completion_tokens'] == 6 and j['parameters']['energy']['joules'] > 0" \
  | grep -q True || fail "text infer body: $(cat "$TMP/body")"
# The OCR pipeline as one model: two rendered images in one request read as `wattserve ocr` reads
# them, the text as BYTES strings.
[[ $(get /v2/models/ppocr-v4) == 200 ]] && json_get "$TMP/body" "[o['datatype'] for o in j['outputs'] if o['name'] == 'text']" | grep -q BYTES \
  || fail "OCR model metadata: $(cat "$TMP/body")"
imgs=("$ZOO"/ocr/images/dejavu-sans-32-00.png "$ZOO"/ocr/images/dejavu-sans-32-01.png)
"$WS" ocr --json "${imgs[@]}" >"$TMP/ocr.json" || fail "wattserve ocr"
"$PY" - "$URL" "$TMP/ocr.json" "${imgs[@]}" <<'PY' || fail "OCR over KServe"
import json, sys, urllib.error, urllib.request
from PIL import Image
url, expected, paths = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3:]
ims = [Image.open(p).convert("RGB") for p in paths]
assert len({im.size for im in ims}) == 1, "the test images must share a size to batch"
w, h = ims[0].size
data = [float(v) for im in ims for px in im.getdata() for v in px]
body = {"inputs": [{"name": "image", "shape": [len(ims), h, w, 3], "datatype": "FP32", "data": data}]}
req = urllib.request.Request(url + "/v2/models/ppocr-v4/infer", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"})
j = json.load(urllib.request.urlopen(req, timeout=120))
out = {o["name"]: o for o in j["outputs"]}
lines = out["text"]["shape"][1]
for i, r in enumerate(expected["results"]):
    got = [t for t, s in zip(out["text"]["data"][i * lines:(i + 1) * lines],
                             out["scores"]["data"][i * lines:(i + 1) * lines]) if s > 0]
    want = [l["text"] for l in r["lines"]]
    assert got == want, (got, want)
assert j["parameters"]["energy"]["joules"] > 0 and j["parameters"]["energy"]["batch_rows"] == 2
print("OCR over KServe:", out["text"]["data"])

def batches():
    m = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
    return sum(float(l.split()[-1]) for l in m.splitlines()
               if l.startswith('wattserve_batch_size_count{model="ppocr-v4"'))
# The output by its public name (the one in the metadata and in responses): only it comes back.
body["outputs"] = [{"name": "text"}]
req = urllib.request.Request(url + "/v2/models/ppocr-v4/infer", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"})
j = json.load(urllib.request.urlopen(req, timeout=120))
assert [o["name"] for o in j["outputs"]] == ["text"], j["outputs"]
# An unknown output name is refused before any inference runs.
before = batches()
body["outputs"] = [{"name": "nope"}]
req = urllib.request.Request(url + "/v2/models/ppocr-v4/infer", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"})
try:
    urllib.request.urlopen(req, timeout=120)
    raise AssertionError("an unknown output name was accepted")
except urllib.error.HTTPError as e:
    assert e.code == 400, e.code
    assert "nope" in json.load(e)["error"]
assert batches() == before, "the model ran for a request with an unknown output"
PY
curl -s "$URL/metrics" | promtool check metrics 2>/dev/null || { command -v promtool >/dev/null && fail "promtool rejects /metrics"; }
kill -TERM $PID && wait $PID && PID=""
echo "serve kserve: ok"
