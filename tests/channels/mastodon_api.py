"""Recorded Mastodon REST exchanges, served by ``responses`` to Mastodon.py's real requests.

Each file in ``recorded/mastodon/`` is one exchange in the shape of
Mastodon's published REST entities (Account, Notification, Status, Context,
Instance, the error entity): the request it answers (error recordings leave
it to the test) and the response, with the ``X-RateLimit-*`` headers every
Mastodon answer carries. Written by hand from the API documentation; tests
only read them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.channels.recorded_http import RecordedApi, recorded_requests, recording_at, use_only

INSTANCE = "https://social.anytown.example"
RECORDED = Path(__file__).parent / "recorded" / "mastodon"
TOKEN = "mst-Zq7Jc2VnX9pL4rT8wB1yK6dH3sF0aGe5uNmQ"
NOTIFICATIONS = "/api/v1/notifications"
STATUSES = "/api/v1/statuses"
VERIFY = "/api/v1/accounts/verify_credentials"

LIBRARY_ID = "109876543210000001"
MARISOL_QUESTION = "113500000000000101"
TOMAS_DIRECT = "113500000000000102"
NURSE_QUESTION = "113500000000000104"
MARISOL_FOLLOWUP = "113500000000000105"
TOMAS_ANNOUNCEMENT_REPLY = "113500000000000106"
NEWEST_FIRST_RUN = "34975868"


def recording(name: str) -> dict[str, Any]:
    """A fresh copy of a recording (a test may change its copy, never the file)."""
    return recording_at(RECORDED / f"{name}.json")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: Mapping[str, str]


class MastodonApi(RecordedApi):
    """The instance as the recordings describe it: ``answer`` queues what an endpoint replies."""

    def __init__(self, mock: Any) -> None:
        super().__init__(mock, INSTANCE, RECORDED)

    @property
    def calls(self) -> list[Call]:
        return [
            Call(method, path, query, parse_qs(body), headers)
            for method, path, query, body, headers in self.requests()
        ]

    def calls_to(self, path: str, method: str = "GET") -> list[Call]:
        return [c for c in self.calls if c.path == path and c.method == method]


def mention_page(first_id: int, count: int) -> list[dict[str, Any]]:
    """``count`` mention notifications newest first, each the recorded one with its own ids."""
    template = recording("notification_mention_template")["response"]["json"][0]
    page = []
    for n in range(first_id + count - 1, first_id - 1, -1):
        item = copy.deepcopy(template)
        item["id"] = str(n)
        item["status"]["id"] = f"1135000000010{n % 100000:05d}"
        item["status"]["url"] = f"https://hachyderm.example/@nightshift/{item['status']['id']}"
        page.append(item)
    return page


def use_test_token(env: pytest.MonkeyPatch) -> None:
    """The recordings' made-up token, and no other ASKDESK_MASTODON_* variable."""
    use_only(env, "ASKDESK_MASTODON", {"ASKDESK_MASTODON_ACCESS_TOKEN": TOKEN})


@contextmanager
def recorded_instance() -> Iterator[MastodonApi]:
    """The instance as the recordings answer it, for the ``with`` block; unqueued requests fail."""
    with recorded_requests() as mock:
        yield MastodonApi(mock)


def first_poll(api: MastodonApi) -> None:
    api.answer("verify_credentials")
    api.answer("notifications_first")
