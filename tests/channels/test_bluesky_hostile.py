"""A hostile patron on Bluesky: what their post or chat message holds never stops the channel.

Through the real atproto SDK and the stand-in service on loopback: one malformed
or hostile item is set aside with a sentence (or arrives as plain text); every
other item of the same poll arrives, and the next poll is not stuck on it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from bluesky_service import APP_PASSWORD, HANDLE, StandIn, recording, stand_in

from askdesk.channels.bluesky import BlueskyChannel
from askdesk.channels.bluesky.payloads import post_url
from askdesk.channels.registry import build_channel
from askdesk.config import ChannelConfig
from askdesk.model import Kind

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
LIST = "app.bsky.notification.listNotifications"
CONVOS = "chat.bsky.convo.listConvos"
MESSAGES = "chat.bsky.convo.getMessages"


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    monkeypatch.setenv("ASKDESK_BLUESKY_APP_PASSWORD", APP_PASSWORD)
    with stand_in() as running:
        yield running


def channel(service: StandIn) -> BlueskyChannel:
    options = {"handle": HANDLE, "service": service.url}
    built = build_channel(ChannelConfig(type="bluesky", name="bsky", options=options))
    assert isinstance(built, BlueskyChannel)
    return built


def chat(service: StandIn, *changes: dict[str, Any], members: Any = None) -> None:
    """The recorded chat, its newest message changed by each of ``changes`` in turn (newest
    first), the recorded messages after them."""
    convos = copy.deepcopy(recording("chat_convos"))
    if members is not None:
        convos["convos"][0]["members"] = members
    messages = copy.deepcopy(recording("chat_messages"))
    newest = messages["messages"][0]
    hostile = [
        {**newest, **change, "id": f"3lhostile{n}", "rev": f"3lrev0000009{n}"}
        for n, change in enumerate(changes)
    ]
    messages["messages"] = [*hostile, *messages["messages"]]
    service.answer(CONVOS, convos)
    service.answer(MESSAGES, messages)


def chats(service: StandIn) -> tuple[list[str], list[str]]:
    fetched = channel(service).fetch(None, NOW)
    texts = [m.remote_id for m in fetched.messages if m.kind is Kind.DIRECT]
    return texts, [str(p) for p in fetched.problems]


@pytest.mark.parametrize(
    "change",
    [
        {"embed": {"images": 5}},
        {"embed": {"images": [{"alt": 5}], "external": []}},
        {"embed": {"media": {"images": "abc"}}},
        {"facets": 7},
        {"facets": [{"index": {"byteStart": 0, "byteEnd": 2}, "features": 3}]},
        {"sender": {"did": ["x"]}},
    ],
    ids=lambda change: repr(change)[:40],
)
def test_a_malformed_chat_message_is_set_aside_and_the_others_arrive(
    service: StandIn, change: dict[str, Any]
) -> None:
    chat(service, change)
    arrived, problems = chats(service)
    assert "chat:3lconvotomas:3lmsgtomas1" in arrived
    assert "chat:3lconvotomas:3lmsgtomas3" in arrived
    if "chat:3lconvotomas:3lhostile0" not in arrived:
        [problem] = problems
        assert problem.startswith("chat message 3lhostile0: ")


@pytest.mark.parametrize(
    "members",
    [
        5,
        [{"did": "did:plc:tomasg3vw8k1rj", "handle": "tomasg.bsky.social @mayor.bsky.social"}],
        [{"did": "did:plc:tomasg3vw8k1rj", "handle": "t" * 10_000 + ".bsky.social"}],
    ],
    ids=["not a list", "handle with a mention", "10,000-character handle"],
)
def test_a_chat_member_handle_that_is_no_handle_is_not_the_author(
    service: StandIn, members: Any
) -> None:
    """``{patron}`` in a template names the author: a hostile handle could mention someone else."""
    chat(service, members=members)
    fetched = channel(service).fetch(None, NOW)
    authors = {m.author for m in fetched.messages if m.kind is Kind.DIRECT}
    assert authors == {"@did:plc:tomasg3vw8k1rj"}
    assert fetched.problems == []


def nested(depth: int) -> Any:
    deep: Any = "x"
    for _ in range(depth):
        deep = [deep]
    return deep


HOSTILE_JSON = pytest.mark.parametrize(
    "change",
    [{"embed": {"deep": nested(300)}}, {"text": "a lone \ud800 surrogate"}],
    ids=["nested 300 deep", "lone surrogate"],
)


@HOSTILE_JSON
def test_a_chat_message_the_sdks_parser_refuses_is_set_aside_and_the_rest_arrive(
    service: StandIn, change: dict[str, Any]
) -> None:
    """The SDK's JSON parser refuses nesting past 200 and lone surrogates: the page is read
    item by item, that one message is named on the health line, and the rest arrive."""
    convos = copy.deepcopy(recording("chat_convos"))
    other = copy.deepcopy(convos["convos"][0])
    other["id"] = "3lconvohostile"
    convos["convos"].insert(0, other)
    messages = copy.deepcopy(recording("chat_messages"))
    hostile = {**messages["messages"][0], "id": "3lhostile", **change}
    service.answer(CONVOS, convos)
    service.answer(MESSAGES, {"messages": [hostile, *messages["messages"]]})
    service.answer(MESSAGES, recording("chat_messages"))
    service.answer(LIST, recorded="notifications_page1")
    service.answer(LIST, recorded="notifications_page2")
    fetched = channel(service).fetch(None, NOW)
    assert {m.conversation for m in fetched.messages if m.kind is Kind.DIRECT} == {
        "chat:3lconvotomas",
        "chat:3lconvohostile",
    }
    assert "3lhostile" not in {m.remote_id for m in fetched.messages}
    assert len([m for m in fetched.messages if m.kind is Kind.MENTION]) == 5
    [problem] = fetched.problems
    assert str(problem) == (
        "chat message 3lhostile: the service sent it as JSON askdesk cannot read (nested "
        "too deeply, or a lone surrogate); skipped"
    )


@HOSTILE_JSON
def test_a_notification_the_sdks_parser_refuses_is_skipped_and_mentions_go_on(
    service: StandIn, change: dict[str, Any]
) -> None:
    """One post nested 300 deep (or with a lone surrogate) on a page of notifications:
    that one is named and read past, the others arrive, and the next poll is not held."""
    page = copy.deepcopy(recording("notifications_page1"))
    hostile = next(n for n in page["notifications"] if n["reason"] == "mention")
    hostile["record"].update(change)
    service.answer(LIST, page)
    service.answer(LIST, recorded="notifications_page2")
    adapter = channel(service)
    fetched = adapter.fetch(None, NOW)
    assert hostile["uri"] not in {m.remote_id for m in fetched.messages}
    assert len([m for m in fetched.messages if m.kind is Kind.MENTION]) == 4
    assert [str(p) for p in fetched.problems if "notification" in str(p)] == [
        f"notification {hostile['uri']}: the service sent it as JSON askdesk cannot read "
        "(nested too deeply, or a lone surrogate); skipped"
    ]
    service.answer(LIST, page)  # the same page again: read already, nothing held
    again = adapter.fetch(fetched.cursor, NOW)
    assert [m for m in again.messages if m.kind is Kind.MENTION] == []
    assert [str(p) for p in again.problems if "notification" in str(p)] == []


@pytest.mark.parametrize(
    "handle", ["marisol.bsky.social @mayor.bsky.social", "m" * 10_000 + ".bsky.social"]
)
def test_a_notification_whose_author_handle_is_no_handle_is_named_by_its_did(
    service: StandIn, handle: str
) -> None:
    """The author of a mention leads the public reply a template's ``{patron}`` fills: a
    'handle' with a second @-mention in it would make the library's reply mention the mayor."""
    page = copy.deepcopy(recording("notifications_page1"))
    hostile = next(n for n in page["notifications"] if n["reason"] == "mention")
    hostile["author"]["handle"] = handle
    service.answer(LIST, page)
    service.answer(LIST, recorded="notifications_page2")
    fetched = channel(service).fetch(None, NOW)
    [message] = [m for m in fetched.messages if m.remote_id == hostile["uri"]]
    did = hostile["author"]["did"]
    assert (message.author, message.url) == (f"@{did}", post_url(did, hostile["uri"]))
    assert fetched.problems == []


def test_a_page_no_parser_can_read_is_refused_whole() -> None:
    """Nesting past what the standard library reads too: nothing to read item by item."""
    from askdesk.channels.bluesky.lenient_json import read_page

    with pytest.raises(ValueError):
        read_page(b'{"notifications": ' + b"[" * 5_000 + b"]" * 5_000 + b"}")
    assert read_page(b'{"cursor": "c1", "notifications": []}') == {
        "cursor": "c1",
        "notifications": [],
    }
