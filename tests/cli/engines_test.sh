# `wattserve engines` lists every engine plug-in this build has with its providers (text and
# --json), and reports a plug-in that cannot be loaded.
source "$(dirname "$0")/lib.sh"
expected=${3-}
IFS=, read -ra engines <<<"$expected"
expect_exit 0 "$WS" engines
expect_exit 0 "$WS" engines --json
cp "$TMP/out" "$TMP/engines.json"
[[ $(json_get "$TMP/engines.json" 'len(j)') == "${#engines[@]}" ]] || fail "wrong engine count: $(cat "$TMP/engines.json")"
for e in "${engines[@]}"; do
  [[ $(json_get "$TMP/engines.json" "[x for x in j if x['name']=='$e'][0]['providers'][0]") == cpu ]] ||
    fail "engine $e without the cpu provider: $(cat "$TMP/engines.json")"
done
if ((${#engines[@]})); then
  WATTSERVE_ENGINE_DIR="$TMP" expect_exit 1 "$WS" engines
  grep -q "not loadable" "$TMP/out" || fail "a missing plug-in is not reported"
fi
echo "engines: ok (${expected:-no engines})"
