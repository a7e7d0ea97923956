# `wattserve serve` under abuse (issue 9): stream ids, unfinished bodies and header floods
# without a key, idle/slow/busy clients, SIGTERM and --drain-timeout, the energy books, and the
# defect list (host checks, ready file, auth of /recent and /metrics). Black-box, on 127.0.0.1,
# against the zoo's pycode-tiny; the cases are in serve_abuse.py (docs/serve.md, "Abuse tests
# and soak"). About 20 s on a passing server, up to about 90 s when every case fails (each wait
# is bounded); SERVE_ABUSE_CASES=2,5 runs a subset.
source "$(dirname "$0")/lib.sh"
IFS=, read -ra engines <<<"${3-}"
if [[ " ${engines[*]} " != *" llama "* ]]; then
  echo "serve_abuse: skipped (no llama engine in this build)"
  exit 0
fi
ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
[[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"
PYPID=""
cleanup() {  # the Python driver kills its servers; this catches whatever it could not
  [[ -n $PYPID ]] && kill -TERM "$PYPID" 2>/dev/null && sleep 0.5
  if [[ -f $TMP/pids ]]; then
    while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$TMP/pids"
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
"$PY" "$(dirname "$0")/serve_abuse.py" "$WS" "$TMP" --zoo "$ZOO" ${SERVE_ABUSE_CASES:+--only "$SERVE_ABUSE_CASES"} &
PYPID=$!
rc=0
wait "$PYPID" || rc=$?
PYPID=""
[[ $rc == 0 ]] || fail "serve_abuse: cases failed (exit $rc)"
echo "serve_abuse: ok"
