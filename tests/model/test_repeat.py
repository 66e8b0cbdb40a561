"""The same words to the same conversation twice in a few minutes: found, so it can be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from askdesk.errors import RepeatedReply
from askdesk.model import Kind, Message, Reply
from askdesk.model import replying as r
from askdesk.model import transitions as t

T0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


def conversation_with(text: str, *, cancelled: bool = False):  # type: ignore[no-untyped-def]
    message = Message(
        channel="web",
        remote_id="1",
        kind=Kind.DIRECT,
        author="@patron",
        text="Open on Monday?",
        received_at=T0,
    )
    first = Reply(id="r1", text=text, staff="ana", created_at=T0)
    c = r.queue_reply(t.start(message, T0), first, T0)
    return r.cancel_reply(c, "r1", "ana", T0) if cancelled else c


def reply(text: str, minutes: float) -> Reply:
    return Reply(id="r2", text=text, staff="ana", created_at=T0 + timedelta(minutes=minutes))


def test_the_same_words_within_the_window_are_refused_with_when_and_who() -> None:
    c = conversation_with("We open at 9.")
    with pytest.raises(RepeatedReply) as refused:
        r.queue_reply(c, reply("We  open at 9.\n", 3), T0, refuse_repeat_within=WINDOW)
    assert str(refused.value) == "web:1 got the same reply from ana 3 min ago (reply r1, pending)"


@pytest.mark.parametrize(
    ("text", "minutes", "cancelled"),
    [
        ("We open at 10.", 3, False),  # other words
        ("We open at 9.", 10.5, False),  # outside the window
        ("We open at 9.", 3, True),  # the first one never went
    ],
)
def test_other_words_a_later_time_or_a_cancelled_reply_are_no_repeat(
    text: str, minutes: float, cancelled: bool
) -> None:
    c = conversation_with("We open at 9.", cancelled=cancelled)
    queued = r.queue_reply(c, reply(text, minutes), T0, refuse_repeat_within=WINDOW)
    assert [x.id for x in queued.replies] == ["r1", "r2"]


def test_without_a_window_the_same_words_go_again() -> None:
    c = conversation_with("We open at 9.")
    assert len(r.queue_reply(c, reply("We open at 9.", 1), T0).replies) == 2
