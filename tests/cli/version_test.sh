# `wattserve version` loads every engine plug-in this build has (llama, onnx, torch in the
# normal build), and measure does not pay for them.
source "$(dirname "$0")/lib.sh"
expected=${3-}
expect_exit 0 "$WS" version
grep -q "^wattserve " "$TMP/out" || fail "no version line"
IFS=, read -ra engines <<<"$expected"
for e in "${engines[@]}"; do
  grep -qE "^  engine $e +[^ ].*providers: .*" "$TMP/out" || fail "engine $e missing: $(cat "$TMP/out")"
done
# An engine plug-in that cannot be loaded is reported, not ignored.
if ((${#engines[@]})); then
  WATTSERVE_ENGINE_DIR="$TMP" expect_exit 1 "$WS" version
  grep -q "not loadable" "$TMP/out" || fail "a missing plug-in is not reported"
fi
# measure links no engine: its binary must not depend on LibTorch or ONNX Runtime.
if ldd "$WS" | grep -qE "libtorch|libonnxruntime"; then fail "wattserve links an engine library"; fi
echo "version: ok (${expected:-no engines})"
