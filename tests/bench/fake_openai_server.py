#!/usr/bin/env python3
"""A fake OpenAI-compatible server on loopback for the load generator's tests (stdlib only).

  fake_openai_server.py --port P [--record FILE] [--die-after N] [--token-ms T] [--ready-after S]

GET /health and /v1/models answer at once (/health with 503 for the first S seconds);
POST /v1/completions and /v1/chat/completions stream (SSE) or return one JSON body with as many
one-character tokens as the request's bench_output_tokens (else max_tokens), T ms apart.
Every POST's arrival time (time.monotonic(), seconds) is appended to FILE as it is read, so a
test can compare the arrivals with the schedule the generator was given. After N POSTs the
process exits at once (os._exit(3)), in the middle of whatever it was doing.
"""
import argparse
import http.server
import json
import os
import socketserver
import threading
import time

ARGS = None
LOCK = threading.Lock()
COUNT = [0]
START = time.monotonic()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            ready = time.monotonic() - START >= ARGS.ready_after
            self.send_json(200 if ready else 503, {"status": "ok" if ready else "loading"})
        elif self.path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    def do_POST(self):
        arrived = time.monotonic()
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        with LOCK:
            COUNT[0] += 1
            count = COUNT[0]
            if ARGS.record:
                with open(ARGS.record, "a") as f:
                    f.write(f"{arrived:.9f}\n")
        if ARGS.die_after and count > ARGS.die_after:
            os._exit(3)
        tokens = int(req.get("bench_output_tokens") or req.get("max_tokens") or 16)
        chat = self.path.endswith("chat/completions")
        prompt_tokens = len(str(req.get("prompt", ""))) // 4
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": tokens,
                 "total_tokens": prompt_tokens + tokens}
        if not req.get("stream"):
            time.sleep(ARGS.token_ms * tokens / 1000)
            choice = ({"message": {"role": "assistant", "content": "x" * tokens}} if chat
                      else {"text": "x" * tokens})
            choice.update(index=0, finish_reason="length")
            self.send_json(200, {"id": "c", "object": "text_completion", "choices": [choice],
                                 "usage": usage})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(obj):
            data = b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        for i in range(tokens):
            time.sleep(ARGS.token_ms / 1000)
            piece = {"delta": {"content": "x"}} if chat else {"text": "x"}
            piece.update(index=0, finish_reason="length" if i == tokens - 1 else None)
            event({"id": "c", "choices": [piece]})
        if (req.get("stream_options") or {}).get("include_usage"):
            event({"id": "c", "choices": [], "usage": usage})
        event(b"[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--record", default="")
    ap.add_argument("--die-after", type=int, default=0)
    ap.add_argument("--token-ms", type=float, default=0.0)
    ap.add_argument("--ready-after", type=float, default=0.0)
    ARGS = ap.parse_args()
    Server(("127.0.0.1", ARGS.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
