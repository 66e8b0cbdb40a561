"""Who has worked on a store: live names, kept names, and the archive read once."""

from __future__ import annotations

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.staff import BOOKMARK, known_staff
from askdesk.model import Outcome, QuestionType
from askdesk.store import TinyDBStore


def test_names_come_from_live_events_the_archive_and_first_changes(
    store: TinyDBStore, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]
    bo = Desk(store, "bo", FixedClock(clock.now()))
    bo.ingest([make_message("1"), make_message("2")])
    bo.hand_off("web:1", "cy")  # named by a hand-off, never acted yet
    bo.resolve("web:2", Outcome.ANSWERED, QuestionType.POLICY, 2)
    bo.clock.advance(days=8)  # type: ignore[attr-defined]
    assert bo.archive_old() == 1
    store.save_cursor(BOOKMARK, None)  # a store from before names were kept
    assert known_staff(store) == {"bo", "cy"}  # bo still held web:1's events live
    Desk(store, "dee", clock).note("web:1", "called back")  # dee's first change
    assert known_staff(store) == {"bo", "cy", "dee"}
    assert "patron" not in known_staff(store, with_history=True)


def test_the_archive_is_read_for_names_only_once(
    store: TinyDBStore, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]
    old = Desk(store, "ed", FixedClock(clock.now()))
    old.ingest([make_message("9")])
    old.resolve("web:9", Outcome.ANSWERED, QuestionType.POLICY, 1)
    old.clock.advance(days=8)  # type: ignore[attr-defined]
    old.archive_old()
    store.save_cursor(BOOKMARK, None)
    assert "ed" not in known_staff(store)  # the cheap answer: live names only
    assert "ed" in known_staff(store, with_history=True)
    reads: list[object] = []
    store.history = lambda *a, **k: reads.append(a) or iter(())  # type: ignore[method-assign]
    assert "ed" in known_staff(store, with_history=True)
    assert reads == []  # kept from the first read
