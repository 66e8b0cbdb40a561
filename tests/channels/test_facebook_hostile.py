"""A hostile Messenger thread: ids that are paths, a page nested too deep, names and files.

Through the channel's real HTTP client against the Graph API stand-in on loopback, as
``test_facebook.py`` does: what cannot be read is set aside with a sentence, the rest arrive.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from askdesk.channels.facebook import FacebookChannel
from askdesk.channels.registry import build_channel
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from tests.channels.standin import Answer, StandIn, serving
from tests.channels.test_facebook import KAY_THREAD, PAGE, SAM_THREAD, V, ok, recorded
from tests.conftest import NOW


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDESK_FACEBOOK_PAGE_TOKEN", "EAAGm0PX4ZCpsBAPagetokenForTests")


@pytest.fixture
def graph() -> Iterator[StandIn]:
    with serving(StandIn()) as standin:
        standin.on("GET", f"{V}/{KAY_THREAD}/messages", ok("messages_kay"))
        standin.on("GET", f"{V}/{SAM_THREAD}/messages", ok("messages_sam"))
        yield standin


def channel(graph: StandIn) -> FacebookChannel:
    table = {"page_id": PAGE, "graph_url": graph.url, "backfill_hours": 48}
    built = build_channel(ChannelConfig(type="facebook", name="fb", options=table))
    assert isinstance(built, FacebookChannel)
    return built


@pytest.mark.parametrize(
    "thread", ["../../me/accounts", "t_1/../../me", "t_1/..", "..", "t_1%2F..", "t_1?x=1"]
)
def test_a_thread_id_that_is_a_path_is_never_asked_for(graph: StandIn, thread: str) -> None:
    """Each thread's id goes into the next request's path (``{thread}/messages``): an id that
    climbs out of it would send the Page's token to another Graph endpoint."""
    page = copy.deepcopy(recorded("conversations"))
    page["data"].insert(0, {**page["data"][0], "id": thread})
    graph.on("GET", f"{V}/{PAGE}/conversations", Answer(200, page))
    fetched = channel(graph).fetch(None, NOW)
    assert {m.conversation for m in fetched.messages} == {KAY_THREAD, SAM_THREAD}
    asked = {seen.path for seen in graph.seen}
    assert asked == {
        f"{V}/{PAGE}/conversations",
        f"{V}/{KAY_THREAD}/messages",
        f"{V}/{SAM_THREAD}/messages",
    }
    named = f"conversation {thread}" if "/" in thread or thread == ".." else "a conversation"
    [problem] = fetched.problems
    assert str(problem).startswith(named)
    assert str(problem).endswith("its id or updated_time is missing or malformed; skipped")


JSON = {"Content-Type": "application/json; charset=UTF-8"}


def test_a_page_nested_too_deep_is_a_sentence_and_the_desk_polls_on(
    graph: StandIn, desk: Desk
) -> None:
    deep = '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}"
    graph.on("GET", f"{V}/{PAGE}/conversations", Answer(200, deep, JSON))
    adapter = channel(graph)
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error == (
        "Facebook answered reading the Page's conversations with something that is not a "
        "JSON object; askdesk tries again later"
    )


def test_half_an_emoji_is_stored_as_a_stand_in_and_the_thread_arrives(
    graph: StandIn, desk: Desk
) -> None:
    """A message cut inside an emoji reaches JSON as a lone surrogate (``"\\ud83d"``), which
    Python's JSON reader keeps and no store can encode: it failed the whole write, so every
    later poll stopped at that thread and no Messenger message arrived at all."""
    kay = copy.deepcopy(recorded("messages_kay"))
    kay["data"][0]["message"] = "Do you have the sequel? \ud83d"
    graph.on("GET", f"{V}/{PAGE}/conversations", ok("conversations"))
    graph.on("GET", f"{V}/{KAY_THREAD}/messages", Answer(200, kay))
    adapter = channel(graph)
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error is None
    conversation = desk.get(f"fb:{KAY_THREAD}")
    assert conversation is not None
    assert conversation.latest.text == "Do you have the sequel? \ufffd"
    assert desk.get(f"fb:{SAM_THREAD}") is not None
