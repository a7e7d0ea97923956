# Shared helpers for the CLI tests: each test gets the wattserve binary and the source root.
set -euo pipefail
WS=${1:?usage: test.sh WATTSERVE_BINARY SOURCE_DIR [ENGINES]}
SRC=${2:?}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_exit CODE CMD...: runs CMD, checks its exit code.
expect_exit() {
  local want=$1; shift
  local got=0
  "$@" >"$TMP/out" 2>"$TMP/err" || got=$?
  [[ $got == "$want" ]] || { cat "$TMP/err" >&2; fail "'$*' exited $got, expected $want"; }
}
# json_get FILE EXPR: evaluates a Python expression on the parsed JSON `j`.
json_get() { "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# need_zoo_and_engines ENGINE...: fails without the model zoo; exits 0 with SKIP when the build
# lacks one of the engines (the test's third argument lists those it has).
need_zoo_and_engines() {
  ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
  [[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"
  local have e
  IFS=, read -ra have <<<"${ENGINES_ARG-}"
  for e in "$@"; do
    [[ " ${have[*]} " == *" $e "* ]] || { echo "SKIP: needs $*"; exit 0; }
  done
}
ENGINES_ARG=${3-}
