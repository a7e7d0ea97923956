#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan+UBSan, in build-fuzz/) and runs each for
# SECONDS (default 20; CI's short run) from the seed corpus fuzz/corpus/<target>/ (copied: new
# inputs go to out/fuzz/, not into the repository). A crash, a sanitizer report or an exception
# other than ApiError fails the run and leaves the input in out/fuzz/<target>/.
# FUZZ_SEED fixes libFuzzer's seed (scripts/test.sh sets 1 so that the tests' run tries the same
# inputs every time; a failure there is reproducible); unset, each run explores anew.
#
#   bash scripts/fuzz.sh [SECONDS]              explore (a long run before a release: 600)
#   FUZZ_SEED=1 bash scripts/fuzz.sh 20         what the tests run
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}
bash scripts/build.sh --sanitize fuzzer >/dev/null
for target in completion_request_fuzz kserve_request_fuzz load_stream_fuzz report_records_fuzz; do
  corpus=fuzz/corpus/${target%_fuzz}
  corpus=${corpus%_request}
  work=out/fuzz/$target
  rm -rf "$work" && mkdir -p "$work/corpus"
  cp "$corpus"/* "$work/corpus/"
  echo "== fuzzing $target for ${SECONDS_EACH} s"
  (cd "$work" && ASAN_OPTIONS=detect_leaks=1 "../../../build-fuzz/fuzz/$target" corpus \
    -max_total_time="$SECONDS_EACH" -seed="${FUZZ_SEED:-0}" -max_len=4096 -timeout=10 -print_final_stats=1 2>log) \
    || { tail -40 "$work/log" >&2; echo "fuzz: $target found a failing input (in $work)" >&2; exit 1; }
  grep -E "^stat::number_of_executed_units|^Done" "$work/log" | tr '\n' ' '; echo
done
