"""One chat conversation per patron: back within the session gap reopens it, later starts anew."""

from __future__ import annotations

from datetime import timedelta

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.sessions import place
from askdesk.model import Kind, Message, Outcome, QuestionType, Status
from tests.conftest import NOW

GAP = timedelta(minutes=30)


def chat(remote_id: str, minutes: float, patron: str = "ada@library.test") -> Message:
    return Message(
        channel="chat",
        remote_id=remote_id,
        kind=Kind.CHAT,
        author=patron,
        text=f"question {remote_id}",
        received_at=NOW + timedelta(minutes=minutes),
        conversation=patron,
    )


def arrive(desk: Desk, *messages: Message) -> None:
    desk.ingest(place(messages, desk.live(), GAP))


def resolve(desk: Desk, key: str) -> None:
    desk.resolve(key, Outcome.ANSWERED, QuestionType.DIRECTIONAL, 1)


def test_a_patron_has_one_conversation_while_it_is_open(desk: Desk) -> None:
    arrive(desk, chat("1", 0), chat("2", 1))
    arrive(desk, chat("3", 50), chat("b1", 2, patron="ben@library.test"))
    by_patron = {c.first.author: c for c in desk.live()}
    assert [m.remote_id for m in by_patron["ada@library.test"].messages] == ["1", "2", "3"]
    assert by_patron["ada@library.test"].key == "chat:ada@library.test#1"
    assert by_patron["ben@library.test"].key == "chat:ben@library.test#b1"


def test_writing_again_within_the_gap_of_a_resolve_reopens_it(
    desk: Desk, clock: FixedClock
) -> None:
    arrive(desk, chat("1", 0))
    clock.advance(minutes=5)
    resolve(desk, "chat:ada@library.test#1")
    arrive(desk, chat("2", 5 + 29))
    (conversation,) = desk.live()
    assert conversation.status is Status.NEW
    assert [m.remote_id for m in conversation.messages] == ["1", "2"]


def test_writing_again_after_the_gap_starts_a_new_conversation(
    desk: Desk, clock: FixedClock
) -> None:
    arrive(desk, chat("1", 0))
    clock.advance(minutes=5)
    resolve(desk, "chat:ada@library.test#1")
    arrive(desk, chat("2", 5 + 31), chat("3", 5 + 32))
    old = desk.get("chat:ada@library.test#1")
    new = desk.get("chat:ada@library.test#2")
    assert old is not None and old.status is Status.RESOLVED and len(old.messages) == 1
    assert new is not None and [m.remote_id for m in new.messages] == ["2", "3"]


def test_a_message_seen_again_from_the_archive_is_not_doubled(desk: Desk) -> None:
    arrive(desk, chat("1", 0), chat("2", 1))
    arrive(desk, chat("1", 0), chat("2", 1), chat("3", 2))
    (conversation,) = desk.live()
    assert [m.remote_id for m in conversation.messages] == ["1", "2", "3"]
