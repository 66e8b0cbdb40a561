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
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

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


@cache
def _recording(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    return data


def recording(name: str) -> dict[str, Any]:
    """A fresh copy of a recording (a test may change its copy, never the file)."""
    return copy.deepcopy(_recording(name))


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: Mapping[str, str]


class MastodonApi:
    """The instance as the recordings describe it: ``answer`` queues what an endpoint replies."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock

    def answer(
        self,
        name: str,
        *,
        method: str | None = None,
        path: str | None = None,
        query: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> None:
        """Answer the recording's request (or ``method`` ``path``) with its response.

        ``query`` must be in the request's query string; ``json_body``
        replaces the recorded body (pages made of a recorded notification).
        Several answers to one request are given in the order queued.
        """
        record = recording(name)
        request = record.get("request", {})
        response = record["response"]
        headers = dict(response["headers"])
        content_type = headers.pop("content-type", "application/json")
        if json_body is not None:
            body = json.dumps(json_body)
        else:
            body = response["body"] if "body" in response else json.dumps(response["json"])
        match = []
        if query:
            match.append(matchers.query_param_matcher(dict(query), strict_match=False))
        self.mock.add(
            method or request["method"],
            INSTANCE + (path or request["path"]),
            body=body,
            status=response["status"],
            headers=headers,
            content_type=content_type,
            match=match,
        )

    def unreachable(self, method: str, path: str) -> None:
        self.mock.add(
            method, INSTANCE + path, body=requests.ConnectionError("Connection refused (recorded)")
        )

    @property
    def calls(self) -> list[Call]:
        found = []
        for call in self.mock.calls:
            request = call.request
            parts = urlsplit(request.url or "")
            raw = request.body
            text = raw.decode() if isinstance(raw, bytes) else raw or ""
            headers = {
                k: v if isinstance(v, str) else v.decode() for k, v in request.headers.items()
            }
            found.append(
                Call(
                    request.method or "", parts.path, parse_qs(parts.query), parse_qs(text), headers
                )
            )
        return found

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
    for name in [*os.environ]:
        if name.startswith("ASKDESK_MASTODON"):
            env.delenv(name)
    env.setenv("ASKDESK_MASTODON_ACCESS_TOKEN", TOKEN)


@contextmanager
def recorded_instance() -> Iterator[MastodonApi]:
    """The instance as the recordings answer it, for the ``with`` block; unqueued requests fail."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield MastodonApi(mock)


def first_poll(api: MastodonApi) -> None:
    api.answer("verify_credentials")
    api.answer("notifications_first")
