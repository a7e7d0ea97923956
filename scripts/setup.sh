#!/usr/bin/env bash
# Installs everything wattserve needs on Debian 12, idempotently.
#
#   bash scripts/setup.sh            apt packages, ONNX Runtime, llama.cpp, LibTorch, the OpenAI
#                                    Node client (server tests), Vega (report pages)
#   bash scripts/setup.sh --check    only report what is missing (exit 1 if anything is)
#
# Third-party builds go to $WATTSERVE_DEPS (default /opt/wattserve-deps), outside the
# clone, so that a second run and a second clone reuse them. Each step writes a stamp
# naming the exact version it installed and is skipped when that stamp is present.
set -euo pipefail

DEPS="${WATTSERVE_DEPS:-/opt/wattserve-deps}"
ORT_NPM="com.github.asus4.onnxruntime@0.4.9"   # ONNX Runtime 1.29.0 C/C++ API, CPU
LLAMA_NPM="node-llama-cpp@3.22.1"              # carries a full llama.cpp source tree
LLAMA_BUILD_ID="$LLAMA_NPM static-pic"          # changes when the build options change
OPENAI_NPM="openai@4.104.0"                     # the official client the server tests use
VEGA_NPM=(vega@6.4.0 vega-lite@6.5.0 vega-embed@7.3.0)  # inlined into `wattserve report`'s HTML
CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

APT_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ccache clang clang-format clang-tidy
  libclang-rt-14-dev
  # libraries used by the code (see README "Dependencies")
  nlohmann-json3-dev libfmt-dev libspdlog-dev libcli11-dev libcpp-httplib-dev prometheus-cpp-dev
  # the server's HTTP layer (Boost.Beast over Asio, header-only)
  libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # promtool checks the server's /metrics exposition in the tests
  prometheus
  # headless Chromium loads the live page in tests/cli/live_page_xss_test.sh
  chromium
  # validates run records against schemas/run-record.schema.json (tests/cli/run_record_schema_test.sh)
  python3-jsonschema
  # the bench tests check latency percentiles against numpy's, and the load generator's
  # arrivals against SciPy's Kolmogorov-Smirnov test (tests/cli/bench_load_test.sh)
  python3-numpy python3-scipy
  # the bench job-array test (tests/bench/slurm/) starts a private single-node Slurm with its
  # own munged; it needs no system slurm.conf and uses no system daemon
  slurm-wlm munge
  # `wattserve report`: Eigen's least squares and Boost.Math's distributions (in libboost-dev)
  libeigen3-dev
  # `wattserve serve --config` files and bench studies (TOML)
  libtomlplusplus-dev
  # SHA-256 of bench study hashes and run ids (libcrypto)
  libssl-dev
  # the planner's integer programs (`wattserve plan`, GLPK's branch-and-cut)
  libglpk-dev
  # the OCR pipeline's images and geometry (src/ocr)
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  # engines: LibTorch (+ a fast BLAS) and the Python side used to build demo models
  libtorch-dev libopenblas0-pthread python3-torch python3-onnx libsentencepiece-dev
  python3-sentencepiece sentencepiece python3-pil dataset-fashion-mnist
  ca-certificates
)
# npm carries ONNX Runtime and llama.cpp; Debian's nodejs/npm only when no node is installed
# (a NodeSource node bundles npm and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

missing_apt() {
  local p out=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
  done
  printf '%s\n' "${out[@]}"
}

