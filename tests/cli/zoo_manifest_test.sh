# The demo model zoo (scripts/build_zoo.sh) is complete and its manifest is true: three pycode
# sizes in every format, three Fashion-MNIST classifiers with their recorded test accuracy, two
# shape replicas with the parameter counts of the real models, the PP-OCRv4 pipeline with its
# measured accuracy (when measured), every listed file present with
# the listed size and sha256; with llama.cpp built, each replica tokenizes llama.cpp's own test
# vector for its vocabulary as llama.cpp's reference says and generates. Fails when the zoo is
# missing.
source "$(dirname "$0")/lib.sh"
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
[[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"
"$PY" - "$ZOO" <<'PY' || fail "manifest check failed"
import hashlib, json, os, sys
zoo = sys.argv[1]
entries = json.load(open(os.path.join(zoo, "manifest.json")))["entries"]
by_model = {}
for e in entries:
    by_model.setdefault(e["model"], []).append(e)
    p = os.path.join(zoo, e["file"])
    assert os.path.isfile(p), p
    assert os.path.getsize(p) == e["file_bytes"], (p, e["file_bytes"])
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 22), b""):
            h.update(b)
    assert h.hexdigest() == e["sha256"], p
    for k in ("name", "family", "kind", "size", "format", "engines", "parameters", "licence", "provenance", "quality"):
        assert k in e and e[k] not in ("", None, []), (e["name"], k)
assert len({e["name"] for e in entries}) == len(entries), "duplicate names"
for s in ("tiny", "small", "base"):
    fmts = {e["format"] for e in by_model[f"pycode-{s}"]}
    assert fmts == {"gguf-f32", "gguf-q8_0", "gguf-q4_0", "onnx", "torchscript"}, (s, fmts)
    ppl = by_model[f"pycode-{s}"][0]["quality"]
    assert ppl["metric"] == "heldout_perplexity_per_token" and 1 < ppl["value"] < 4096, ppl
    cls = by_model[f"fmnist-cnn-{s}"]
    assert {e["format"] for e in cls} == {"onnx", "torchscript"}
    train = json.load(open(os.path.join(zoo, "classifier", f"fmnist-cnn-{s}.train.json")))
    for e in cls:
        assert e["quality"]["metric"] == "test_accuracy" and e["quality"]["value"] == train["test_accuracy"]
        assert 0.75 < e["quality"]["value"] < 1, e["quality"]
params = {m: es[0]["parameters"] for m, es in by_model.items()}
assert params["pycode-tiny"] < params["pycode-small"] < params["pycode-base"]
assert params["fmnist-cnn-tiny"] < params["fmnist-cnn-small"] < params["fmnist-cnn-base"]
# GPT-2 small: 124,439,808 parameters (tied embeddings); Qwen2-0.5B: 494,032,768.
assert params["gpt2-124m-replica"] == 124439808, params["gpt2-124m-replica"]
assert params["qwen2-0.5b-replica"] == 494032768, params["qwen2-0.5b-replica"]
ocr = by_model["ppocr-v4"]
assert {e["name"] for e in ocr} == {"ppocr-v4-det-onnx", "ppocr-v4-rec-onnx"}, ocr
for e in ocr:
    assert e["kind"] == "ocr" and e["engines"] == ["onnx"] and e["parameters"] > 10**6
    assert e["quality"]["metric"] == "exact_line_accuracy", e["quality"]
    acc = os.path.join(zoo, "ocr", "accuracy.json")
    if os.path.exists(acc):  # measured after the build (scripts/build_zoo.sh --ocr-eval)
        assert e["quality"]["value"] == json.load(open(acc))["exact_line_accuracy"]
print(f"manifest ok: {len(entries)} files, {len(by_model)} models")
PY

IFS=, read -ra engines <<<"${3-}"
if [[ " ${engines[*]} " == *" llama "* ]]; then
  VOCABS=${WATTSERVE_LLAMA_MODELS_DIR:-/opt/wattserve-deps/llama.cpp/src/models}
  for r in gpt2-124m:gpt-2 qwen2-0.5b:qwen2; do
    model=${r%%:*}-replica vocab=$VOCABS/ggml-vocab-${r#*:}.gguf
    # The first test case of llama.cpp's test vectors and its reference token ids.
    text=$("$PY" -c "import sys; print(open(sys.argv[1], encoding='utf-8').read().split('\n__ggml_vocab_test__\n')[0], end='')" "$vocab.inp")
    want=$(head -n 1 "$vocab.out" | xargs | tr ' ' ,)
    expect_exit 0 "$WS" run --model "$model" --prompt "$text" --max-tokens 3 --ignore-eos \
      --temperature 0 --threads 2 --json
    got=$(json_get "$TMP/out" "','.join(map(str, j['output']['prompt_token_ids']))")
    [[ $got == "$want" ]] || fail "$model tokenizes '$text' as $got, llama.cpp's reference says $want"
    [[ $(json_get "$TMP/out" "len(j['output']['token_ids'])") == 3 ]] || fail "$model did not generate"
  done
fi
echo "zoo manifest: ok"
