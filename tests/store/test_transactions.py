"""Statistics read through the store: its transactions by resolve time and the backlog.

Every test here runs on each backend. A store's ``transactions`` and
``open_at`` must give exactly the figures that working everything out from
``history`` gives, after every kind of write: ingest, follow-ups, changes,
retention's rewrite and a copy into another store.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from storekit import T0, OpenStore, make_message

from askdesk.desk.stats import compute, read
from askdesk.model import Conversation, Message, Outcome, QuestionType
from askdesk.model import transitions as t
from askdesk.model.transactions import transactions_of
from askdesk.store import Store


def day(month: int, date: int, hour: int = 9) -> datetime:
    return datetime(2024, month, date, hour, tzinfo=UTC)


NOW = T0 + timedelta(days=1)
RANGES = [
    (None, None),
    (day(4, 2, 10), None),  # exactly when b's first question was resolved: included
    (day(4, 1), day(5, 1)),  # the backlog counted on 1 May: d and f waited, e not yet
    (None, day(4, 11, 10)),  # exactly when b's second question was resolved: left out
    (day(5, 1), day(5, 6)),
]


def resolve(staff: str, at: datetime, kind: QuestionType = QuestionType.POLICY) -> t.Any:
    return lambda c: t.resolve(c, staff, at, Outcome.ANSWERED, kind, 2)


def arrive(store: Store, remote_id: str, at: datetime, conversation: str | None = None) -> None:
    message: Message = make_message(remote_id, received_at=at, conversation=conversation)
    store.ingest([message], at)


@pytest.fixture
def desk_history(store: Store) -> Store:
    """Three months of a desk: old questions archived, a follow-up, a correction,
    questions waiting on 1 May, one flagged, one claimed and one new now."""
    arrive(store, "a", day(3, 1))
    store.update("demo:a", resolve("alice", day(3, 1, 10)))
    arrive(store, "b", day(4, 1), conversation="B")
    store.update("demo:B", lambda c: t.claim(c, "bob", day(4, 1, 12)))
    store.update("demo:B", resolve("bob", day(4, 2, 10)))
    arrive(store, "b2", day(4, 10), conversation="B")  # the patron asks again: reopened
    store.update("demo:B", resolve("bob", day(4, 11, 10), QuestionType.RESEARCH))
    arrive(store, "c", day(4, 20))
    store.update("demo:c", resolve("carol", day(4, 21)))
    store.update("demo:c", lambda c: t.reopen(c, "carol", day(4, 22)))  # a correction
    store.update("demo:c", resolve("carol", day(4, 23), QuestionType.DIRECTIONAL))
    arrive(store, "d", day(4, 28))
    store.update("demo:d", lambda c: t.flag(c, "ana", day(4, 29), "rude"))
    store.update("demo:d", resolve("ana", day(5, 5)))
    arrive(store, "e", day(5, 3))
    store.update("demo:e", resolve("ana", day(5, 4)))
    arrive(store, "f", day(4, 30))
    store.update("demo:f", lambda c: t.claim(c, "bob", day(4, 30, 12)))
    arrive(store, "g", day(5, 6))
    store.archive_resolved(before=day(5, 1))
    return store


def figures_agree(store: Store) -> None:
    """Read through the store, the figures are the ones its whole history gives."""
    for since, until in RANGES:
        expected = compute(store.history(), now=NOW, tz=UTC, since=since, until=until)
        assert read(store, now=NOW, tz=UTC, since=since, until=until) == expected


def test_statistics_read_through_the_store_are_those_of_its_history(
    desk_history: Store, open_store_here: OpenStore
) -> None:
    everything = read(desk_history, now=NOW, tz=UTC)
    assert everything.transaction_count == 6  # b twice; c's correction is no transaction
    on_1_may = read(desk_history, now=NOW, tz=UTC, since=day(4, 1), until=day(5, 1))
    assert (on_1_may.backlog_open, on_1_may.backlog_oldest_s) == (2, 3 * 86400)
    for store in (desk_history, open_store_here()):
        figures_agree(store)
        assert store.stale_transactions() == 0


def test_the_transactions_of_a_range_are_those_resolved_in_it(desk_history: Store) -> None:
    every = [t for c in desk_history.history() for t in transactions_of(c)]
    for since, until in RANGES:
        got = list(desk_history.transactions(since, until))
        expected = [
            t
            for t in every
            if (since is None or t.resolved_at >= since)
            and (until is None or t.resolved_at < until)
        ]
        assert sorted(got, key=lambda t: t.resolved_at) == sorted(
            expected, key=lambda t: t.resolved_at
        )


def test_follow_ups_and_changes_keep_the_transactions_in_step(desk_history: Store) -> None:
    arrive(desk_history, "a2", day(5, 6, 10), conversation="a")  # brings a back from the archive
    desk_history.update("demo:a", resolve("dan", day(5, 6, 11)))
    desk_history.update("demo:g", lambda c: t.claim(c, "dan", day(5, 6, 12)))
    desk_history.update("demo:g", resolve("dan", day(5, 6, 13)))
    desk_history.update("demo:f", lambda c: t.release(c, "bob", day(5, 6, 14)))
    figures_agree(desk_history)
    assert len(list(desk_history.transactions(day(5, 6)))) == 2


def blank(c: Conversation) -> Conversation:
    """Retention's kind of rewrite: the words go, the key changes, the events stay."""
    messages = tuple(replace(m, text="") for m in c.messages)
    return replace(c, messages=messages, key=c.key + "-anon")


def test_a_rewrite_and_a_copy_keep_the_same_figures(desk_history: Store, empty_twin: Store) -> None:
    before = [read(desk_history, now=NOW, tz=UTC, since=s, until=u) for s, u in RANGES]
    assert desk_history.rewrite(blank, resolved_by=day(5, 1))
    figures_agree(desk_history)
    assert [read(desk_history, now=NOW, tz=UTC, since=s, until=u) for s, u in RANGES] == before

    empty_twin.add_conversations(list(desk_history.history()))
    figures_agree(empty_twin)
    assert [read(empty_twin, now=NOW, tz=UTC, since=s, until=u) for s, u in RANGES] == before
