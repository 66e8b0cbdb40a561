"""Recorded X API v2 exchanges, served by ``responses`` to tweepy's real ``Client``.

Each file in ``recorded/twitter/`` is one exchange written in the exact shape
of the public X API v2 reference: the request it answers (``request``: method
and path; error recordings leave it to the test) and the response (status,
headers including ``x-rate-limit-*``, and ``json`` or a raw ``body``). They were
written by hand from the reference (no live account is used in tests); tests
only read them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

HOST = "https://api.twitter.com"
RECORDED = Path(__file__).parent / "recorded" / "twitter"

ME = "1460023857394458624"
MARISOL = "1298765432100000001"
TOMAS = "1298765432100000005"
DM_TOMAS = f"{TOMAS}-{ME}"
DM_NURSE = f"1298765432100000006-{ME}"


def tweet_id(n: int) -> str:
    """The ids the recordings use: ``tweet_id(6)`` is Marisol's follow-up."""
    return f"19930111111111111{n:02d}"


def event_id(n: int) -> str:
    return f"1993022222222222{n:03d}"


@cache
def recording(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    return data


Matcher = Callable[[requests.PreparedRequest], tuple[bool, str]]


def without(param: str) -> Matcher:
    """Match a request that does not carry ``param`` (the first page has no pagination_token)."""

    def match(request: requests.PreparedRequest) -> tuple[bool, str]:
        query = parse_qs(urlsplit(request.url or "").query)
        return (param not in query, f"{param} is in the query")

    return match


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: Mapping[str, str]


class XApi:
    """The X API as the recordings describe it: ``answer`` queues what an endpoint replies."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock

    def answer(
        self,
        name: str,
        *,
        method: str | None = None,
        path: str | None = None,
        query: Mapping[str, str] | None = None,
        first_page: bool = False,
    ) -> None:
        """Answer the recording's request (or ``method`` ``path``) with its response.

        ``query`` must be in the request's query string; ``first_page`` means
        no ``pagination_token``. Several answers to one request are given in
        the order they were queued.
        """
        record = recording(name)
        request = record.get("request", {})
        response = record["response"]
        headers = dict(response["headers"])
        content_type = headers.pop("content-type", "application/json")
        body = response["body"] if "body" in response else json.dumps(response["json"])
        match: list[Matcher] = []
        if query:
            match.append(matchers.query_param_matcher(dict(query), strict_match=False))
        if first_page:
            match.append(without("pagination_token"))
        self.mock.add(
            method or request["method"],
            HOST + (path or request["path"]),
            body=body,
            status=response["status"],
            headers=headers,
            content_type=content_type,
            match=match,
        )

    def unreachable(self, method: str, path: str) -> None:
        """The network fails for this request (no answer at all)."""
        self.mock.add(
            method, HOST + path, body=requests.ConnectionError("Connection refused (recorded)")
        )

    @property
    def calls(self) -> list[Call]:
        found = []
        for call in self.mock.calls:
            request = call.request
            parts = urlsplit(request.url or "")
            params = {k: ",".join(v) for k, v in parse_qs(parts.query).items()}
            raw = request.body
            body = json.loads(raw) if isinstance(raw, str | bytes) and raw else None
            headers = {
                k: v if isinstance(v, str) else v.decode() for k, v in request.headers.items()
            }
            found.append(Call(request.method or "", parts.path, params, body, headers))
        return found

    def calls_to(self, path: str, method: str = "GET") -> list[Call]:
        return [c for c in self.calls if c.path == path and c.method == method]


# -- the exchanges of a desk's first and second poll ---------------------------------

MENTIONS = f"/2/users/{ME}/mentions"
DM_EVENTS = "/2/dm_events"
RESET = datetime(2026, 11, 23, 14, 15, tzinfo=UTC)
NEXT_TOKEN = "7140dibdnow9c7btw3z3aqkt4d3ew3mk8rrj2tpozg1og"

SECRETS = {
    "ASKDESK_TWITTER_CONSUMER_KEY": "ck-Xq81tLrP0dW2",
    "ASKDESK_TWITTER_CONSUMER_SECRET": "cs-9vHcN4kQ7mZsYbE1uJ3fG6aT0wRxLpD5",
    "ASKDESK_TWITTER_ACCESS_TOKEN": f"{ME}-at7Ku2MvB9nQe4",
    "ASKDESK_TWITTER_ACCESS_TOKEN_SECRET": "ats-Wm3Zp8Lc1Rj6Hy0Tq5Nv",
}


def first_poll(x_api: XApi) -> None:
    x_api.answer("users_me")
    x_api.answer("mentions_page1", first_page=True)
    x_api.answer("mentions_page2", query={"pagination_token": NEXT_TOKEN})
    x_api.answer("dm_events_first")


def second_poll(x_api: XApi) -> None:
    x_api.answer("mentions_since", query={"since_id": tweet_id(6)})
    x_api.answer("dm_events_second")


def use_test_credentials(env: pytest.MonkeyPatch) -> None:
    """The recordings' made-up credentials, and no other ASKDESK_TWITTER_* variable."""
    for name in [*os.environ]:
        if name.startswith("ASKDESK_TWITTER"):
            env.delenv(name)
    for name, value in SECRETS.items():
        env.setenv(name, value)


@contextmanager
def recorded_x_api() -> Iterator[XApi]:
    """X as the recordings answer it, for the ``with`` block; unqueued requests fail."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield XApi(mock)


def fail_every_read(x_api: XApi, recording: str) -> None:
    """From now on X answers mentions and DM events with ``recording`` (an error)."""
    x_api.mock.reset()
    x_api.answer(recording, method="GET", path=MENTIONS)
    x_api.answer(recording, method="GET", path=DM_EVENTS)
