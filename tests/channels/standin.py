"""A small HTTP server on loopback that answers with recorded platform responses.

A channel's ``graph_url``/``api_base`` points at it, so the adapter's real
HTTP client (requests, its sessions, headers and timeouts) does the talking.
Each route answers with its queued responses in turn (the last one repeats);
every request is kept for the test to read: method, path, query, headers, body.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: Any = None
    """JSON-able, sent as ``application/json``; a ``str`` is sent as it is."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering, after the request was taken: longer than the
    client's read timeout, it is a platform that acted but whose answer was lost."""


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


class StandIn:
    """Routes ``(method, path)`` to answers; ``url`` is where to point the channel."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self.url = ""

    def on(self, method: str, path: str, *answers: Answer) -> None:
        with self._lock:
            self.routes[(method, path)] = list(answers)

    def requests(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.seen
                if (method is None or s.method == method) and (path is None or s.path == path)
            ]

    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.seen.append(Seen(method, parts.path, query, headers, body))
            queued = self.routes.get((method, parts.path))
            if not queued:
                return Answer(404, {"error": {"message": f"no route {method} {parts.path}"}})
            return queued.pop(0) if len(queued) > 1 else queued[0]


@contextmanager
def serving(standin: StandIn) -> Iterator[StandIn]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            found = standin.answer(self.command, self.path, dict(self.headers.items()), body)
            time.sleep(found.delay)
            raw = (
                found.body.encode()
                if isinstance(found.body, str)
                else json.dumps(found.body).encode()
            )
            self.send_response(found.status)
            if not isinstance(found.body, str):
                self.send_header("Content-Type", "application/json; charset=UTF-8")
            for name, value in found.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # quiet: pytest shows what matters

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)  # a client gone after a delay

    server = Server(("127.0.0.1", 0), Handler)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
