# `wattserve bench --carbon-intensity CSV --deadline D --dry-run`: the plan of a deferred study
# (the cleanest start before the deadline, the intensity there against now, the share of CO2e
# saved), starting now when the deadline leaves no cleaner window or the study does not fit, and
# the errors (exit 2). The series is written relative to the present: hourly points from an hour
# ago, 400 gCO2e/kWh except 100 for the hour that starts 3 to 4 hours from now. No run happens:
# the dry run only reads. (The wait itself is tested on a FakeClock: tests/adapt.)
source "$(dirname "$0")/lib.sh"
SMOKE=$SRC/examples/studies/smoke.toml

H=$(( $(date +%s) / 3600 * 3600 ))
{
  echo "datetime,carbon_intensity"
  for i in $(seq -1 30); do
    v=400
    [[ $i == 3 ]] && v=100
    echo "$((H + i * 3600)),$v"
  done
} >"$TMP/ci.csv"
DIP=$(date -u -d "@$((H + 3 * 3600))" +%Y-%m-%dT%H:%MZ)

# 12 runs (8 measured, 4 warm-ups) at the default 60 s, no idle baseline: 12 minutes; a 12 h
# deadline reaches the clean hour.
expect_exit 0 "$WS" bench "$SMOKE" --out "$TMP/ds" --dry-run --set protocol.idle_s=0 \
  --carbon-intensity "$TMP/ci.csv" --deadline 12h
grep -q "^# carbon: starting at $DIP (in .*), mean intensity 100 gCO2e/kWh against 400 now: 75 % less CO2e for the same energy" "$TMP/out" ||
  fail "deferred plan: $(cat "$TMP/out")"
grep -q "12 run(s), about 12m00s (1m00s per run, a default" "$TMP/out" || fail "estimate: $(cat "$TMP/out")"
[[ ! -e $TMP/ds ]] || fail "the dry run wrote the dataset folder"

# The same with --json: the design stays JSON on stdout, the plan goes to stderr.
expect_exit 0 "$WS" bench "$SMOKE" --dry-run --json --carbon-intensity "$TMP/ci.csv" --deadline 720m
json_get "$TMP/out" "len(j)" >/dev/null || fail "--json output is not JSON"
grep -q "carbon: starting at $DIP" "$TMP/err" || fail "--json: no plan on stderr: $(cat "$TMP/err")"

# Deadline before the clean hour: now. Too short for the study: now, and said.
expect_exit 0 "$WS" bench "$SMOKE" --dry-run --carbon-intensity "$TMP/ci.csv" --deadline 2h
grep -q "^# carbon: starting now: no cleaner start" "$TMP/out" || fail "2h: $(cat "$TMP/out")"
expect_exit 0 "$WS" bench "$SMOKE" --dry-run --carbon-intensity "$TMP/ci.csv" --deadline 5m
grep -q "do not fit before the deadline" "$TMP/out" || fail "5m: $(cat "$TMP/out")"

# A number is still the plain override.
expect_exit 0 "$WS" bench "$SMOKE" --dry-run --carbon-intensity 300
grep -q "carbon" "$TMP/out" && fail "a number made a plan: $(cat "$TMP/out")"

# Errors.
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --carbon-intensity "$TMP/ci.csv"
grep -q "give --deadline" "$TMP/err" || fail "no deadline: $(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --deadline 12h
grep -q "goes with --carbon-intensity CSV" "$TMP/err" || fail "deadline alone: $(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --carbon-intensity "$TMP/ci.csv" --deadline soon
grep -q "deadline soon" "$TMP/err" || fail "bad deadline: $(cat "$TMP/err")"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --carbon-intensity "$TMP/ci.csv" --deadline 12h --country FRA
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --carbon-intensity "$TMP/nowhere.csv" --deadline 12h
printf 'datetime,carbon_intensity\n%s,400\nyesterday,300\n' "$H" >"$TMP/bad.csv"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --carbon-intensity "$TMP/bad.csv" --deadline 12h
grep -q "bad.csv:3" "$TMP/err" || fail "bad row: $(cat "$TMP/err")"
printf 'datetime,carbon_intensity\n%s,400\n%s,300\n' $((H + 7200)) $((H + 10800)) >"$TMP/late.csv"
expect_exit 2 "$WS" bench "$SMOKE" --dry-run --carbon-intensity "$TMP/late.csv" --deadline 12h
grep -q "must cover the present" "$TMP/err" || fail "late series: $(cat "$TMP/err")"
expect_exit 2 "$WS" measure --carbon-intensity "$TMP/ci.csv" -- true
echo ok
