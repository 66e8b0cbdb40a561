"""Recorded HTTP exchanges served by ``responses`` to a platform SDK's real requests.

What the recorded APIs of X and Mastodon share: each file in a
``recorded/<platform>/`` folder is one exchange, the request it answers
(``request``: method and path; error recordings leave it to the test) and the
response (status, headers, and ``json`` or a raw ``body``). ``RecordedApi``
queues a recording as an endpoint's answer and lists the requests made.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

Matcher = Callable[[requests.PreparedRequest], tuple[bool, str]]


def without(param: str) -> Matcher:
    """Match a request that does not carry ``param``."""

    def match(request: requests.PreparedRequest) -> tuple[bool, str]:
        query = parse_qs(urlsplit(request.url or "").query)
        return (param not in query, f"{param} is in the query")

    return match


@cache
def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def recording_at(path: Path) -> dict[str, Any]:
    """A fresh copy of a recording (a test may change its copy, never the file)."""
    return copy.deepcopy(_read(path))


class RecordedApi:
    """A platform's API at ``host`` as the recordings in ``folder`` describe it."""

    def __init__(self, mock: responses.RequestsMock, host: str, folder: Path) -> None:
        self.mock = mock
        self.host = host
        self.folder = folder

    def recording(self, name: str) -> dict[str, Any]:
        return recording_at(self.folder / f"{name}.json")

    def answer(
        self,
        name: str,
        *,
        method: str | None = None,
        path: str | None = None,
        query: Mapping[str, str] | None = None,
        absent: tuple[str, ...] = (),
        json_body: Any = None,
    ) -> None:
        """Answer the recording's request (or ``method`` ``path``) with its response.

        ``query`` must be in the request's query string and the ``absent``
        parameters not (a first page has no pagination token); ``json_body``
        replaces the recorded body (pages made of one recorded item). Several
        answers to one request are given in the order they were queued.
        """
        record = self.recording(name)
        request = record.get("request", {})
        response = record["response"]
        headers = dict(response["headers"])
        content_type = headers.pop("content-type", "application/json")
        if json_body is not None:
            body = json.dumps(json_body)
        else:
            body = response["body"] if "body" in response else json.dumps(response["json"])
        match: list[Matcher] = [without(param) for param in absent]
        if query:
            match.insert(0, matchers.query_param_matcher(dict(query), strict_match=False))
        self.mock.add(
            method or request["method"],
            self.host + (path or request["path"]),
            body=body,
            status=response["status"],
            headers=headers,
            content_type=content_type,
            match=match,
        )

    def unreachable(self, method: str, path: str) -> None:
        """The network fails for this request (no answer at all)."""
        self.mock.add(
            method, self.host + path, body=requests.ConnectionError("Connection refused (recorded)")
        )

    def requests(self) -> Iterator[tuple[str, str, dict[str, list[str]], str, dict[str, str]]]:
        """Each request made, in order: method, path, query, body as text, headers."""
        for call in self.mock.calls:
            request = call.request
            parts = urlsplit(request.url or "")
            raw = request.body
            text = raw.decode() if isinstance(raw, bytes) else raw or ""
            headers = {
                k: v if isinstance(v, str) else v.decode() for k, v in request.headers.items()
            }
            yield request.method or "", parts.path, parse_qs(parts.query), text, headers


@contextmanager
def recorded_requests() -> Iterator[responses.RequestsMock]:
    """``responses`` for the ``with`` block; a request nobody queued an answer for fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def use_only(env: pytest.MonkeyPatch, prefix: str, values: Mapping[str, str]) -> None:
    """``values`` in the environment, and no other variable starting with ``prefix``."""
    for name in [*os.environ]:
        if name.startswith(prefix):
            env.delenv(name)
    for name, value in values.items():
        env.setenv(name, value)
