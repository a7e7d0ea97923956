# String options whose empty value would silently mean the default are refused, naming the
# option, with the usage-error exit code 2 (`--country ""` is not the world average, and
# `--cpu-model ""` not /proc/cpuinfo's model).
source "$(dirname "$0")/lib.sh"
for flag in --country --cloud --cpu-model --meter-cmd --meter-url --meter-field --sensors \
  --sysfs-root --procfs-root --nvml-lib; do
  for value in "" " " $'\t'; do
    expect_exit 2 "$WS" measure -q "$flag" "$value" -- touch "$TMP/marker"
    grep -q -- "$flag" "$TMP/err" || fail "measure $flag '$value': the error does not name it: $(cat "$TMP/err")"
    [[ ! -e $TMP/marker ]] || fail "measure $flag '$value': the command ran"
  done
done
# The same options of the other subcommands that share them, and estimate's own --cpu-model.
expect_exit 2 "$WS" sensors --cpu-model ""
grep -q -- "--cpu-model" "$TMP/err" || fail "sensors --cpu-model '': $(cat "$TMP/err")"
expect_exit 2 "$WS" estimate --cpu-model " " --load 0.5
grep -q -- "--cpu-model" "$TMP/err" || fail "estimate --cpu-model ' ': $(cat "$TMP/err")"
# Given values still work.
expect_exit 0 "$WS" measure -q --country FRA --cpu-model "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz" \
  --json "$TMP/fra.json" -- true
[[ $(json_get "$TMP/fra.json" 'j["carbon"]["country_iso_code"]') == FRA ]] || fail "--country FRA lost"
echo "empty option values: ok"
