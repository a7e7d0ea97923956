#!/usr/bin/env bash
# check_page.sh PAGE.html SCREENSHOT.png: loads a `wattserve report` page from a file:// URL in
# headless Chromium with every network request refused (unresolvable hosts, a dead proxy) and
# checks what the page recorded about itself (src/report/html: #wattserve-render-status): every
# plot rendered a non-empty SVG, no script error, no console error in Chromium's log; the page
# loads nothing from outside (no <script src>, no stylesheet link). Takes a screenshot. Exit 1
# with a message on any failure; Chromium missing is a failure.
set -euo pipefail
PAGE=$(realpath "${1:?usage: check_page.sh PAGE.html SCREENSHOT.png}")
SHOT=${2:?}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -n $CHROMIUM ]] || fail "chromium is not installed: run scripts/setup.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if grep -qiE '<script[^>]*\bsrc=|<link[^>]*\bhref=' "$PAGE"; then
  fail "the page loads a script or stylesheet from elsewhere"
fi
FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server=127.0.0.1:9
  --user-data-dir="$WORK/profile" --virtual-time-budget=20000)
timeout 120 "$CHROMIUM" "${FLAGS[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$PAGE" \
  >"$WORK/dom.html" 2>"$WORK/chromium.log" || fail "chromium failed: $(tail -5 "$WORK/chromium.log")"
/usr/bin/python3 - "$WORK/dom.html" "$WORK/chromium.log" <<'PY' || exit 1
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
log = open(sys.argv[2], encoding="utf-8", errors="replace").read()
m = re.search(r'<pre id="wattserve-render-status"[^>]*>(.*?)</pre>', dom, re.S)
if not m or not m.group(1).strip():
    sys.exit("FAIL: the page did not record its rendering status (scripts did not run?)")
status = json.loads(html.unescape(m.group(1)))
plots = status.get("plots", [])
bad = [p for p in plots if not p.get("ok") or p.get("svg_elements", 0) <= 0]
if not plots:
    sys.exit("FAIL: the page has no plots")
if bad:
    sys.exit(f"FAIL: plots that did not render: {bad}")
if status.get("errors"):
    sys.exit(f"FAIL: script errors: {status['errors']}")
console = [l for l in log.splitlines() if "CONSOLE" in l and re.search(r"error|Uncaught", l, re.I)]
if console:
    sys.exit("FAIL: console errors:\n" + "\n".join(console[:10]))
print(f"{len(plots)} plots rendered as SVG, no errors")
PY
timeout 120 "$CHROMIUM" "${FLAGS[@]}" --hide-scrollbars --window-size=1280,3000 \
  --screenshot="$SHOT" "file://$PAGE" >/dev/null 2>&1 || fail "chromium could not take a screenshot"
[[ $(stat -c %s "$SHOT") -gt 20000 ]] || fail "the screenshot is nearly empty ($(stat -c %s "$SHOT") bytes)"
