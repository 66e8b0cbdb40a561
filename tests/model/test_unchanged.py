"""The check every decision taken on an older copy goes through: what changed since, in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from askdesk.errors import Collision
from askdesk.model import Kind, Message, Reply
from askdesk.model import replying as r
from askdesk.model import transitions as t

T0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)


def message(remote_id: str) -> Message:
    return Message(
        channel="web",
        remote_id=remote_id,
        kind=Kind.DIRECT,
        author="@patron",
        text=f"question {remote_id}",
        received_at=T0,
        conversation="th1",
    )


def test_nothing_changed_passes_and_each_change_is_named() -> None:
    c = t.claim(t.start(message("1"), T0), "ana", T0)
    r.require_unchanged(c, c.version, "resolved")
    later = t.note(t.add_message(c, message("2"), T0), "bo", T0, "seen before")
    with pytest.raises(Collision) as refused:
        r.require_unchanged(later, c.version, "resolved")
    assert refused.value.changes == ["the patron wrote again", "bo added a note"]
    assert str(refused.value) == (
        "web:th1 was not resolved: meanwhile the patron wrote again; bo added a note"
    )


def test_ones_own_reply_going_out_is_not_a_change_but_a_colleagues_is() -> None:
    reply = Reply(id="r1", text="We open at 9.", staff="ana", created_at=T0)
    queued = r.queue_reply(t.start(message("1"), T0), reply, T0)
    taken = r.take_for_sending(queued, "r1", T0, "worker")
    sent = r.record_sent(taken, "r1", T0 + timedelta(seconds=1), "remote-1")
    r.require_unchanged(sent, queued.version, "resolved", own="ana")
    with pytest.raises(Collision, match="ana sent a reply"):
        r.require_unchanged(sent, queued.version, "resolved", own="bo")
