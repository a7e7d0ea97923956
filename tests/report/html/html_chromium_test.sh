# The HTML page of `wattserve report` in a browser: report_html_sample writes a page with every
# block and plot kind (and hostile strings), headless Chromium (Debian's chromium, installed by
# scripts/setup.sh) loads it from a file:// URL with the network cut off, and the test reads the
# render status the page writes (html.h): every plot drawn as a non-empty SVG, no script error,
# console error or warning, nothing injected. A screenshot checks that something was painted.
#
#   bash tests/report/html/html_chromium_test.sh REPORT_HTML_SAMPLE
#
# WATTSERVE_HTML_SCREENSHOT=FILE.png keeps a copy of the screenshot. Fails when chromium is missing.
set -euo pipefail
SAMPLE=${1:?usage: html_chromium_test.sh REPORT_HTML_SAMPLE}
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $CHROMIUM ]] || fail "chromium is not installed: run scripts/setup.sh"

PAGE=$TMP/page.html
timeout 60 "$SAMPLE" "$PAGE" || fail "$SAMPLE did not write the page"
SIZE=$(stat -c %s "$PAGE")
echo "sample page: $SIZE bytes"

# Offline by construction: no script or stylesheet from elsewhere.
if grep -Eiq '<script[^>]*[[:space:]]src=' "$PAGE"; then fail "the page loads a script by URL"; fi
if grep -Eiq '<link[^>]*href=' "$PAGE"; then fail "the page links a stylesheet or other resource"; fi
if grep -Eiq '@import|url\([[:space:]]*["'"'"']?https?:' "$PAGE"; then fail "the page's CSS fetches a URL"; fi

# Chromium with its own profile and no network: every host name resolves to nothing and every
# request goes to a closed local port, so a page that fetches anything fails to draw.
chromium() {
  timeout 50 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-extensions --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server=127.0.0.1:9 \
    --enable-logging=stderr --v=0 --user-data-dir="$TMP/profile" \
    --virtual-time-budget=15000 "$@"
}
chromium --dump-dom "file://$PAGE" >"$TMP/dom.html" 2>"$TMP/chromium.log" \
  || { tail -20 "$TMP/chromium.log" >&2; fail "chromium --dump-dom failed"; }

# Console errors and uncaught exceptions as Chromium logs them.
if grep -E 'CONSOLE' "$TMP/chromium.log" | grep -Eiq 'error|uncaught'; then
  grep -E 'CONSOLE' "$TMP/chromium.log" >&2
  fail "console errors in chromium's log"
fi

"$PY" - "$TMP/dom.html" "$PAGE" <<'EOF'
import json, re, sys
from html.parser import HTMLParser

dom = open(sys.argv[1], encoding="utf-8").read()
page = open(sys.argv[2], encoding="utf-8").read()

def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.body, self.status, self.links = set(), {}, None, []
        self.title, self.in_title, self.in_status = "", False, False
        self.figures = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "body":
            self.body = a
        if tag == "title":
            self.in_title = True
        if tag == "pre" and a.get("id") == "wattserve-render-status":
            self.in_status, self.status = True, ""
        if tag == "figure" and "plot" in (a.get("class") or "").split():
            self.figures.append(a.get("id"))
        if tag == "a" and "spec-link" in (a.get("class") or "").split():
            self.links.append(a)
    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag == "pre":
            self.in_status = False
    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.in_status:
            self.status += data

d = Dom()
d.feed(dom)
check(d.body.get("data-render-done") == "1",
      "the page did not finish rendering (body has no data-render-done=\"1\"): a plot's promise "
      "never settled, or the render script did not run")
check(d.status, "the render status element is empty")
status = json.loads(d.status)
errors, warnings = status.get("errors", []), status.get("warnings", [])
check(not errors, "script errors in the page: %s" % json.dumps(errors, indent=1))
check(not warnings, "console warnings in the page (Vega or Vega-Lite): %s" % json.dumps(warnings, indent=1))

