"""The demo feed: a realistic, deterministic stream of patron questions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from askdesk.channels.base import Channel
from askdesk.channels.demo import SCRIPT, DemoChannel
from askdesk.channels.registry import build_channel
from askdesk.config import ChannelConfig
from askdesk.errors import ConfigError
from askdesk.model import Kind

START = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)


def run(channel: DemoChannel, cursor: str | None, now: datetime) -> tuple[list[str], str]:
    fetched = channel.fetch(cursor, now)
    assert fetched.cursor is not None
    return [m.remote_id for m in fetched.messages], fetched.cursor


def test_first_fetch_brings_five_questions_of_realistic_ages() -> None:
    fetched = DemoChannel().fetch(None, START)
    assert [m.remote_id for m in fetched.messages] == ["d0001", "d0002", "d0003", "d0004", "d0005"]
    ages = [START - m.received_at for m in fetched.messages]
    assert all(timedelta(0) < age <= timedelta(minutes=90) for age in ages)
    assert max(ages) > timedelta(hours=1), "one should already be overdue"
    assert sorted(ages[1:]) != [ages[1]] * 4, "the others are spread out"
    assert all(age <= timedelta(minutes=25) for age in ages[1:])
    assert fetched.problems == []
    assert json.loads(fetched.cursor or "") == {"started": START.isoformat(), "delivered": 5}


def test_then_one_question_per_interval_dated_when_it_was_due() -> None:
    channel = DemoChannel(interval_seconds=40)
    _, cursor = run(channel, None, START)
    ids, cursor = run(channel, cursor, START + timedelta(seconds=39))
    assert ids == []
    fetched = channel.fetch(cursor, START + timedelta(seconds=50))
    assert [m.remote_id for m in fetched.messages] == ["d0006"]
    assert fetched.messages[0].received_at == START + timedelta(seconds=40)
    ids, cursor = run(channel, fetched.cursor, START + timedelta(seconds=50))
    assert ids == [], "the same time brings nothing new"
    fetched = channel.fetch(cursor, START + timedelta(seconds=125))
    assert [m.remote_id for m in fetched.messages] == ["d0007", "d0008"]
    assert [m.received_at for m in fetched.messages] == [
        START + timedelta(seconds=80),
        START + timedelta(seconds=120),
    ]


def test_two_processes_with_the_same_cursor_make_the_same_messages() -> None:
    _, cursor = run(DemoChannel(), None, START)
    later = START + timedelta(minutes=3)
    one = DemoChannel().fetch(cursor, later)
    two = DemoChannel().fetch(cursor, later)
    assert one.messages == two.messages
    assert one.cursor == two.cursor
    assert len(one.messages) == 4


def test_the_script_is_a_realistic_mix() -> None:
    assert 18 <= len(SCRIPT) <= 24
    assert {item.kind for item in SCRIPT} == set(Kind)
    assert {item.label for item in SCRIPT} >= {
        "twitter",
        "mastodon",
        "bluesky",
        "email",
        "chat",
        "facebook",
    }
    assert len({item.author for item in SCRIPT}) >= 15
    for item in SCRIPT:
        if item.kind is Kind.MENTION:
            assert item.url is not None and item.url.startswith("https://example.org/")


def test_the_continuation_dm_joins_the_earlier_conversation() -> None:
    channel = DemoChannel(interval_seconds=40)
    cursor = None
    messages = []
    for step in range(len(SCRIPT) - 4):
        fetched = channel.fetch(cursor, START + timedelta(seconds=40 * step))
        messages.extend(fetched.messages)
        cursor = fetched.cursor
    assert len(messages) == len(SCRIPT)
    by_conversation: dict[str | None, list[str]] = {}
    for message in messages:
        by_conversation.setdefault(message.conversation, []).append(message.remote_id)
    shared = [ids for ids in by_conversation.values() if len(ids) > 1]
    assert len(shared) == 1
    first, follow_up = (next(m for m in messages if m.remote_id == i) for i in shared[0])
    assert first.kind is follow_up.kind is Kind.DIRECT
    assert first.author == follow_up.author
    assert first.received_at < follow_up.received_at
    assert first.conversation_key == follow_up.conversation_key


def test_the_script_cycles_with_fresh_ids_and_conversations() -> None:
    channel = DemoChannel(interval_seconds=40)
    n = len(SCRIPT)
    cursor = json.dumps({"started": START.isoformat(), "delivered": n})
    fetched = channel.fetch(cursor, START + timedelta(seconds=40 * (n - 4)))
    assert [m.remote_id for m in fetched.messages] == [f"d{n + 1:04d}"]
    again = fetched.messages[0]
    first = DemoChannel().fetch(None, START).messages[0]
    assert again.text == first.text
    assert again.conversation != first.conversation
    assert again.key != first.key
    assert again.url != first.url


def test_a_long_pause_does_not_flood_the_desk() -> None:
    channel = DemoChannel(interval_seconds=40)
    _, cursor = run(channel, None, START)
    next_morning = START + timedelta(hours=18)
    fetched = channel.fetch(cursor, next_morning)
    assert [m.remote_id for m in fetched.messages] == ["d0006"]
    assert fetched.messages[0].received_at == next_morning
    ids, _ = run(channel, fetched.cursor, next_morning + timedelta(seconds=40))
    assert ids == ["d0007"]


def test_a_short_pause_delivers_what_was_missed() -> None:
    channel = DemoChannel(interval_seconds=40)
    _, cursor = run(channel, None, START)
    ids, _ = run(channel, cursor, START + timedelta(seconds=200))
    assert ids == ["d0006", "d0007", "d0008", "d0009", "d0010"]


def test_an_unreadable_cursor_restarts_with_a_problem() -> None:
    fetched = DemoChannel().fetch("not json", START)
    assert len(fetched.messages) == 5
    assert [p.where for p in fetched.problems] == ["demo cursor"]


def test_built_from_config() -> None:
    config = ChannelConfig(
        type="demo", name="practice", options={"interval_seconds": 5, "poll_seconds": 1}
    )
    channel: Channel = build_channel(config)
    assert isinstance(channel, DemoChannel)
    assert (channel.name, channel.type, channel.poll_seconds) == ("practice", "demo", 1.0)
    assert channel.interval_seconds == 5.0
    defaults = build_channel(ChannelConfig(type="demo", name="demo"))
    assert isinstance(defaults, DemoChannel)
    assert (defaults.poll_seconds, defaults.interval_seconds) == (2.0, 40.0)
    assert all(m.channel == "practice" for m in channel.fetch(None, START).messages)


def test_unknown_type_and_bad_interval_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown type 'fax'"):
        build_channel(ChannelConfig(type="fax", name="fax"))
    with pytest.raises(ConfigError):
        DemoChannel(interval_seconds=0)


def test_the_demo_bluesky_questions_look_like_what_the_bluesky_channel_brings() -> None:
    """Authors are @handles, a post's text carries the library's @-mention and whole links,
    and a post links where the channel's posts link (``/profile/<handle>/post/<id>``)."""
    from askdesk.channels.bluesky.payloads import post_url

    items = [item for item in SCRIPT if item.label == "bluesky"]
    assert {item.kind for item in items} == {Kind.MENTION, Kind.DIRECT}
    for item in items:
        assert re.fullmatch(r"@[a-z0-9-]+(\.[a-z0-9-]+)+", item.author)
        if item.kind is Kind.MENTION:
            handle = item.author.removeprefix("@")
            shape = post_url(handle, "at://did:plc:x/app.bsky.feed.post/{id}")
            assert item.url == shape.replace("https://bsky.app/", "https://example.org/bluesky/")
            assert item.text.startswith("@anytownlibrary.bsky.social ")
            assert "https://" in item.text
