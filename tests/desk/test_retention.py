"""Retention: patron details go after N days, everywhere on disk; statistics stay the same."""

from __future__ import annotations

import io
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from askdesk.desk.export import write_csv
from askdesk.desk.retention import (
    ANONYMIZED,
    RETENTION_STAFF,
    RetentionPolicy,
    anonymize,
    is_anonymized,
    purge,
)
from askdesk.desk.stats import compute, resolved_in, stats_record
from askdesk.model import Outcome, QuestionType, Status
from askdesk.store import Store
from askdesk.store.codec import to_dict
from tests.desk.statsweek import NOW, OPEN_PATRON, PATRON_STRINGS, Week, at, build_week, message

AT_ONCE = RetentionPolicy(default_days=0)


@pytest.fixture
def week(tmp_path: Path) -> Week:
    return build_week(tmp_path / "desk.json")


def everything_on_disk(folder: Path) -> str:
    """Every byte under the store's folder: hot file, archives, index, tokens."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file()
    )


def figures(store: Store) -> tuple[dict[str, object], str]:
    stats = compute(store.history(), now=NOW, tz=UTC)
    out = io.StringIO()
    write_csv(resolved_in(store.history(), None, None), UTC, out)
    return stats_record(stats, NOW), out.getvalue()


def test_no_patron_string_is_left_anywhere_in_the_store(week: Week, tmp_path: Path) -> None:
    """A and B in the monthly archive, C and D in the hot file; all four anonymized."""
    assert week.store.archive_resolved(before=at(2, 0)) == 2
    before = everything_on_disk(tmp_path)
    assert all(s in before for s in PATRON_STRINGS)  # the test would prove nothing otherwise
    result = purge(week.store, AT_ONCE, NOW)
    assert len(result.keys) == 4
    after = everything_on_disk(tmp_path)
    left = [s for s in PATRON_STRINGS if s in after]
    assert left == []
    assert OPEN_PATRON in after  # open conversations are not touched


def test_a_draft_to_a_patron_goes_with_their_details(week: Week, tmp_path: Path) -> None:
    """Drafts on due conversations (thread key gone, or kept) go; one on an open one stays."""
    week.store.save_draft(week.keys["B"], "bo", "Dear Ada Quillfeather, about the maps")
    week.store.save_draft(week.keys["A"], "ana", "Hi again Ada Quillfeather")
    week.store.save_draft(week.keys["E"], "ana", "Still looking for you")
    purge(week.store, AT_ONCE, NOW)
    assert week.store.drafts() == {(week.keys["E"], "ana"): "Still looking for you"}
    assert "Quillfeather" not in everything_on_disk(tmp_path)


def test_statistics_and_exports_are_identical_before_and_after(week: Week) -> None:
    week.store.archive_resolved(before=at(2, 0))
    before = figures(week.store)
    purge(week.store, AT_ONCE, NOW)
    assert figures(week.store) == before
    assert before[0]["transactions"] == 5


def test_what_an_anonymized_conversation_keeps(week: Week) -> None:
    """Words, handle, links and the DM thread id go; times, ids, resolutions, staff history stay."""
    original = week.store.get(week.keys["B"])
    assert original is not None
    purge(week.store, AT_ONCE, NOW)
    b = week.store.get("drop:b2")
    assert b is not None
    assert b.key == "drop:b1"  # was drop:dm-4711-patron: the thread id named the patron
    assert week.store.get(week.keys["B"]) is None
    assert {(m.author, m.text, m.url, m.conversation) for m in b.messages} == {
        (ANONYMIZED, "", None, None)
    }
    assert [m.received_at for m in b.messages] == [m.received_at for m in original.messages]
    assert [m.key for m in b.messages] == ["drop:b1", "drop:b2"]
    assert [m.label for m in b.messages] == ["webform", "email"]
    assert b.resolutions == original.resolutions
    assert [(e.at, e.staff, e.action) for e in b.events[:-1]] == [
        (e.at, e.staff, e.action) for e in original.events
    ]
    last = b.events[-1]
    assert (last.staff, last.action, last.at) == (RETENTION_STAFF, "anonymize", NOW)
    # Staff words about the patron go too; that a note was written stays.
    assert [e.details for e in b.events if e.action in ("note", "reply")] == [
        {"text": "", "to": ""},
        {"text": ""},
    ]
    assert is_anonymized(b)


def test_only_what_is_due_goes_counting_from_the_resolve(week: Week) -> None:
    policy = RetentionPolicy(default_days=2, channels={"twitter": 3.5})
    # A (twitter) was resolved Mon 09:20, B Tue 09:00, C Wed 09:30, D Wed 10:20.
    week.clock.advance(hours=21)  # Fri 09:00: B is 3 days old; A 3.99 days (limit 3.5)
    result = purge(week.store, policy, week.clock.now())
    assert sorted(result.keys) == ["drop:b1", "twitter:1001"]
    assert result.by_channel() == {"drop": 1, "twitter": 1}
    c = week.store.get(week.keys["C"])
    assert c is not None and not is_anonymized(c)


def test_zero_days_means_at_once_and_open_ones_are_never_touched(week: Week) -> None:
    result = purge(week.store, AT_ONCE, NOW)
    assert len(result.keys) == 4
    for key in (week.keys["E"], week.keys["F"]):
        c = week.store.get(key)
        assert c is not None and c.status is not Status.RESOLVED
        assert c.latest.author == OPEN_PATRON


def test_dry_run_changes_nothing(week: Week, tmp_path: Path) -> None:
    before = everything_on_disk(tmp_path)
    result = purge(week.store, AT_ONCE, NOW, dry_run=True)
    assert sorted(result.keys) == ["drop:dm-4711-patron", "twitter:1001", "web:c-thread", "web:d1"]
    assert result.summary().startswith("would anonymize 4 conversations")
    assert everything_on_disk(tmp_path) == before


def test_a_second_purge_finds_nothing(week: Week, tmp_path: Path) -> None:
    week.store.archive_resolved(before=at(2, 0))
    purge(week.store, AT_ONCE, NOW)
    live = week.store.live()
    archive = {p: p.read_bytes() for p in (tmp_path / "desk.archive").iterdir()}
    assert purge(week.store, AT_ONCE, NOW).keys == ()
    assert week.store.live() == live
    assert {p: p.read_bytes() for p in (tmp_path / "desk.archive").iterdir()} == archive


def test_a_later_purge_reads_only_what_may_have_come_due(
    week: Week, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bookmark of the last run spares re-reading years of archives at every start."""
    policy = RetentionPolicy(default_days=2)
    week.store.archive.add({"2024-01": []})  # an old month that must not be read again
    purge(week.store, policy, NOW)
    read: list[str] = []
    original = week.store.archive.read_month
    monkeypatch.setattr(week.store.archive, "read_month", lambda m: read.append(m) or original(m))
    week.clock.advance(days=1)
    assert purge(week.store, policy, week.clock.now()).keys == ("web:c1", "web:d1")
    assert "2024-01" not in read
    # Another policy: what was not due before may be now, so everything is looked at.
    read.clear()
    purge(week.store, RetentionPolicy(default_days=1), week.clock.now())
    assert "2024-01" in read


