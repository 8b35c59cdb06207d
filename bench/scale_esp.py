"""A fake Postmark API on loopback for bench/scale.py, run as its own process so its work does
not share the benchmark's interpreter (and GIL).

    .venv/bin/python bench/scale_esp.py [LATENCY_MS]   # prints "PORT <n>" once listening

``LATENCY_MS`` (default 0) is how long each ``POST /email`` takes to answer, as a real ESP's
API does (50 to 300 ms); requests are served in threads, so concurrent sends overlap.

``POST /email`` answers as Postmark does (``MessageID``, ``ErrorCode: 0``) and counts the
message; ``GET /count`` returns ``{"received": n, "messages": m}`` (m = distinct Metadata
message ids); ``POST /reset`` sets both to zero. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_lock = threading.Lock()
_state: dict[str, Any] = {"received": 0, "ids": set(), "serial": 0, "latency": 0.0}


class FakePostmark(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Postmark's API allows

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") == "/reset":
            with _lock:
                _state.update(received=0, ids=set())
            self._reply(200, {"ok": True})
            return
        if self.path.rstrip("/") != "/email":
            self._reply(404, {"ErrorCode": 404, "Message": f"no such endpoint {self.path}"})
            return
        body = json.loads(raw)
        if _state["latency"]:
            time.sleep(_state["latency"])
        key = (body.get("Metadata") or {}).get("settle_message_id", "")
        with _lock:
            _state["received"] += 1
            _state["serial"] += 1
            serial = _state["serial"]
            if key:
                _state["ids"].add(key)
        self._reply(200, {"To": body.get("To", ""), "SubmittedAt": "2026-11-23T10:00:00Z",
                          "MessageID": f"pm-{serial}", "ErrorCode": 0, "Message": "OK"})

    def do_GET(self) -> None:
        with _lock:
            payload = {"received": _state["received"], "messages": len(_state["ids"])}
        self._reply(200, payload)

    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    _state["latency"] = float(sys.argv[1]) / 1000 if len(sys.argv) > 1 else 0.0
    ThreadingHTTPServer.request_queue_size = 256  # the listen() backlog: many senders at once
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePostmark)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