expected = re.findall(r'<figure class="plot" id="([A-Za-z0-9_-]+)">', page)
check(len(expected) >= 6, "the sample page has %d plots, expected at least 6" % len(expected))
check(d.figures == expected, "figures in the DOM %r, in the file %r" % (d.figures, expected))
plots = status.get("plots", [])
check([p.get("id") for p in plots] == expected,
      "the status lists plots %r, the page has %r" % ([p.get("id") for p in plots], expected))
for p in plots:
    check(p.get("ok") is True and p.get("svg_elements", 0) > 0,
          "plot %s did not render: %s" % (p.get("id"), json.dumps(p)))
    print("plot %-16s ok, %d SVG elements" % (p["id"], p["svg_elements"]))

# Each plot's download link: its spec as a blob, named after the plot.
check(len(d.links) == len(expected), "%d spec links for %d plots" % (len(d.links), len(expected)))
for pid, link in zip(expected, d.links):
    check((link.get("href") or "").startswith("blob:"), "spec link of %s is %r" % (pid, link.get("href")))
    check(link.get("download") == pid + ".vl.json", "spec link of %s downloads %r" % (pid, link.get("download")))

# The hostile strings stayed text.
img = "<img id=\"injected-img\" src=x onerror=\"document.title='pwned'\">"
check(d.title == "wattserve report: sample " + img,
      "the title is %r: injected script ran, or the text was not kept" % d.title)
injected = {i for i in d.ids if i.startswith("injected")}
check(not injected, "injected elements in the page: %s" % sorted(injected))
print("render status: %d plots ok, no errors" % len(plots))
EOF

# The status tells a failure too: a page with a plot Vega-Lite refuses reports that plot as not
# drawn, with its error, and still finishes (the other plots are drawn).
timeout 60 "$SAMPLE" --broken "$TMP/broken.html" || fail "$SAMPLE --broken did not write the page"
chromium --dump-dom "file://$TMP/broken.html" >"$TMP/broken-dom.html" 2>"$TMP/broken.log" \
  || { tail -20 "$TMP/broken.log" >&2; fail "chromium --dump-dom failed on the broken page"; }
"$PY" - "$TMP/broken-dom.html" <<'EOF'
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
check(re.search(r'<body[^>]*data-render-done="1"', dom), "the broken page did not finish rendering")
m = re.search(r'<pre id="wattserve-render-status" hidden="">(.*?)</pre>', dom, re.S)
check(m, "no render status in the broken page")
status = json.loads(html.unescape(m.group(1)))
by_id = {p["id"]: p for p in status["plots"]}
check(by_id.get("broken", {}).get("ok") is False, "the broken plot is reported as %r" % by_id.get("broken"))
check(any("broken" in e for e in status["errors"]), "no error names the broken plot: %r" % status["errors"])
check(all(p["ok"] for i, p in by_id.items() if i != "broken"), "a good plot failed beside the broken one")
check("This plot could not be drawn" in dom, "the broken plot shows no message in the page")
print("broken plot: reported (%s)" % status["errors"][0][:100])
EOF

# A screenshot of the whole page, painted: a blank page compresses to a few kilobytes.
chromium --screenshot="$TMP/page.png" --window-size=1280,4000 --hide-scrollbars \
  "file://$PAGE" >"$TMP/shot.log" 2>&1 || { tail -20 "$TMP/shot.log" >&2; fail "chromium --screenshot failed"; }
[[ -f $TMP/page.png ]] || fail "chromium wrote no screenshot"
"$PY" - "$TMP/page.png" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("FAIL: the screenshot is not a PNG")
width, height = struct.unpack(">II", data[16:24])
if (width, height) != (1280, 4000):
    sys.exit("FAIL: the screenshot is %dx%d, expected 1280x4000" % (width, height))
if len(data) < 60000:
    sys.exit("FAIL: the screenshot is %d bytes: the page looks blank" % len(data))
print("screenshot: %dx%d, %d bytes" % (width, height, len(data)))
EOF
if [[ -n ${WATTSERVE_HTML_SCREENSHOT:-} ]]; then cp "$TMP/page.png" "$WATTSERVE_HTML_SCREENSHOT"; fi
echo "report html in chromium: ok"