def test_dedup_still_knows_anonymized_messages(week: Week) -> None:
    week.store.archive_resolved(before=at(2, 0))
    purge(week.store, AT_ONCE, NOW)
    again = message("drop", "b2", at(1, 8), conversation="dm-4711-patron")
    assert week.ana.ingest([again]).duplicates == 1
    # A new message in the old thread starts afresh: the thread id is forgotten.
    new = message("drop", "b3", NOW, conversation="dm-4711-patron")
    assert week.ana.ingest([new]).added == ["drop:dm-4711-patron"]


def test_the_archive_index_forgets_the_old_keys(week: Week, tmp_path: Path) -> None:
    week.store.archive_resolved(before=at(2, 0))
    purge(week.store, AT_ONCE, NOW)
    index = week.store.archive.index()
    assert "drop:dm-4711-patron" not in index
    assert {index[k] for k in ("drop:b1", "drop:b2", "twitter:1001")} == {"2026-11"}
    assert week.store.get("drop:b1") is not None


def test_a_copy_left_by_a_crash_mid_move_is_dropped(week: Week, tmp_path: Path) -> None:
    """A crash between writing the archive and the hot file leaves two copies; the hot one wins."""
    c = week.store.get(week.keys["C"])
    assert c is not None
    week.store.archive.add({"2026-11": [to_dict(c)]})  # as if the move had crashed halfway
    purge(week.store, AT_ONCE, NOW)
    assert "One more thing" not in everything_on_disk(tmp_path)
    assert week.store.archive.read_month("2026-11") == {}
    assert [x.key for x in week.store.history()].count("web:c1") == 1
    assert "web:c2" not in week.store.archive.index()


