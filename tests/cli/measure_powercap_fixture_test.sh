# Pointed at a fake powercap tree whose counters advance during the command (with a wrap),
# `wattserve measure` reports exactly the fixture's energy.
source "$(dirname "$0")/lib.sh"
Z="$TMP/sys/class/powercap"
mkzone() {  # dir name energy_uj max_range_uj
  mkdir -p "$Z/$1"
  echo "$2" >"$Z/$1/name"; echo "$3" >"$Z/$1/energy_uj"; echo "$4" >"$Z/$1/max_energy_range_uj"
}
mkzone intel-rapl:0 package-0 900000000 1000000000
mkzone intel-rapl:0:0 core 100 262143328850
mkzone intel-rapl:0:1 dram 5000000 262143328850
mkzone intel-rapl:1 package-1 10000000 1000000000
# package-0 advances 900 J -> 999.9 J -> wraps -> 50 J: 99.9 + 0.1 + 50 = 150 J.
# dram advances 5 J -> 17.5 J: 12.5 J. package-1 advances 10 J -> 30.25 J: 20.25 J. core (not counted): 7 J.
# Each counter is replaced atomically (write + rename), as the kernel's file never reads empty.
cat >"$TMP/work.sh" <<SH
set -e
put() { echo "\$2" > "\$1.new" && mv "\$1.new" "\$1"; }
put "$Z/intel-rapl:0/energy_uj" 999900000; sleep 0.3
put "$Z/intel-rapl:0/energy_uj" 50000000
put "$Z/intel-rapl:0:1/energy_uj" 17500000
put "$Z/intel-rapl:1/energy_uj" 30250000
put "$Z/intel-rapl:0:0/energy_uj" 7000100; sleep 0.3
SH
expect_exit 0 "$WS" measure --sensors rapl --sysfs-root "$TMP/sys" --interval 50 \
  --json "$TMP/out.json" -- sh "$TMP/work.sh"
got=$(json_get "$TMP/out.json" 'j["energy"]["joules"]')
src=$(json_get "$TMP/out.json" 'j["energy"]["source"]')
"$PY" -c "import sys; sys.exit(0 if abs($got - 182.75) < 1e-9 else 1)" || fail "total $got J, expected 182.75 J"
[[ $src == counter ]] || fail "source $src, expected counter"
[[ $(json_get "$TMP/out.json" 'j["energy"]["read_errors"]') == 0 ]] || fail "sensor reads failed"
per=$(json_get "$TMP/out.json" '{d["id"]: round(d["joules"], 9) for d in j["energy"]["domains"]}')
for pair in "rapl:package-0': 150.0" "rapl:package-0/dram': 12.5" "rapl:package-1': 20.25" "rapl:package-0/core': 7.0"; do
  [[ $per == *"$pair"* ]] || fail "domain figures $per lack '$pair'"
done
echo "measure powercap fixture: ok ($got J)"
