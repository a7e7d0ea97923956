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
