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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.channels.recorded_http import (
    RecordedApi,
    recorded_requests,
    recording_at,
    use_only,
)

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


def recording(name: str) -> dict[str, Any]:
    return recording_at(RECORDED / f"{name}.json")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: Mapping[str, str]


class XApi(RecordedApi):
    """The X API as the recordings describe it: ``answer`` queues what an endpoint replies."""

    def __init__(self, mock: Any) -> None:
        super().__init__(mock, HOST, RECORDED)

    @property
    def calls(self) -> list[Call]:
        return [
            Call(
                method,
                path,
                {k: ",".join(v) for k, v in query.items()},
                json.loads(body) if body else None,
                headers,
            )
            for method, path, query, body, headers in self.requests()
        ]

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
    x_api.answer("mentions_page1", absent=("pagination_token",))
    x_api.answer("mentions_page2", query={"pagination_token": NEXT_TOKEN})
    x_api.answer("dm_events_first")


def second_poll(x_api: XApi) -> None:
    x_api.answer("mentions_since", query={"since_id": tweet_id(6)})
    x_api.answer("dm_events_second")


def use_test_credentials(env: pytest.MonkeyPatch) -> None:
    """The recordings' made-up credentials, and no other ASKDESK_TWITTER_* variable."""
    use_only(env, "ASKDESK_TWITTER", SECRETS)


@contextmanager
def recorded_x_api() -> Iterator[XApi]:
    """X as the recordings answer it, for the ``with`` block; unqueued requests fail."""
    with recorded_requests() as mock:
        yield XApi(mock)


def fail_every_read(x_api: XApi, recording: str) -> None:
    """From now on X answers mentions and DM events with ``recording`` (an error)."""
    x_api.mock.reset()
    x_api.answer(recording, method="GET", path=MENTIONS)
    x_api.answer(recording, method="GET", path=DM_EVENTS)
