"""What a row says about a conversation: its age in words and whether it is LATE."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from askdesk.cli_output import print_conversation
from askdesk.desk.views import format_ago, row_for
from askdesk.model import Conversation, Kind, Message, Reply, ReplyStatus

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
TARGET = timedelta(minutes=60)


def asked(minutes_ago: float, remote_id: str = "1") -> Message:
    return Message(
        channel="web",
        remote_id=remote_id,
        kind=Kind.MENTION,
        author="@reader",
        text="Are you open on Monday?",
        received_at=NOW - timedelta(minutes=minutes_ago),
        conversation="c",
    )


def conversation(*messages: Message, replies: tuple[Reply, ...] = ()) -> Conversation:
    return Conversation(
        key="web:c", channel="web", kind=Kind.MENTION, messages=messages, replies=replies
    )


def reply(status: ReplyStatus, minutes_ago: float) -> Reply:
    at = NOW - timedelta(minutes=minutes_ago)
    return Reply(
        id="r1",
        text="Yes, 9 to 5.",
        staff="ana",
        created_at=at,
        status=status,
        sent_at=at if status is ReplyStatus.SENT else None,
    )


@pytest.mark.parametrize(
    ("seconds", "words"), [(0, "just now"), (59, "just now"), (60, "1m ago"), (7200, "2h ago")]
)
def test_ago_in_words(seconds: int, words: str) -> None:
    assert format_ago(timedelta(seconds=seconds)) == words


def test_a_message_that_just_arrived_reads_just_now(capsys: pytest.CaptureFixture[str]) -> None:
    print_conversation(conversation(asked(0.2)), NOW, UTC)
    out = capsys.readouterr().out
    assert "(just now)" in out and "now ago" not in out


def test_late_until_the_patron_has_had_a_reply() -> None:
    waiting = conversation(asked(90))
    assert row_for(waiting, NOW, TARGET).overdue
    answered = replace(waiting, replies=(reply(ReplyStatus.SENT, 10),))
    assert not row_for(answered, NOW, TARGET).overdue


def test_a_reply_that_has_not_gone_out_leaves_it_late() -> None:
    for status in (ReplyStatus.PENDING, ReplyStatus.FAILED):
        c = conversation(asked(90), replies=(reply(status, 10),))
        assert row_for(c, NOW, TARGET).overdue, status


def test_a_follow_up_after_the_reply_waits_anew() -> None:
    follow_up = conversation(asked(200), asked(90, "2"), replies=(reply(ReplyStatus.SENT, 150),))
    assert row_for(follow_up, NOW, TARGET).overdue
