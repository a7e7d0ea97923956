#!/bin/sh
# Build the Fashion-MNIST demo classifier family into OUT_DIR: train (train.py), export to
# ONNX + TorchScript and verify (export.py), write OUT_DIR/manifest.json (manifest.py).
# Idempotent: a size whose .pt/.train.json exist is not retrained; a size whose exports are
# newer than its .pt, whose .verify.json says ok and whose .sample.json exists is not
# re-exported. FORCE=1 redoes all.
# Usage: models/classifier/build_all.sh OUT_DIR
# Env: PY (default /usr/bin/python3: Debian torch 1.13 + onnx 1.12), ORT_DIR
#      (default /opt/wattserve-deps/onnxruntime), SIZES (default "tiny small base").
set -eu
OUT="${1:?usage: build_all.sh OUT_DIR}"
PY="${PY:-/usr/bin/python3}"
SIZES="${SIZES:-tiny small base}"
FORCE="${FORCE:-0}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$OUT"

for s in $SIZES; do
  b="$OUT/fmnist-cnn-$s"
  if [ "$FORCE" = 1 ] || [ ! -f "$b.pt" ] || [ ! -f "$b.train.json" ]; then
    rm -f "$b.onnx" "$b.torchscript.pt" "$b.verify.json"
    "$PY" "$HERE/train.py" "$OUT" --sizes "$s"
  else
    echo "[$s] trained model present, skipping training"
  fi
  if [ "$FORCE" = 1 ] || [ ! -f "$b.verify.json" ] || ! grep -q '"ok": true' "$b.verify.json" \
     || [ ! -f "$b.sample.json" ] \
     || [ "$b.pt" -nt "$b.onnx" ] || [ "$b.pt" -nt "$b.torchscript.pt" ]; then
    "$PY" "$HERE/export.py" "$OUT" --sizes "$s"
  else
    echo "[$s] verified exports present, skipping export"
  fi
done
sizes_csv="$(echo $SIZES | tr ' ' ',')"
"$PY" "$HERE/manifest.py" "$OUT" --sizes "$sizes_csv"
