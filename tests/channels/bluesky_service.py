"""A stand-in Bluesky service on loopback, answering the atproto SDK's real HTTP requests.

It does what a PDS does with sessions (``createSession`` checks the app
password and hands out JWTs, ``refreshSession`` rotates them, every other
call wants a current access token) and answers each XRPC method from the
recordings in ``recorded/bluesky/``, written by hand in the shapes of the
AT Protocol lexicons (no live account is used in tests). Tests queue
answers with ``answer`` and read what was asked in ``calls``.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).parent / "recorded" / "bluesky"

HANDLE = "anytownlibrary.bsky.social"
ME = "did:plc:anytownlibrary2kqz7vdm4c"
APP_PASSWORD = "abcd-efgh-2345-wxyz"
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"


@cache
def recording(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Call:
    nsid: str
    params: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def jwt(payload: dict[str, Any]) -> str:
    """A token shaped like the service's: the SDK reads its ``exp``; nobody checks a signature."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part(payload)}.c2lnbmF0dXJl"


class StandIn:
    """The service's state: accounts' tokens, queued answers, and every call made."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.queued: dict[str, deque[Answer]] = defaultdict(deque)
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.password = APP_PASSWORD
        self.access_lifetime = 2 * 3600
        self.records: list[dict[str, Any]] = []
        self.posts: dict[str, dict[str, Any]] = {}
        """The account's posts by record key, as ``getRecord`` answers them."""
        self.chat_sent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        """The account's chat messages by conversation, newest first (``getMessages``)."""
        self.lose_answers: set[str] = set()
        """Methods whose next call is carried out, then answered 504 (a proxy timing out)."""
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self.url = ""

    # -- what tests do --------------------------------------------------------------------

    def answer(
        self,
        nsid: str,
        body: Any = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        recorded: str | None = None,
    ) -> None:
        """Queue one answer to ``nsid``: ``body`` or the recording named ``recorded``."""
        if recorded is not None:
            body = recording(recorded)
        self.queued[nsid].append(Answer(status, body, headers or {}))

    def count(self, nsid: str) -> int:
        return sum(1 for call in self.calls if call.nsid == nsid)

    def calls_to(self, nsid: str) -> list[Call]:
        return [call for call in self.calls if call.nsid == nsid]

    def expire_access_tokens(self) -> None:
        """The service forgets every access token (as when they expire or are revoked)."""
        self.access.clear()

    def revoke_refresh_tokens(self) -> None:
        self.refresh.clear()

    # -- what the service does ------------------------------------------------------------

    def handle(self, nsid: str, call: Call) -> Answer:
        with self._lock:
            self.calls.append(call)
            bearer = call.headers.get("authorization", "").removeprefix("Bearer ")
            if nsid == "com.atproto.server.createSession":
                return self._create_session(call.body or {})
            if nsid == "com.atproto.server.refreshSession":
                if bearer not in self.refresh:
                    return _error(400, "ExpiredToken", "Token has been revoked")
                self.refresh.discard(bearer)
                return Answer(200, self._session(), {})
            if bearer not in self.access:
                return _error(400, "ExpiredToken", "Token has expired")
            if self.queued[nsid]:
                return self.queued[nsid].popleft()
            answer = self._default(nsid, call)
            if nsid in self.lose_answers and answer.status == 200:
                self.lose_answers.discard(nsid)
                return _error(504, "UpstreamTimeout", "Upstream timed out")
            return answer

    def _create_session(self, body: dict[str, Any]) -> Answer:
        if body.get("identifier") != HANDLE or body.get("password") != self.password:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        return Answer(200, self._session(), {})

    def _session(self) -> dict[str, Any]:
        now, serial = int(time.time()), next(self._serial)
        access = jwt(
            {
                "scope": "com.atproto.appPass",
                "sub": ME,
                "iat": now,
                "exp": now + self.access_lifetime,
                "jti": f"a{serial}",
            }
        )
        refresh = jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": ME,
                "iat": now,
                "exp": now + 60 * 86400,
                "jti": f"r{serial}",
            }
        )
        self.access.add(access)
        self.refresh.add(refresh)
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": HANDLE,
            "did": ME,
            "active": True,
        }

    def _default(self, nsid: str, call: Call) -> Answer:
        if nsid == "app.bsky.notification.listNotifications":
            return Answer(200, {"notifications": []}, {})
        if nsid == "chat.bsky.convo.listConvos":
            return Answer(200, {"convos": []}, {})
        if nsid == "com.atproto.repo.createRecord":
            return self._create_record(call.body or {})
        if nsid == "com.atproto.repo.getRecord":
            rkey = call.params.get("rkey", [""])[0]
            if call.params.get("repo") != [ME] or rkey not in self.posts:
                return _error(400, "RecordNotFound", "Could not locate record")
            return Answer(200, self.posts[rkey], {})
        if nsid == "com.atproto.identity.resolveHandle":
            handle = call.params.get("handle", [""])[0]
            known = recording("handles")
            if handle in known:
                return Answer(200, {"did": known[handle]}, {})
            return _error(400, "InvalidRequest", "Unable to resolve handle")
        if nsid == "chat.bsky.convo.sendMessage":
            n = next(self._serial)
            body = call.body or {}
            message = {
                "$type": "chat.bsky.convo.defs#messageView",
                "id": f"3lmsg{n:05d}",
                "rev": f"3lrev{n:05d}",
                "text": body.get("message", {}).get("text", ""),
                "sender": {"did": ME},
                "sentAt": "2026-11-23T14:00:05.000Z",
            }
            self.chat_sent[body.get("convoId", "")].insert(0, message)
            return Answer(200, message, {})
        if nsid == "chat.bsky.convo.getMessages":
            convo = call.params.get("convoId", [""])[0]
            return Answer(200, {"messages": self.chat_sent[convo]}, {})
        return _error(501, "MethodNotImplemented", f"{nsid} is not recorded")

    def _create_record(self, body: dict[str, Any]) -> Answer:
        """A post under the writer's record key (or one of the service's); a taken one refused."""
        n = next(self._serial)
        rkey = body.get("rkey") or f"3lreply{n:05d}"
        if rkey in self.posts:
            return _error(400, "InvalidRequest", f"Record already exists: {rkey}")
        self.records.append(body)
        uri = f"at://{ME}/{body.get('collection')}/{rkey}"
        cid = f"bafyreireply{n:05d}"
        self.posts[rkey] = {"uri": uri, "cid": cid, "value": body.get("record")}
        return Answer(200, {"uri": uri, "cid": cid}, {})


def _error(status: int, error: str, message: str) -> Answer:
    return Answer(status, {"error": error, "message": message}, {})


class _Handler(BaseHTTPRequestHandler):
    service: StandIn

    def do_GET(self) -> None:
        self._serve(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._serve(json.loads(raw) if raw else None)

    def _serve(self, body: Any) -> None:
        parts = urlsplit(self.path)
        nsid = parts.path.removeprefix("/xrpc/")
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.service.handle(nsid, Call(nsid, parse_qs(parts.query), body, headers))
        data = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        content_type = "application/json" if not isinstance(answer.body, bytes) else "text/html"
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: tests read ``calls``


@contextmanager
def stand_in() -> Iterator[StandIn]:
    """The stand-in service on a free loopback port for the ``with`` block."""
    service = StandIn()
    handler = type("Handler", (_Handler,), {"service": service})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
