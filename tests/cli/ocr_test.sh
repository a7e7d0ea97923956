# `wattserve ocr`: bad inputs exit 2 naming the file before any model loads (no engine needed);
# with the onnx engine, the zoo's PP-OCRv4 models read a rendered image, and --eval reports
# accuracy figures that agree with their own per-image counts, as text, --json and -o FILE
# (the same JSON). Fails when the zoo's ocr/ folder is missing.
source "$(dirname "$0")/lib.sh"
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
LABELS=$ZOO/ocr/images/labels.json
[[ -f $LABELS ]] || fail "no OCR images at $ZOO/ocr: run scripts/build_zoo.sh"
IFS=, read -ra engines <<<"${3-}"
has() { [[ " ${engines[*]} " == *" $1 "* ]]; }

expect_exit 2 "$WS" ocr
grep -q "IMAGE... or --eval" "$TMP/err" || fail "no usage hint: $(cat "$TMP/err")"
expect_exit 2 "$WS" ocr "$TMP/missing.png"
grep -q "$TMP/missing.png" "$TMP/err" || fail "missing image not named: $(cat "$TMP/err")"
echo "not a picture" >"$TMP/text.png"
expect_exit 2 "$WS" ocr "$TMP/text.png"
grep -q "$TMP/text.png" "$TMP/err" || fail "unreadable image not named: $(cat "$TMP/err")"
echo '{"file": "a.png"}' >"$TMP/labels.json"
expect_exit 2 "$WS" ocr --eval "$TMP/labels.json"
grep -q "$TMP/labels.json" "$TMP/err" || fail "bad labels not named: $(cat "$TMP/err")"
echo '[{"file": "gone.png", "text": "x"}]' >"$TMP/labels.json"
expect_exit 2 "$WS" ocr --eval "$TMP/labels.json"
grep -q "$TMP/gone.png" "$TMP/err" || fail "missing labelled image not named: $(cat "$TMP/err")"
expect_exit 2 "$WS" ocr --eval "$LABELS" "$ZOO/ocr/images/dejavu-sans-32-00.png"
expect_exit 2 "$WS" ocr --eval "$LABELS" -o "$TMP/no/such/dir/acc.json"
grep -q "$TMP/no/such/dir" "$TMP/err" || fail "bad -o folder not named: $(cat "$TMP/err")"

if has onnx; then
  expect_exit 2 "$WS" ocr --models "$TMP" --threads 2 "$ZOO/ocr/images/dejavu-sans-32-00.png"
  grep -q "ch_PP-OCRv4_det_infer.onnx" "$TMP/err" || fail "missing model not named: $(cat "$TMP/err")"
  expect_exit 2 "$WS" ocr --models "$ZOO/ocr" --provider no-such-provider "$ZOO/ocr/images/dejavu-sans-32-00.png"
  grep -q "cpu" "$TMP/err" || fail "unknown provider does not list the available ones"

  # One rendered line: one line of text out, close to the label.
  expect_exit 0 "$WS" ocr --models "$ZOO/ocr" --threads 2 "$ZOO/ocr/images/dejavu-sans-32-03.png"
  [[ $(wc -l <"$TMP/out") == 1 ]] || fail "expected one line: $(cat "$TMP/out")"
  grep -qi "fox" "$TMP/out" || fail "did not read the fox: $(cat "$TMP/out")"

  expect_exit 0 "$WS" ocr --models "$ZOO/ocr" --threads 2 --eval "$LABELS" --json -o "$TMP/acc.json"
  cmp -s "$TMP/out" "$TMP/acc.json" || fail "-o FILE differs from --json"
  json_get "$TMP/acc.json" "j['images'] == 20 == len(j['items']) and j['exact'] == sum(i['exact'] for i in j['items']) and abs(j['exact_line_accuracy'] - j['exact'] / 20) < 1e-12" \
    | grep -q True || fail "exact-line accuracy is not exact / images"
  json_get "$TMP/acc.json" "j['edits'] == sum(i['edits'] for i in j['items']) and j['chars'] == sum(i['chars'] for i in j['items']) and abs(j['character_accuracy'] - max(0, 1 - j['edits'] / j['chars'])) < 1e-12 and j['items_per_s'] > 0" \
    | grep -q True || fail "character accuracy is not 1 - edits / chars"
  json_get "$TMP/acc.json" "all(i['exact'] == (i['expected'] == i['predicted']) for i in j['items'])" \
    | grep -q True || fail "exact flags disagree with the texts"
  expect_exit 0 "$WS" ocr --models "$ZOO/ocr" --threads 2 --eval "$LABELS"
  grep -q "exact-line accuracy" "$TMP/out" && grep -q "character accuracy" "$TMP/out" \
    || fail "no text report: $(cat "$TMP/out")"
fi
echo "ocr: ok (engines: ${3:-none})"
