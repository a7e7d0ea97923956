# `wattserve measure` outputs: FIFOs, symlinks, devices and /dev/stdout are written through, not
# replaced (issue 9, defect 4); every destination is checked before the command runs, and a
# write that still fails after the run keeps the figures and the command's exit code (defect 9).
source "$(dirname "$0")/lib.sh"
is_summary() {
  "$PY" -c 'import json,sys; assert json.loads(sys.argv[1])["schema"] == "wattserve.run-record"' "$1"
}

# A link to /proc/self/fd/1, which is what /dev/stdout is, first: a wattserve that replaced
# links would fail here, in $TMP, before it got to the real /dev/stdout.
ln -s /proc/self/fd/1 "$TMP/stdout"
expect_exit 0 "$WS" measure -q --json "$TMP/stdout" -- true
[[ -L $TMP/stdout ]] || fail "a link to /proc/self/fd/1 was replaced by a file"
is_summary "$(cat "$TMP/out")" || fail "--json through a link to /proc/self/fd/1 printed nothing"

# --json /dev/stdout into a pipe prints the summary there.
"$WS" measure -q --json /dev/stdout -- true | cat >"$TMP/piped" || fail "--json /dev/stdout failed"
is_summary "$(cat "$TMP/piped")" || fail "--json /dev/stdout printed no summary: $(cat "$TMP/piped")"
# Into a file, after the command's own output (appended, not written over it).
"$WS" measure -q --json /dev/stdout -- echo hello >"$TMP/mixed" || fail "--json /dev/stdout > file"
[[ $(head -1 "$TMP/mixed") == hello ]] || fail "the command's output was lost: $(cat "$TMP/mixed")"
is_summary "$(tail -n +2 "$TMP/mixed")" || fail "no summary after the command's output"
# The CSV too: header and row, no lock file to create in /dev.
"$WS" measure -q --csv /dev/stdout -- true | cat >"$TMP/csv-piped" || fail "--csv /dev/stdout failed"
[[ $(wc -l <"$TMP/csv-piped") == 2 ]] && head -1 "$TMP/csv-piped" | grep -q "^timestamp,project_name" \
  || fail "--csv /dev/stdout: $(cat "$TMP/csv-piped")"
echo "measure outputs to stdout: ok"

# FIFOs with a reader get the JSON and the (streamed) timeline, and stay FIFOs.
mkfifo "$TMP/json.fifo" "$TMP/timeline.fifo"
cat "$TMP/json.fifo" >"$TMP/json.got" &
json_reader=$!
cat "$TMP/timeline.fifo" >"$TMP/timeline.got" &
timeline_reader=$!
rc=0
"$WS" measure -q --json "$TMP/json.fifo" --timeline "$TMP/timeline.fifo" -- sleep 0.2 || rc=$?
if [[ ! -p $TMP/json.fifo || ! -p $TMP/timeline.fifo ]]; then
  kill "$json_reader" "$timeline_reader" 2>/dev/null || true
  fail "a FIFO was replaced by a file"
fi
wait "$json_reader" "$timeline_reader"
[[ $rc == 0 ]] || fail "measure into FIFOs exited $rc"
is_summary "$(cat "$TMP/json.got")" || fail "the JSON FIFO's reader got: $(cat "$TMP/json.got")"
head -1 "$TMP/timeline.got" | grep -q "^time_s,wall_time" || fail "the timeline FIFO's reader got no CSV"

# A symlink stays a link and its target gets the summary; a dangling one creates its target.
echo old >"$TMP/real.json"
ln -s real.json "$TMP/link.json"
ln -s new.json "$TMP/dangling.json"
expect_exit 0 "$WS" measure -q --json "$TMP/link.json" --prometheus "$TMP/dangling.json" -- true
[[ -L $TMP/link.json && -L $TMP/dangling.json ]] || fail "a symlink was replaced by a file"
is_summary "$(cat "$TMP/real.json")" || fail "the link's target did not get the summary"
grep -q "^wattserve_energy_joules_total" "$TMP/new.json" || fail "the dangling link's target is empty"
echo "measure outputs to FIFOs and symlinks: ok"

# Every destination is checked before the command runs (which would leave a marker).
for flag in --json --csv --timeline --prometheus; do
  expect_exit 125 "$WS" measure -q "$flag" "$TMP/no/such/dir/out" -- touch "$TMP/marker"
  [[ ! -e $TMP/marker ]] || fail "$flag into a missing directory: the command ran anyway"
  grep -q -- "$flag: .*$TMP/no/such/dir/out.*No such file or directory" "$TMP/err" \
    || fail "$flag: the error names neither the flag nor the path: $(cat "$TMP/err")"
done
expect_exit 125 "$WS" measure -q --json "$TMP" -- touch "$TMP/marker"
[[ ! -e $TMP/marker ]] || fail "--json to a directory: the command ran anyway"
grep -q -- "--json: .*Is a directory" "$TMP/err" || fail "--json to a directory: $(cat "$TMP/err")"
printf 'a,b\n1,2\n' >"$TMP/foreign.csv"
expect_exit 125 "$WS" measure -q --json "$TMP/fine.json" --csv "$TMP/foreign.csv" -- touch "$TMP/marker"
[[ ! -e $TMP/marker ]] || fail "--csv with a foreign header: the command ran anyway"
grep -q -- "--csv: .*foreign.csv: its header is not CodeCarbon" "$TMP/err" \
  || fail "--csv with a foreign header: $(cat "$TMP/err")"
[[ $(cat "$TMP/foreign.csv") == $'a,b\n1,2' ]] || fail "the foreign CSV was changed"
[[ ! -e $TMP/fine.json ]] || fail "an output was written for a command that did not run"

# When everything can be written: the command's exit code, every output.
expect_exit 5 "$WS" measure -q --json "$TMP/ok.json" --csv "$TMP/ok.csv" --timeline "$TMP/ok-t.csv" \
  --prometheus "$TMP/ok.prom" -- sh -c 'touch "$0"; exit 5' "$TMP/marker"
[[ -e $TMP/marker ]] || fail "the command did not run"
[[ $(json_get "$TMP/ok.json" 'j["exit_code"]') == 5 ]] || fail "the summary lost the exit code"
[[ $(wc -l <"$TMP/ok.csv") == 2 && -s $TMP/ok-t.csv && -s $TMP/ok.prom ]] || fail "outputs missing"

# A write that fails after the run (here the command removes the directory): the figures go to
# stderr even with -q, the other outputs are still written, and the command's own exit code is
# kept (125 when it is 0).
mkdir "$TMP/gone"
expect_exit 3 "$WS" measure -q --json "$TMP/gone/out.json" --csv "$TMP/kept.csv" \
  -- sh -c 'rm -r "$0"; exit 3' "$TMP/gone"
grep -q -- "--json: .*$TMP/gone/out.json" "$TMP/err" || fail "the failed write is not named: $(cat "$TMP/err")"
grep -q "exited 3" "$TMP/err" && grep -q "emissions" "$TMP/err" \
  || fail "the figures were lost with -q: $(cat "$TMP/err")"
[[ $(wc -l <"$TMP/kept.csv") == 2 ]] || fail "one failed output kept the others from being written"
mkdir "$TMP/gone"
expect_exit 125 "$WS" measure -q --json "$TMP/gone/out.json" -- sh -c 'rm -r "$0"' "$TMP/gone"
grep -q "emissions" "$TMP/err" || fail "the figures were lost with -q: $(cat "$TMP/err")"
echo "measure output checks: ok"