def test_a_patron_writing_again_makes_it_live_and_it_goes_again_later(week: Week) -> None:
    purge(week.store, AT_ONCE, NOW)
    week.ana.ingest([message("web", "d2", NOW, conversation="d1", text="Hello again")])
    d = week.store.get("web:d1")
    assert d is not None and d.status is Status.NEW
    assert anonymize(d, NOW, 0) is None  # not resolved: not due
    week.ana.resolve("web:d1", Outcome.ANSWERED, QuestionType.OTHER, 1)
    week.clock.advance(minutes=1)
    assert purge(week.store, AT_ONCE, week.clock.now()).keys == ("web:d1",)
    d = week.store.get("web:d1")
    assert d is not None and {m.text for m in d.messages} == {""}
    assert compute([d], now=NOW + timedelta(days=1), tz=UTC).transaction_count == 2


def test_sent_replies_lose_their_words_and_open_ones_wait(week: Week) -> None:
    """Replies (the outbox's, when present) are written to the patron and may name them."""
    import askdesk.model

    reply_class = getattr(askdesk.model, "Reply", None)
    if reply_class is None:
        pytest.skip("replies are not part of the model yet")
    from dataclasses import replace

    statuses = askdesk.model.ReplyStatus  # type: ignore[attr-defined]
    sent = reply_class("r1", "Dear Ada Quillfeather…", "ana", NOW, status=statuses.SENT)
    pending = reply_class("r2", "Dear Ada Quillfeather…", "ana", NOW)
    a = week.store.get(week.keys["A"])
    assert a is not None
    assert anonymize(replace(a, replies=(pending,)), NOW, 0) is None  # the outbox needs it
    done = anonymize(replace(a, replies=(sent,)), NOW, 0)
    assert done is not None
    assert [(r.text, r.last_error) for r in done.replies] == [("", None)]


def test_on_postgresql_no_patron_string_is_left_in_any_table(postgres_url: str) -> None:
    """The same purge on a PostgreSQL store: every table's rows, as text, hold none of them.

    (The old row versions are dead tuples until VACUUM: docs/postgresql.md.)
    """
    import psycopg

    from askdesk.store.postgres_store import PostgresStore
    from tests.desk.statsweek import build_week_on

    def every_row() -> str:
        with psycopg.connect(postgres_url) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            ]
            return "\n".join(
                row[0]
                for table in tables
                for row in conn.execute(f"SELECT row_to_json(t)::text FROM {table} t").fetchall()
            )

    store = PostgresStore(postgres_url)
    week = build_week_on(store)
    assert store.archive_resolved(before=at(2, 0)) == 2
    stats_before = figures(store)
    assert all(s in every_row() for s in PATRON_STRINGS)
    result = purge(store, AT_ONCE, NOW)
    assert len(result.keys) == 4
    after = every_row()
    assert [s for s in PATRON_STRINGS if s in after] == []
    assert OPEN_PATRON in after
    assert figures(store) == stats_before
    assert week.store is store
    store.close()
