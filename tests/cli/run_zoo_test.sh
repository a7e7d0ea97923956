# `wattserve run` on the demo model zoo (scripts/build_zoo.sh), on every engine this build has:
# greedy token ids and text are the same on llama.cpp, ONNX Runtime and LibTorch and has exactly --max-tokens
# tokens with --ignore-eos; classifiers reproduce the accuracy eager PyTorch had on the pinned
# sample; the run record (--json) carries energy with its source and the per-token/per-item
# figures (its schema: run_record_schema_test.sh); bad requests exit 2 with a message that says
# what is available. Fails when the zoo is missing.
source "$(dirname "$0")/lib.sh"
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
[[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"
IFS=, read -ra engines <<<"${3-}"
has() { [[ " ${engines[*]} " == *" $1 "* ]]; }

# Errors need no engine.
expect_exit 2 "$WS" run --model no-such-model --prompt x
grep -q "pycode-small" "$TMP/err" || fail "unknown model does not list the zoo: $(cat "$TMP/err")"
expect_exit 2 "$WS" run --model "$TMP/nothing.bin" --prompt x
grep -q "cannot tell the engine" "$TMP/err" || fail "$(cat "$TMP/err")"
expect_exit 2 "$WS" run --model pycode-tiny --engine llama --quant q5_1 --prompt x
expect_exit 2 "$WS" run --model ppocr-v4
grep -q "wattserve ocr" "$TMP/err" || fail "the OCR pipeline does not point to wattserve ocr: $(cat "$TMP/err")"

first_text=""
for e in llama onnx torch; do
  has $e || continue
  expect_exit 0 "$WS" run --model pycode-tiny --engine $e --prompt "import os" --temperature 0 \
    --ignore-eos --max-tokens 32 --threads 2 --json
  cp "$TMP/out" "$TMP/$e.json"
  [[ $(json_get "$TMP/$e.json" "j['metrics']['output_tokens']") == 32 ]] || fail "$e: not 32 tokens: $(cat "$TMP/$e.json")"
  json_get "$TMP/$e.json" "j['energy']['joules'] > 0 and j['energy']['source'] in ('counter','power','estimate')" | grep -q True \
    || fail "$e: no energy: $(cat "$TMP/$e.json")"
  json_get "$TMP/$e.json" "abs(j['metrics']['joules_per_output_token'] - j['energy']['joules'] / 32) < 1e-9 * max(1, j['energy']['joules'])" | grep -q True \
    || fail "$e: joules_per_output_token is not energy / output tokens"
  json_get "$TMP/$e.json" "0 < j['timings']['ttft_s'] <= j['timings']['total_s'] and j['timings']['tpot_s'] > 0" | grep -q True || fail "$e: timings"
  json_get "$TMP/$e.json" "len(j['output']['token_ids']) == 32" | grep -q True || fail "$e: token_ids"
  text=$(json_get "$TMP/$e.json" "repr((j['output']['token_ids'], j['output']['text']))")
  [[ -z $first_text ]] && first_text=$text
  [[ $text == "$first_text" ]] || fail "$e greedy tokens/text $text differ from $first_text"
  # Text mode streams the prompt and the generation to stdout, the report to stderr.
  expect_exit 0 "$WS" run --model pycode-tiny --engine $e --prompt "import os" --greedy -n 4
  grep -q "^import os" "$TMP/out" || fail "$e: no text on stdout"
  grep -q "per output token" "$TMP/err" || fail "$e: no report on stderr"
done

for e in onnx torch; do
  has $e || continue
  for s in tiny small base; do
    expect_exit 0 "$WS" run --model fmnist-cnn-$s --engine $e --batch 16 --json
    cp "$TMP/out" "$TMP/cls.json"
    want=$("$PY" -c "import json; c=json.load(open('$ZOO/classifier/fmnist-cnn-$s.sample.json')); print(c['correct']/c['count'])")
    json_get "$TMP/cls.json" "abs(j['metrics']['accuracy'] - $want) < 1e-12 and j['metrics']['items'] == 64 and j['metrics']['batches'] == 4" | grep -q True \
      || fail "$e $s: accuracy $(json_get "$TMP/cls.json" "j['metrics']['accuracy']") != eager PyTorch $want"
  done
  expect_exit 2 "$WS" run --model fmnist-cnn-tiny --engine $e --provider no-such-provider
  grep -q "cpu" "$TMP/err" || fail "$e: unknown provider does not list the available ones"
  "$PY" -c "import numpy as np; np.save('$TMP/bad.npy', np.zeros((2, 3), np.float32))"
  expect_exit 2 "$WS" run --model fmnist-cnn-tiny --engine $e --input "$TMP/bad.npy"
done
if has llama; then
  expect_exit 2 "$WS" run --model pycode-tiny --engine llama
  grep -q "needs a prompt" "$TMP/err" || fail "missing prompt: $(cat "$TMP/err")"
fi
echo "run zoo: ok (engines: ${3:-none})"
