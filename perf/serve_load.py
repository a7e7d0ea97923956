#!/usr/bin/env python3
"""Closed-loop load on an OpenAI-compatible /v1/completions endpoint (stdlib only).

  serve_load.py URL MODEL --streams N --requests R --max-tokens T [--prompt P]

N client threads each send requests back to back (streaming, temperature 0, ignore_eos, a
distinct prompt per request so no server can reuse a cached prefix) until R requests are done.
Prints one JSON object: requests, output tokens (from each response's final usage, else its
chunk count), wall seconds (first send -> last end), output tokens/s = tokens / wall, TTFT p50
and p99 (send -> first chunk with text), and the sum of usage.energy.joules where the server
reports it. Any non-200 or broken stream is counted in "errors".
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


def percentile(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def one(url, model, prompt, max_tokens, api_key):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    body = json.dumps({"model": model, "prompt": prompt, "max_tokens": max_tokens,
                       "temperature": 0, "ignore_eos": True, "stream": True,
                       "stream_options": {"include_usage": True}})
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = "Bearer " + api_key
    t0 = time.perf_counter()
    conn.request("POST", "/v1/completions", body, headers)
    resp = conn.getresponse()
    if resp.status != 200:
        resp.read()
        return {"error": resp.status}
    ttft, chunks, usage = None, 0, None
    for raw in resp:
        line = raw.decode("utf-8", "replace").strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        ev = json.loads(data)
        if ev.get("usage"):
            usage = ev["usage"]
        for c in ev.get("choices") or []:
            if c.get("text"):
                chunks += 1
                if ttft is None:
                    ttft = time.perf_counter() - t0
    end = time.perf_counter()
    conn.close()
    tokens = usage.get("completion_tokens", chunks) if usage else chunks
    energy = (usage or {}).get("energy", {}).get("joules")
    return {"t0": t0, "end": end, "ttft": ttft, "tokens": tokens, "joules": energy}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("model")
    ap.add_argument("--streams", type=int, default=1)
    ap.add_argument("--requests", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--prompt", default="def parse(self, text):\n    ")
    ap.add_argument("--api-key", default="")
    a = ap.parse_args()
    results, lock, counter = [], threading.Lock(), [0]

    def worker():
        while True:
            with lock:
                i = counter[0]
                if i >= a.requests:
                    return
                counter[0] += 1
            prompt = f"# request {i}\n{a.prompt}"
            try:
                r = one(a.url, a.model, prompt, a.max_tokens, a.api_key)
            except Exception as e:  # a broken connection is an error, not a crash of the bench
                r = {"error": str(e)}
            with lock:
                results.append(r)

    threads = [threading.Thread(target=worker) for _ in range(a.streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if "error" not in r]
    errors = [r["error"] for r in results if "error" in r]
    tokens = sum(r["tokens"] for r in ok)
    wall = (max(r["end"] for r in ok) - min(r["t0"] for r in ok)) if ok else 0
    ttfts = [r["ttft"] for r in ok if r["ttft"] is not None]
    joules = [r["joules"] for r in ok if r["joules"] is not None]
    print(json.dumps({
        "streams": a.streams, "requests": len(results), "errors": errors,
        "output_tokens": tokens, "wall_s": wall,
        "tokens_per_s": tokens / wall if wall > 0 else None,
        "ttft_p50_s": percentile(ttfts, 0.5), "ttft_p99_s": percentile(ttfts, 0.99),
        "response_joules": sum(joules) if len(joules) == len(ok) and ok else None,
    }))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
