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
# A file that cannot be written is an error of ours, named, with the command's code kept in view.
expect_exit 125 "$WS" measure -q --json /no/such/dir/out.json -- true
grep -q "exited 0" "$TMP/err" || fail "output failure hides the command's exit code"
echo "measure exit codes: ok"