step_apt() {
  mapfile -t miss < <(missing_apt | sed '/^$/d')
  if ((${#miss[@]} == 0)); then log "apt: all ${#APT_PACKAGES[@]} packages present"; return; fi
  ((CHECK_ONLY)) && { log "apt: missing ${miss[*]}"; return 1; }
  [[ $(id -u) -eq 0 ]] || die "installing apt packages needs root (missing: ${miss[*]})"
  log "apt: installing ${miss[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${miss[@]}" >/dev/null
}

# npm pack NAME@VER into a temp dir and print the extracted package/ path.
npm_fetch() {
  local spec=$1 dir
  dir=$(mktemp -d)
  (cd "$dir" && npm pack --silent "$spec" >/dev/null 2>&1) || die "npm pack $spec failed"
  tar -xzf "$dir"/*.tgz -C "$dir"
  printf '%s\n' "$dir/package"
}

step_onnxruntime() {
  local dest="$DEPS/onnxruntime" stamp="$DEPS/onnxruntime/.stamp"
  if [[ -f $stamp && $(cat "$stamp") == "$ORT_NPM" ]]; then log "onnxruntime: present ($ORT_NPM)"; return; fi
  ((CHECK_ONLY)) && { log "onnxruntime: missing"; return 1; }
  log "onnxruntime: fetching $ORT_NPM from npm"
  local pkg hdr
  pkg=$(npm_fetch "$ORT_NPM")
  hdr="$pkg/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"
  [[ -f $hdr/onnxruntime_cxx_api.h && -f $pkg/Plugins/Linux/x64/libonnxruntime.so ]] \
    || die "unexpected layout in $ORT_NPM"
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp/include" "$dest.tmp/lib"
  cp "$hdr"/*.h "$dest.tmp/include/"
  cp "$pkg"/Plugins/Linux/x64/*.so "$dest.tmp/lib/"
  ln -sf libonnxruntime.so "$dest.tmp/lib/libonnxruntime.so.1"
  if [[ -f $pkg/LICENSE ]]; then cp "$pkg/LICENSE" "$dest.tmp/"; fi
  echo "$ORT_NPM" >"$dest.tmp/.stamp"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  rm -rf "$(dirname "$pkg")"
}

step_llama() {
  local root="$DEPS/llama.cpp" stamp="$DEPS/llama.cpp/.stamp"
  if [[ -f $stamp && $(cat "$stamp") == "$LLAMA_BUILD_ID" ]]; then log "llama.cpp: present ($LLAMA_BUILD_ID)"; return; fi
  ((CHECK_ONLY)) && { log "llama.cpp: missing"; return 1; }
  log "llama.cpp: fetching source from $LLAMA_NPM"
  local pkg
  pkg=$(npm_fetch "$LLAMA_NPM")
  [[ -f $pkg/llama/gitRelease.bundle ]] || die "no llama.cpp bundle in $LLAMA_NPM"
  rm -rf "$root" && mkdir -p "$root"
  git -c advice.detachedHead=false clone -q "$pkg/llama/gitRelease.bundle" "$root/src"
  rm -rf "$(dirname "$pkg")"
  log "llama.cpp: building (a few minutes on 2 cores)"
  # The same script builds the CUDA variant (docs/cuda.md); here: CPU, AVX2, static, PIC.
  bash "$(dirname "$0")/build_llama.sh" "$root/src" "$root/install" >/dev/null \
    || die "llama.cpp build failed (logs: $root/install.build*.log)"
  echo "$LLAMA_BUILD_ID" >"$stamp"
}

# llama.cpp's own llama-server, from the same source tree: the external baseline of the serving
# studies (examples/studies/serve-vs-llama-server.toml) and of tests/cli/bench_load_test.sh.
# The same build perf/llama_tools.sh makes on demand ($DEPS/llama.cpp/bench-build).
step_llama_server() {
  local dir="$DEPS/llama.cpp/bench-build" stamp="$DEPS/llama.cpp/bench-build/.stamp"
  if [[ -x $dir/bin/llama-server && -f $stamp && $(cat "$stamp") == "$LLAMA_BUILD_ID" ]]; then
    log "llama-server: present"; return
  fi
  ((CHECK_ONLY)) && { log "llama-server: missing"; return 1; }
  log "llama-server: building into $dir (a few minutes on 2 cores)"
  rm -rf "$dir"
  # shellcheck source=../perf/llama_tools.sh
  source "$(dirname "$0")/../perf/llama_tools.sh"
  WATTSERVE_DEPS="$DEPS" llama_tool llama-server >/dev/null || die "llama-server build failed"
  echo "$LLAMA_BUILD_ID" >"$stamp"
}

# The official OpenAI Node client, for the tests of `wattserve serve` (tests/cli/openai_client.cjs).
step_openai_client() {
  local dest="$DEPS/openai-node" stamp="$DEPS/openai-node/.stamp"
  if [[ -f $stamp && $(cat "$stamp") == "$OPENAI_NPM" ]]; then log "openai client: present ($OPENAI_NPM)"; return; fi
  ((CHECK_ONLY)) && { log "openai client: missing"; return 1; }
  log "openai client: installing $OPENAI_NPM from npm"
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$dest.tmp" "$OPENAI_NPM" >/dev/null \
    || die "npm install $OPENAI_NPM failed"
  echo "$OPENAI_NPM" >"$dest.tmp/.stamp"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
}

# Vega, Vega-Lite and vega-embed: their minified browser builds (build/NAME.min.js) and licences,
# which src/report/CMakeLists.txt embeds into `wattserve report` so its HTML page works offline.
step_vega() {
  local dest="$DEPS/vega" stamp="$DEPS/vega/.stamp" id="${VEGA_NPM[*]}"
  if [[ -f $stamp && $(cat "$stamp") == "$id" ]]; then log "vega: present ($id)"; return; fi
  ((CHECK_ONLY)) && { log "vega: missing"; return 1; }
  log "vega: fetching $id from npm"
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  local spec name pkg
  for spec in "${VEGA_NPM[@]}"; do
    name=${spec%@*}
    pkg=$(npm_fetch "$spec")
    [[ -f $pkg/build/$name.min.js && -f $pkg/LICENSE ]] || die "no build/$name.min.js or LICENSE in $spec"
    cp "$pkg/build/$name.min.js" "$dest.tmp/"
    cp "$pkg/LICENSE" "$dest.tmp/$name.LICENSE"
    rm -rf "$(dirname "$pkg")"
  done
  echo "$id" >"$dest.tmp/.stamp"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
}

main() {
  command -v apt-get >/dev/null || die "this script targets Debian 12 (apt-get not found)"
  if ((CHECK_ONLY)); then
    local rc=0
    step_apt || rc=1
    step_onnxruntime || rc=1
    step_llama || rc=1
    step_llama_server || rc=1
    step_openai_client || rc=1
    step_vega || rc=1
    return $rc
  fi
  step_apt
  mkdir -p "$DEPS" || die "cannot create $DEPS"
  step_onnxruntime
  step_llama
  step_llama_server
  step_openai_client
  step_vega
  log "all dependencies present in $DEPS"
}
main "$@"
