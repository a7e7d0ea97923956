# `wattserve measure` returns the command's exit code, and its own failures are distinct.
source "$(dirname "$0")/lib.sh"
expect_exit 0 "$WS" measure -q -- true
expect_exit 3 "$WS" measure -q -- sh -c 'exit 3'
expect_exit 3 "$WS" measure -- sh -c 'exit 3'
expect_exit 137 "$WS" measure -q -- sh -c 'kill -9 $$'
expect_exit 127 "$WS" measure -q -- /no/such/command
grep -q "No such file" "$TMP/err" || fail "missing command: no clear error"
expect_exit 126 "$WS" measure -q -- "$TMP"
expect_exit 125 "$WS" measure -q --country Atlantis -- true
grep -qi "atlantis" "$TMP/err" || fail "unknown country not named in the error"
expect_exit 125 "$WS" measure -q --sensors nosuch -- true
grep -q "unknown sensor" "$TMP/err" || fail "unknown sensor: no clear error"
expect_exit 2 "$WS" measure --interval 0.5 -- true
expect_exit 2 "$WS" measure --no-such-flag -- true
expect_exit 2 "$WS" measure
expect_exit 0 "$WS" measure --help
grep -q -- "--idle" "$TMP/out" || fail "--help does not explain --idle"
# A file that cannot be written is an error of ours, named, and found before the command runs
# (measure_outputs_test.sh: what happens when a write fails after it).
expect_exit 125 "$WS" measure -q --json /no/such/dir/out.json -- true
grep -q -- "--json: .*/no/such/dir/out.json" "$TMP/err" || fail "unwritable output not named"
echo "measure exit codes: ok"

# Everything after the command belongs to it, and its stdin/stdout pass through untouched.
expect_exit 0 "$WS" measure -q -- sh -c 'echo "$@"' x -q --json "$TMP/not-ours.json"
[[ $(cat "$TMP/out") == "-q --json $TMP/not-ours.json" ]] || fail "options after the command were taken"
[[ ! -e $TMP/not-ours.json ]] || fail "an option after the command reached wattserve"
expect_exit 0 "$WS" measure echo hi -q
[[ $(cat "$TMP/out") == "hi -q" ]] || fail "'measure echo hi -q' did not pass -q to echo"
[[ $(echo piped | "$WS" measure -q -- cat) == piped ]] || fail "stdin is not passed to the command"

# SIGTERM sent to wattserve reaches the command, which decides how to end; results still come.
"$WS" measure -q --json "$TMP/term.json" -- \
  sh -c 'trap "exit 7" TERM; touch "$0"; while :; do sleep 0.05; done' "$TMP/ready" &
ws_pid=$!
for _ in $(seq 200); do [[ -e $TMP/ready ]] && break; sleep 0.05; done
[[ -e $TMP/ready ]] || fail "the command never started"
kill -TERM "$ws_pid"
rc=0; wait "$ws_pid" || rc=$?
[[ $rc == 7 ]] || fail "after SIGTERM wattserve exited $rc, expected the command's 7"
[[ $(json_get "$TMP/term.json" 'j["exit_code"]') == 7 ]] || fail "summary not written after SIGTERM"
# SIGTERM during a long idle baseline ends wattserve promptly (128 + 15), not after 60 s.
"$WS" measure --idle 60 -- true 2>"$TMP/idle.err" &
ws_pid=$!
for _ in $(seq 100); do grep -q "measuring idle" "$TMP/idle.err" && break; sleep 0.05; done
kill -TERM "$ws_pid"
rc=0; wait "$ws_pid" || rc=$?
[[ $rc == 143 ]] || fail "SIGTERM during the idle baseline gave $rc, expected 143"
echo "measure passthrough and signals: ok"
