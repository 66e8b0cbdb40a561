"""A hostile status on Mastodon, through Mastodon.py's real requests and recorded answers.

HTML a remote server let through (scripts, styles, ``javascript:`` links), fields of the
wrong type or shape: the status arrives as plain text or is set aside with a sentence, and
every other mention of the page arrives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from askdesk.channels.mastodon import MastodonChannel
from askdesk.channels.registry import build_channel
from askdesk.config import ChannelConfig
from tests.channels.mastodon_api import (
    INSTANCE,
    MastodonApi,
    mention_page,
    recorded_instance,
    use_test_token,
)
from tests.channels.test_mastodon import CURSOR, NEWEST_FIRST_RUN
from tests.conftest import NOW


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MastodonApi]:
    use_test_token(monkeypatch)
    with recorded_instance() as instance:
        yield instance


def fetch_with(api: MastodonApi, change: dict[str, Any]) -> tuple[list[str], list[str]]:
    """A page of three mentions, the middle one's status changed by ``change``."""
    page = mention_page(int(NEWEST_FIRST_RUN) + 1, 3)
    page[1]["status"].update(change)
    api.answer("notifications_empty", json_body=page)
    built = build_channel(
        ChannelConfig(type="mastodon", name="mastodon", options={"instance": INSTANCE})
    )
    assert isinstance(built, MastodonChannel)
    fetched = built.fetch(CURSOR, NOW)
    return [m.text for m in fetched.messages], [str(p) for p in fetched.problems]


def test_scripts_styles_and_javascript_links_arrive_as_words(api: MastodonApi) -> None:
    content = (
        '<p>Hours?<script>alert("x")</script><style>p{display:none}</style> '
        '<a href="javascript:alert(1)">open the catalogue</a> '
        '<a href="https://evil.example/login">https://library.example/login</a></p>'
    )
    media = [{"type": "image", "description": "[@click=app.quit]", "url": "javascript:x"}]
    texts, problems = fetch_with(api, {"content": content, "media_attachments": media})
    assert problems == []
    assert texts[1] == (
        "Hours? open the catalogue https://library.example/login (https://evil.example/login)"
        "\n\n[image: [@click=app.quit]]"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"created_at": "yesterday-ish"},
        {"created_at": 5},
        {"content": {"html": "<p>hi</p>"}},
        {"account": {"id": "1", "acct": "mallory @mayor"}},
        {"account": {"id": "1", "acct": "m" * 10_000 + "!"}},
        {"id": "../../admin"},
        {"media_attachments": "not a list", "spoiler_text": 7},
        {"mentions": [[[[[]]]]], "in_reply_to_id": ["x"]},
    ],
    ids=lambda change: repr(change)[:40],
)
def test_a_malformed_status_is_set_aside_and_the_others_arrive(
    api: MastodonApi, change: dict[str, Any]
) -> None:
    texts, problems = fetch_with(api, change)
    assert len(texts) + len(problems) == 3
    assert len(texts) >= 2


@pytest.mark.parametrize(
    "context",
    [
        "<html><body>502 Bad Gateway</body></html>",  # a proxy's page, answered with 200
        '{"ancestors": ' + "[" * 5_000 + "]" * 5_000 + "}",  # too deep for the JSON parser
    ],
    ids=["html", "nested"],
)
def test_a_thread_that_cannot_be_read_leaves_its_mention_alone_and_the_page_arrives(
    api: MastodonApi, context: str
) -> None:
    page = mention_page(int(NEWEST_FIRST_RUN) + 1, 3)
    reply = page[1]["status"]
    reply["in_reply_to_id"] = "113400000000000001"
    api.mock.add(
        "GET",
        f"{INSTANCE}/api/v1/statuses/{reply['id']}/context",
        body=context,
        status=200,
        content_type="application/json",
    )
    api.answer("notifications_empty", json_body=page)
    built = build_channel(
        ChannelConfig(type="mastodon", name="mastodon", options={"instance": INSTANCE})
    )
    assert isinstance(built, MastodonChannel)
    fetched = built.fetch(CURSOR, NOW)
    assert [m.remote_id for m in fetched.messages] == [
        str(item["status"]["id"]) for item in reversed(page)
    ]
    assert fetched.messages[1].conversation is None  # a conversation of its own
    (problem,) = fetched.problems
    assert str(problem).startswith(f"status {reply['id']}: ")
    assert "it arrived as a conversation of its own" in str(problem)
    assert json.loads(fetched.cursor or "")["min_id"] == str(page[0]["id"])  # later ones follow
