#!/usr/bin/env bash
# Build the wattserve text (Python-code LM) model family into OUT.
#   models/text/build_all.sh OUT [sizes...]      (default sizes: tiny small base)
# Steps: corpus -> tokenizer -> train (per size) -> GGUF f32/q8_0/q4_0, ONNX,
# TorchScript -> verify each export against PyTorch -> OUT/manifest.json
# (also copied to models/text/manifest.json when OUT is not inside the repo).
# Idempotent: each step writes OUT/.stamps/<step> = sha256(scripts + command +
# upstream stamps) and is skipped when its outputs exist and the stamp matches.
# ADOPT=1 accepts existing outputs that have no stamp yet (writes the stamp).
# By default the committed weights (models/text/weights: tokenizer + float16 checkpoints) are
# evaluated and exported, which takes minutes; RETRAIN=1 trains tokenizer and models from
# scratch (~15 min of CPU on 2 cores).
# Env: PY (default /usr/bin/python3), LLAMA_DIR, ORT_DIR (for the checkers).
set -euo pipefail
OUT=${1:?usage: build_all.sh OUT [sizes...]}
shift || true
SIZES=${*:-tiny small base}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-/usr/bin/python3}
LLAMA_DIR=${LLAMA_DIR:-/opt/wattserve-deps/llama.cpp/install}
ORT_DIR=${ORT_DIR:-/opt/wattserve-deps/onnxruntime}
mkdir -p "$OUT/.stamps" "$OUT/bin" "$OUT/verify" "$OUT/logs"
OUT=$(cd "$OUT" && pwd)

# step NAME "deps (files/stamps)" "outputs" cmd...
step() {
  local name=$1 deps=$2 outs=$3; shift 3
  local want have=""
  want=$( { for d in $deps; do cat "$d"; done; echo "$*"; } | sha256sum | cut -d' ' -f1)
  [ -f "$OUT/.stamps/$name" ] && have=$(cat "$OUT/.stamps/$name")
  local all=1; for o in $outs; do [ -e "$o" ] || all=0; done
  if [ $all = 1 ] && { [ "$have" = "$want" ] || { [ -z "$have" ] && [ "${ADOPT:-0}" = 1 ]; }; }; then
    [ -z "$have" ] && echo "[adopt] $name" || echo "[skip] $name"
    echo "$want" > "$OUT/.stamps/$name"; return 0
  fi
  echo "[run] $name"
  local t0=$(date +%s.%N)
  "$@" > "$OUT/logs/$name.log" 2>&1 || { echo "step $name failed, see $OUT/logs/$name.log"; tail -20 "$OUT/logs/$name.log"; exit 1; }
  echo "$want" > "$OUT/.stamps/$name"
  echo "  $name: $(echo "$(date +%s.%N) - $t0" | bc) s"
}
S=$OUT/.stamps

step corpus "$HERE/build_corpus.py" "$OUT/corpus/train.txt $OUT/corpus/heldout.txt" \
  $PY "$HERE/build_corpus.py" --out "$OUT/corpus"
W=$HERE/weights
if [ "${RETRAIN:-0}" = 1 ]; then TOKFROM=(); else TOKFROM=(--from "$W/tokenizer.model"); fi
step tokenizer "$HERE/train_tokenizer.py $S/corpus ${TOKFROM[*]:+$W/tokenizer.model}" "$OUT/tok/tokenizer.model" \
  $PY "$HERE/train_tokenizer.py" --corpus "$OUT/corpus" --out "$OUT/tok" "${TOKFROM[@]}"

# throwaway checkers (not committed as binaries)
step gguf_check "$HERE/gguf_check.cpp" "$OUT/bin/gguf_check" \
  g++ -std=c++17 -O1 "$HERE/gguf_check.cpp" -I"$LLAMA_DIR/include" -L"$LLAMA_DIR/lib" \
      -lllama -lggml -lggml-cpu -lggml-base -fopenmp -lpthread -o "$OUT/bin/gguf_check"
step onnx_check "$HERE/onnx_check.cpp" "$OUT/bin/onnx_check" \
  g++ -std=c++17 -O1 "$HERE/onnx_check.cpp" -I"$ORT_DIR/include" -L"$ORT_DIR/lib" -lonnxruntime \
      -Wl,-rpath,"$ORT_DIR/lib" -o "$OUT/bin/onnx_check"

TOK=$OUT/tok/tokenizer.model
for s in $SIZES; do
  CK=$OUT/ck/$s.pt
  if [ "${RETRAIN:-0}" = 1 ]; then FROM=(); else FROM=(--from-checkpoint "$W/$s.pt"); fi
  step "train_$s" "$HERE/train.py $HERE/model.py $S/tokenizer ${FROM[*]:+$W/$s.pt}" "$CK $OUT/ck/$s.json" \
    $PY "$HERE/train.py" --size $s --corpus "$OUT/corpus" --tok "$TOK" --out "$OUT/ck" "${FROM[@]}"
  mkdir -p "$OUT/models"
  for q in f32 q8_0 q4_0; do
    F=$OUT/models/pycode-$s-$q.gguf
    step "gguf_${s}_$q" "$HERE/export_gguf.py $HERE/model.py $S/train_$s" "$F" \
      $PY "$HERE/export_gguf.py" --ckpt "$CK" --tok "$TOK" --out "$F" --type $q
    step "verify_gguf_${s}_$q" "$HERE/verify.py $S/gguf_${s}_$q $S/gguf_check" "$OUT/verify/$s-gguf-$q.json" \
      sh -c "$PY '$HERE/verify.py' --ckpt '$CK' --tok '$TOK' --kind gguf --checker '$OUT/bin/gguf_check' --file '$F' > '$OUT/verify/$s-gguf-$q.json'"
  done
  F=$OUT/models/pycode-$s.onnx
  step "onnx_$s" "$HERE/export_onnx.py $HERE/export_torchscript.py $HERE/model.py $S/train_$s" "$F" \
    $PY "$HERE/export_onnx.py" --ckpt "$CK" --out "$F"
  step "verify_onnx_$s" "$HERE/verify.py $S/onnx_$s $S/onnx_check" "$OUT/verify/$s-onnx.json" \
    sh -c "$PY '$HERE/verify.py' --ckpt '$CK' --tok '$TOK' --kind onnx --checker '$OUT/bin/onnx_check' --file '$F' > '$OUT/verify/$s-onnx.json'"
  F=$OUT/models/pycode-$s.ts.pt
  step "ts_$s" "$HERE/export_torchscript.py $HERE/model.py $S/train_$s" "$F" \
    $PY "$HERE/export_torchscript.py" --ckpt "$CK" --out "$F"
  step "verify_ts_$s" "$HERE/verify.py $S/ts_$s" "$OUT/verify/$s-ts.json" \
    sh -c "$PY '$HERE/verify.py' --ckpt '$CK' --tok '$TOK' --kind ts --file '$F' > '$OUT/verify/$s-ts.json'"
done

$PY "$HERE/write_manifest.py" --out "$OUT" --sizes $SIZES
case "$OUT" in
  "$(cd "$HERE/../.." && pwd)"/*) ;;
  *) cp "$OUT/manifest.json" "$HERE/manifest.json"; echo "manifest -> $HERE/manifest.json" ;;
esac
