// The small web page `wattserve serve` shows at /: live power, throughput and recent requests,
// polled once a second from /metrics and /recent by the page's own script (no external assets).
// Every string from the server reaches the page as text (textContent), never as HTML
// (tests/cli/live_page_xss_test.sh).
#pragma once

namespace wattserve::serve {

inline constexpr const char* kLivePage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wattserve</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:20px} .big{font-size:28px;font-weight:600}
.cards{display:flex;gap:2em;margin:1em 0} .card{border:1px solid #ddd;border-radius:8px;padding:1em 1.5em}
table{border-collapse:collapse} td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}
</style></head><body>
<h1>wattserve: energy of every request</h1>
<div class="cards">
<div class="card">power<div class="big" id="power">-</div></div>
<div class="card">output tokens/s<div class="big" id="tps">-</div></div>
<div class="card">energy since start<div class="big" id="energy">-</div></div>
<div class="card">requests<div class="big" id="reqs">-</div></div>
</div>
<h2>Recent requests</h2>
<table><thead><tr><th>time</th><th>model</th><th>status</th><th>tokens out</th><th>J</th>
<th>J/token</th><th>s</th><th>source</th></tr></thead><tbody id="recent"></tbody></table>
<script>
let last = null;
function sum(text, name) {
  let s = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + '{') || line.startsWith(name + ' ')) s += parseFloat(line.split(' ').pop());
  }
  return s;
}
async function tick() {
  try {
    const m = await (await fetch('metrics')).text();
    const now = Date.now() / 1000, tokens = sum(m, 'wattserve_completion_tokens_total');
    document.getElementById('power').textContent = sum(m, 'wattserve_power_watts').toFixed(1) + ' W';
    document.getElementById('energy').textContent = sum(m, 'wattserve_energy_joules_total').toFixed(1) + ' J';
    document.getElementById('reqs').textContent = sum(m, 'wattserve_requests_total');
    if (last) document.getElementById('tps').textContent = ((tokens - last.tokens) / (now - last.t)).toFixed(1);
    last = {t: now, tokens};
    const recent = await (await fetch('recent')).json();
    // Rows are built from text nodes: a model name (from a config file) or any other string the
    // server sends is shown as text, never parsed as HTML.
    const num = (x, digits) => (typeof x === 'number' ? x.toFixed(digits) : '-');
    const rows = recent.map(r => {
      const tr = document.createElement('tr');
      const out = r.completion_tokens;
      for (const cell of [new Date(r.time * 1000).toLocaleTimeString(), r.model, r.status, out,
                          num(r.joules, 3),
                          out > 0 && typeof r.joules === 'number' ? (r.joules / out).toFixed(4) : '-',
                          num(r.duration_s, 3), r.source]) {
        const td = document.createElement('td');
        td.textContent = String(cell);
        tr.appendChild(td);
      }
      return tr;
    });
    document.getElementById('recent').replaceChildren(...rows);
  } catch (e) {}
}
tick(); setInterval(tick, 1000);
</script></body></html>
)HTML";

}  // namespace wattserve::serve
