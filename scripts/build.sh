#!/usr/bin/env bash
# Configures and builds wattserve with CMake + Ninja (+ ccache when present).
#
#   bash scripts/build.sh                     release-ish build in build/ (all engines)
#   bash scripts/build.sh --sanitize address  ASan+UBSan build in build-asan/ (no engines)
#   bash scripts/build.sh --sanitize thread   TSan build in build-tsan/ (no engines, no OCR)
#   bash scripts/build.sh --sanitize fuzzer   libFuzzer targets (clang, ASan+UBSan) in build-fuzz/
#
# Extra arguments after -- go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

SAN=""
EXTRA=()
while (($#)); do
  case "$1" in
    --sanitize) SAN="${2:?--sanitize needs address or thread}"; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

ARGS=(-G Ninja -DWATTSERVE_WERROR=ON)
command -v ccache >/dev/null && ARGS+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
case "$SAN" in
  "") DIR=build ;;
  address) DIR=build-asan ;;
  thread) DIR=build-tsan
          # The OCR pipeline is single-threaded (ASan covers it); leaving it out here also
          # builds and tests the WATTSERVE_WITH_OCR=OFF configuration in every CI run.
          ARGS+=(-DWATTSERVE_WITH_OCR=OFF) ;;
  fuzzer) DIR=build-fuzz
          ARGS+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DWATTSERVE_BUILD_TESTS=OFF) ;;
  *) echo "build.sh: --sanitize takes address, thread or fuzzer" >&2; exit 2 ;;
esac
if [[ -n $SAN ]]; then
  # Sanitizer builds check our code; the engines' prebuilt libraries are not instrumented.
  ARGS+=(-DWATTSERVE_SANITIZE="$SAN" -DCMAKE_BUILD_TYPE=Debug -DWATTSERVE_WITH_LLAMA=OFF
         -DWATTSERVE_WITH_ONNX=OFF -DWATTSERVE_WITH_TORCH=OFF -DWATTSERVE_BUILD_PERF=OFF)
fi
cmake -S . -B "$DIR" "${ARGS[@]}" "${EXTRA[@]}" >/dev/null
TARGET=()
[[ $SAN == fuzzer ]] && TARGET=(--target fuzzers)  # only the fuzz targets and what they use
cmake --build "$DIR" -j"$(nproc)" "${TARGET[@]}"
echo "$DIR"
