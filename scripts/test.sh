#!/usr/bin/env bash
# Sets everything up and runs every test: the normal build, then AddressSanitizer+UBSan and
# ThreadSanitizer builds of the same tests, then a short run of the fuzz targets. Idempotent: a second run reuses the installed
# dependencies (scripts/setup.sh) and the build folders.
#
#   bash scripts/test.sh           everything (what CI runs)
#   bash scripts/test.sh --quick   the normal build's tests only
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1

bash scripts/setup.sh
bash scripts/build_zoo.sh   # the demo models the engine tests run (minutes; then cached)

run_ctest() {  # DIR [ctest args]
  local dir=$1; shift
  echo "== ctest in $dir"
  ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" "$@"
}

bash scripts/build.sh
bash scripts/build_zoo.sh --ocr-eval build/src/cli/wattserve   # the OCR accuracy in the manifest
run_ctest build
if ((QUICK)); then exit 0; fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
bash scripts/build.sh --sanitize address
run_ctest build-asan

export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp"
bash scripts/build.sh --sanitize thread
# TSan checks the threaded code: the meter, the sensors with their own threads, the server's
# workers (on fake engines), the CLI.
run_ctest build-tsan

# A short libFuzzer run over the server's request parsers (clang, ASan+UBSan).
FUZZ_SEED=1 bash scripts/fuzz.sh 20
