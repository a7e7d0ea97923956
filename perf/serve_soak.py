#!/usr/bin/env python3
"""Soak of `wattserve serve` on pycode-tiny: mixed normal and abusive load for N minutes.

  serve_soak.py WATTSERVE_BINARY --minutes M --out DIR [--zoo DIR]

Normal clients (closed loop): 2 streamed completions, 1 non-streamed completion or chat, 1 KServe
v2 text infer. Abusive clients mixed in: 20 slow-header clients (1 byte/s, reconnecting), 100
idle keep-alive sockets (reopened when the server closes them), unterminated chunked bodies,
header floods (one 1 MiB header, 10,000 small headers), an oversized Content-Length, streams
abandoned after their first chunk, malformed JSON. /health is probed every 0.5 s on a new
connection; every 10 s a row goes to DIR/soak.csv (time, server RSS, last /health latency,
answers so far). At the end: DIR/summary.json (RSS min/max and growth after warm-up, counts by
status incl. 5xx, /health p50/p99/max, the energy books as in serve_abuse.py case 5), printed.
Exit 1 when there were 5xx, RSS grew > 100 MB after warm-up, /health p99 > 100 ms, or the
books are off by > 1%; 2 when the server did not start or died.
"""
import argparse
import json
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "cli"))
import serve_abuse as sa  # noqa: E402  (the tests' raw HTTP client, server handling, metrics)

MODEL = sa.MODEL
MiB = sa.MiB


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.by = {}  # group -> {outcome: n}

    def add(self, group, outcome):
        with self.lock:
            g = self.by.setdefault(group, {})
            g[str(outcome)] = g.get(str(outcome), 0) + 1

    def total(self, pred):
        with self.lock:
            return sum(n for g in self.by.values() for o, n in g.items() if pred(o))

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps(self.by))


