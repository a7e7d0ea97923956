# The live page (GET /, src/serve/live_page.h) shows strings from the server as text: a model
# name from a config file such as <img src=x onerror=...> must not become an element or run
# script in the dashboard. Headless Chromium (Debian's chromium, installed by scripts/setup.sh)
# loads the page from a static server holding fake /metrics and /recent answers, not from
# `wattserve serve`, and the test reads the DOM it ends with. Fails when chromium is missing.
source "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $CHROMIUM ]] || fail "chromium is not installed: run scripts/setup.sh"

WWW=$TMP/www
mkdir -p "$WWW"
# The page as the server sends it: the raw string kLivePage of live_page.h.
"$PY" - "$SRC/src/serve/live_page.h" "$WWW/index.html" <<'EOF'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
start, end = text.index('R"HTML(') + len('R"HTML('), text.index(')HTML"')
open(sys.argv[2], "w", encoding="utf-8").write(text[start:end])
EOF
grep -q "fetch('recent')" "$WWW/index.html" || fail "the page does not fetch recent (extracted wrongly?)"

# /recent as Server::remember writes it, with hostile strings in every string field (the model
# name and the source come from the server; status and tokens are numbers there, strings here).
IMG="<img src=x onerror=\"document.title='pwned'\">"
"$PY" - "$WWW/recent" "$IMG" <<'EOF'
import json, sys
img = sys.argv[2]
rows = [{"time": 1700000000, "model": img, "status": 200, "completion_tokens": 4,
         "joules": 1.5, "duration_s": 0.25, "source": "<b id=\"injected\">counter</b>"},
        {"time": 1700000001, "model": "<script>document.title='pwned'</script>",
         "status": "<i id=\"injected2\">500</i>", "completion_tokens": "<u>4</u>",
         "joules": 2.0, "duration_s": 0.5, "source": "<s>estimate</s>"}]
json.dump(rows, open(sys.argv[1], "w"))
EOF
# /metrics in Prometheus' text format, the model label hostile too.
cat >"$WWW/metrics" <<EOF
wattserve_power_watts 42.5
wattserve_energy_joules_total{domain="cpu",kind="package",source="estimate"} 12.25
wattserve_requests_total{model="$IMG",status="200"} 3
wattserve_completion_tokens_total{model="$IMG"} 10
EOF

# A static server on a free port; it prints the port once it listens (read without polling).
exec 3< <(cd "$WWW" && exec "$PY" -u -c '
import http.server, socketserver, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass
with socketserver.TCPServer(("127.0.0.1", 0), Quiet) as s:
    print(s.server_address[1], flush=True)
    s.serve_forever()
')
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
read -r -t 30 PORT <&3 || fail "the static server did not start"

# --virtual-time-budget runs the page's timers and fetches (tick() at load and after 1 s) before
# the DOM is dumped.
timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$TMP/profile" --virtual-time-budget=3000 --dump-dom \
  "http://127.0.0.1:$PORT/" >"$TMP/dom.html" 2>"$TMP/chromium.log" \
  || { tail -20 "$TMP/chromium.log" >&2; fail "chromium failed"; }

"$PY" - "$TMP/dom.html" "$IMG" <<'EOF'
import sys
from html.parser import HTMLParser

dom, img = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.title, self.cells = [], set(), "", []
        self.in_title, self.cell = False, None
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id")
        self.in_title = tag == "title"
        if tag == "td":
            self.cell = ""
    def handle_endtag(self, tag):
        self.in_title = False
        if tag == "td" and self.cell is not None:
            self.cells.append(self.cell)
            self.cell = None
    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.cell is not None:
            self.cell += data

p = Page()
p.feed(dom)
def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        print(dom[-3000:], file=sys.stderr)
        sys.exit(1)
check(p.title == "wattserve", "the page's title is %r: injected script ran" % p.title)
injected = {"img", "b", "i", "u", "s"} & set(p.tags)
check(not injected, "injected elements in the page: %s" % sorted(injected))
check(not {"injected", "injected2"} & p.ids, "injected ids in the page: %s" % (p.ids,))
check(p.tags.count("script") == 1, "%d script elements (the page has one)" % p.tags.count("script"))
# The hostile strings are there, as the text of their cells.
for text in (img, "<b id=\"injected\">counter</b>", "<script>document.title='pwned'</script>",
             "<i id=\"injected2\">500</i>", "<u>4</u>", "<s>estimate</s>"):
    check(text in p.cells, "%r is not the text of a cell; cells: %r" % (text, p.cells))
check(len(p.cells) == 16, "%d cells, expected 2 rows of 8" % len(p.cells))
check("1.500" in p.cells and "0.3750" in p.cells, "numbers not formatted: %r" % (p.cells,))
EOF
# The cards are filled from /metrics too (the page's script ran to the end).
grep -q 'id="power">42.5 W<' "$TMP/dom.html" || fail "power card not filled: $(grep -o 'id="power">[^<]*' "$TMP/dom.html")"
echo "live page xss: ok (hostile strings shown as text, no injected element or script)"
