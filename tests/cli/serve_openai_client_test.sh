# The official `openai` npm client (installed by scripts/setup.sh into $WATTSERVE_DEPS/openai-node)
# gets a completion and a streamed chat from `wattserve serve` running pycode-tiny on
# llama.cpp, each with usage.energy. Fails when the client or the zoo is missing.
source "$(dirname "$0")/lib.sh"
IFS=, read -ra engines <<<"${3-}"
if [[ " ${engines[*]} " != *" llama "* ]]; then
  echo "serve openai client: skipped checks (no llama engine in this build)"
  exit 0
fi
CLIENT=${WATTSERVE_DEPS:-/opt/wattserve-deps}/openai-node
[[ -f $CLIENT/node_modules/openai/package.json ]] || fail "no OpenAI Node client in $CLIENT: run scripts/setup.sh"
command -v node >/dev/null || fail "node is not installed: run scripts/setup.sh"
PID=""
trap '[[ -n $PID ]] && kill -9 $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$WS" serve --model pycode-tiny --port 0 --threads 2 --ready-file "$TMP/url" 2>"$TMP/serve.log" &
PID=$!
for _ in $(seq 600); do [[ -s $TMP/url ]] && break; kill -0 $PID 2>/dev/null || break; sleep 0.05; done
[[ -s $TMP/url ]] || { cat "$TMP/serve.log" >&2; fail "the server did not start"; }
node "$(dirname "$0")/openai_client.cjs" "$CLIENT" "$(cat "$TMP/url")" pycode-tiny >"$TMP/out" \
  || { cat "$TMP/serve.log" >&2; fail "the OpenAI client failed"; }
kill -TERM $PID && wait $PID && PID=""
echo "serve openai client: ok $(cat "$TMP/out")"