def is_5xx(o):
    return o.isdigit() and 500 <= int(o) < 600


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--out", default="out/soak")
    ap.add_argument("--zoo", default=None)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    sa.WS, sa.WORK, sa.ZOO = a.binary, a.out, a.zoo
    open(os.path.join(a.out, "pids"), "w").close()
    duration = a.minutes * 60
    warmup = min(120.0, duration / 3)
    try:
        srv = sa.Server(["--max-queue", "128"], "soak-server", threads=a.threads)
    except sa.CaseFail as e:
        print(f"serve_soak: {e}", file=sys.stderr)
        return 2
    addr = srv.addr
    stop = threading.Event()
    counts = Counts()
    health = []  # (t, seconds or inf)
    t_start = time.monotonic()
    print(f"serve_soak: {srv.url} (pid {srv.pid}), {a.minutes:g} min, warm-up {warmup:.0f} s, out {a.out}",
          flush=True)

    def loop(fn, pause):
        def run():
            rnd = random.Random(hash(fn.__name__) ^ threading.get_ident())
            while not stop.is_set():
                try:
                    fn(rnd)
                except Exception as e:  # a client's own failure is counted, never fatal
                    counts.add(fn.__name__, f"client {type(e).__name__}")
                stop.wait(pause)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    # -- normal clients
    def streamed(rnd):
        body = sa.completion_body(rnd.randint(16, 96), prompt=f"# {rnd.random()}\ndef ", temperature=0.8,
                                  seed=rnd.randint(0, 1 << 30), stream=True,
                                  stream_options={"include_usage": True})
        st, ev = sa.stream(addr, "/v1/completions", body, timeout=120)
        ok = st == 200 and ev[-1:] == ["[DONE]"]
        counts.add("streamed", st if ok or st != 200 else "200 broken")

    def plain(rnd):
        if rnd.random() < 0.5:
            path, body = "/v1/completions", sa.completion_body(rnd.randint(8, 64), prompt="class A:\n")
        else:
            path, body = "/v1/chat/completions", {"model": MODEL, "max_tokens": rnd.randint(8, 64),
                                                  "messages": [{"role": "user", "content": "write a loop"}]}
        counts.add("plain", sa.try_http(addr, "POST", path, body, timeout=120)[0])

    def kserve(rnd):
        body = {"inputs": [{"name": "text_input", "datatype": "BYTES", "shape": [1], "data": ["import "]}],
                "parameters": {"max_tokens": rnd.randint(8, 48)}}
        counts.add("kserve", sa.try_http(addr, "POST", f"/v2/models/{MODEL}/infer", body, timeout=120)[0])

    # -- abusive clients
    def abandon(rnd):
        c = sa.Conn(addr, 30)
        try:
            c.send(sa.build_request("POST", "/v1/completions", sa.completion_body(
                200, prompt="#", ignore_eos=True, stream=True, temperature=0.8, seed=rnd.randint(0, 1 << 30))))
            st, h = c.read_head()
            for _ in sa.sse_events(c, h):
                break
            counts.add("abandon", f"{st} abandoned")
        finally:
            c.close()

    def malformed(rnd):
        bad = rnd.choice(['{"model": "pycode-tiny", "prompt": ', "[]", '{"model": 5}', "\xff\xfe",
                          '{"model": "pycode-tiny", "prompt": "x", "max_tokens": 1e400}'])
        counts.add("malformed", sa.try_http(addr, "POST", "/v1/completions", bad, timeout=30)[0])

    def one_abuse(kind, head, block, repeat, tail=b""):
        c = sa.Abuse(kind, addr, head, block, repeat, tail, sndbuf=65536)
        sa.run_abuse([c], 10.0)
        counts.add(kind, c.outcome())

    chunk = b"10000\r\n" + b"c" * 65536 + b"\r\n"
    blk = b"b" * MiB
    many = b"".join(b"X-F%d: v\r\n" % i for i in range(10000))

    def chunked(rnd):
        one_abuse("chunked unterminated", b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n", chunk, 128)

    def oversized(rnd):
        one_abuse("content-length 300 MiB", b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: %d\r\n\r\n" % (300 * MiB), blk, 4)

    def header_flood(rnd):
        if rnd.random() < 0.5:
            one_abuse("1 MiB header", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ", blk, 1, b"\r\n\r\n")
        else:
            one_abuse("10000 headers", b"GET /health HTTP/1.1\r\nHost: x\r\n", many, 1, b"\r\n")

    def probe(rnd):
        st, _, _, dt = sa.try_http(addr, "GET", "/health", timeout=5)
        health.append((time.monotonic() - t_start, dt if st == 200 else float("inf")))

    threads = [loop(streamed, 0), loop(streamed, 0), loop(plain, 0), loop(kserve, 0.1),
               loop(abandon, 1.0), loop(malformed, 0.5), loop(chunked, 2.0), loop(oversized, 2.0),
               loop(header_flood, 3.0), loop(probe, 0.5)]

    # Idle keep-alive sockets and slow-header clients, topped up every 10 s.
    idle, slow = [], []
    rows = []
    csv_path = os.path.join(a.out, "soak.csv")
    next_sample = 0.0
    dead = False
    try:
        while True:
            now = time.monotonic() - t_start
            if not srv.alive():
                dead = True
                print(f"serve_soak: the server died (exit {srv.p.returncode}): {srv.log_tail(400)}",
                      file=sys.stderr)
                break
            if now >= next_sample:
                live = []
                for s in idle:
                    try:
                        s.setblocking(False)
                        if s.recv(1, socket.MSG_PEEK) == b"":
                            s.close()
                            continue
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        s.close()
                        continue
                    live.append(s)
                idle = live
                if len(idle) < 100:
                    more, _ = sa.open_idle(addr, (100 - len(idle)) // 2, 100 - len(idle) - (100 - len(idle)) // 2,
                                           timeout=3)
                    idle += more
                for t in [t for t in slow if not t.alive()]:
                    t.stop()  # all its clients were closed by the server
                slow = [t for t in slow if t.alive()]
                if len(slow) < 4:
                    slow.append(sa.Trickle(addr, 5))
                last_h = health[-1][1] if health else float("nan")
                row = {"t_s": round(now, 1), "rss_mb": round(srv.rss_mb(), 1),
                       "health_ms": round(last_h * 1e3, 2) if last_h != float("inf") else "inf",
                       "answers": counts.total(lambda o: o.isdigit()),
                       "errors_5xx": counts.total(is_5xx),
                       "idle_sockets": len(idle), "slow_clients": sum(t.alive() for t in slow)}
                rows.append(row)
                print(f"  t={row['t_s']:6.0f}s rss={row['rss_mb']:7.1f}MB health={row['health_ms']}ms "
                      f"answers={row['answers']} 5xx={row['errors_5xx']} idle={row['idle_sockets']} "
                      f"slow={row['slow_clients']}", flush=True)
                next_sample += 10.0
            if now >= duration:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        for t in slow:
            t.stop()
        sa.close_all(idle)
        for t in threads:
            t.join(30)

    summary = {"minutes": a.minutes, "url": srv.url, "warmup_s": warmup}
    failures = []
    if not dead:
        # Let abandoned work drain, then read the books.
        end = time.monotonic() + 20
        while time.monotonic() < end:
            ms = sa.metrics(addr)
            if ms and sa.msum(ms, "wattserve_queue_length", model=MODEL) == 0:
                break
            time.sleep(0.5)
        time.sleep(1.0)
        ms = sa.metrics(addr) or []
        names = ("wattserve_request_energy_joules_total", "wattserve_unattributed_energy_joules_total",
                 "wattserve_meter_energy_joules_total")
        req, una, meter = (sa.msum(ms, n) for n in names)
        missing = [n for n in names if not sa.mhas(ms, n)]
        ratio = (req + una) / meter if meter > 0 else None
        summary["energy"] = {"requests_j": req, "unattributed_j": una, "meter_j": meter,
                             "ratio": ratio, "missing_metrics": missing}
        summary["requests_total"] = {l.get("status"): v for n, l, v in ms
                                     if n == "wattserve_requests_total" and l.get("model") == MODEL}
        if missing:
            failures.append(f"metrics missing: {', '.join(missing)}")
        elif ratio is None or abs(ratio - 1) >= 0.01:
            failures.append(f"energy books off: (requests + unattributed) / meter = {ratio}")
        rc, dt = srv.term(timeout=30)
        summary["exit"] = {"code": rc, "seconds": round(dt, 2)}
        if rc != 0:
            failures.append(f"exit {rc} after SIGTERM")
    else:
        failures.append("the server died")
    srv.kill()

    with open(csv_path, "w") as f:
        cols = ["t_s", "rss_mb", "health_ms", "answers", "errors_5xx", "idle_sockets", "slow_clients"]
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(str(r[c]) for c in cols) + "\n")
    rss = [r["rss_mb"] for r in rows if r["rss_mb"] == r["rss_mb"]]
    after = [r["rss_mb"] for r in rows if r["t_s"] >= warmup and r["rss_mb"] == r["rss_mb"]]
    base = next((r["rss_mb"] for r in rows if r["t_s"] >= warmup), None)
    growth = (max(after) - base) if after and base is not None else None
    lat = [x for _, x in health]
    summary["rss_mb"] = {"min": min(rss) if rss else None, "max": max(rss) if rss else None,
                         "after_warmup": base, "growth_after_warmup": growth}
    summary["health_ms"] = {"probes": len(lat), "failed": sum(1 for x in lat if x == float("inf")),
                            "p50": sa.pct(lat, 0.5) * 1e3 if lat else None,
                            "p99": sa.pct(lat, 0.99) * 1e3 if lat else None,
                            "max": max(lat) * 1e3 if lat else None}
    summary["by_client"] = counts.snapshot()
    summary["errors_5xx"] = counts.total(is_5xx)
    if summary["errors_5xx"]:
        failures.append(f"{summary['errors_5xx']} responses were 5xx")
    if growth is not None and growth > 100:
        failures.append(f"RSS grew by {growth:.0f} MB after warm-up")
    p99 = summary["health_ms"]["p99"]
    if p99 is None or not p99 <= 100:
        failures.append(f"/health p99 {p99} ms (limit 100)")
    summary["failures"] = failures
    for k, v in summary["health_ms"].items():
        if v == float("inf"):
            summary["health_ms"][k] = "inf"
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, default=str)
    print(json.dumps(summary, indent=2, default=str))
    print(f"serve_soak: {'FAIL: ' + '; '.join(failures) if failures else 'ok'}")
    return 2 if dead else (1 if failures else 0)


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        sa.kill_all()
