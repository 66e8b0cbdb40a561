"""The PostgreSQL store keeps a conversation's events and replies (the outbox) in
tables of their own (migration 0007): moved there by ``askdesk migrate``,
appended to rather than rewritten, and left with no copy of anyone's words
after retention.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pg_server
import psycopg
import pytest
from psycopg.types.json import Json
from storekit import T0, make_message

from askdesk.desk.retention import anonymize
from askdesk.errors import AlreadyClaimed
from askdesk.model import Conversation, Outcome, QuestionType, Reply, ReplyStatus
from askdesk.model import replying as r
from askdesk.model import transitions as t
from askdesk.store import open_store, pg_outbox, pg_schema
from askdesk.store.codec import to_dict
from askdesk.store.postgres_store import PostgresStore

AT = T0 + timedelta(hours=1)
PATRON_WORDS = "my card number is 29900417"
NOTE_WORDS = "she said her card 29900417 was stolen"
REPLY_WORDS = "we blocked card 29900417 for you"
PLATFORM_ERROR = "no such user @ada.lovelace"


def answered() -> Conversation:
    """A resolved conversation holding a patron's words, a staff note and two replies
    (one sent; one that failed, the platform quoting the patron's handle, and was cancelled)."""
    message = replace(make_message("q1", conversation="thread-ada"), text=PATRON_WORDS)
    c = t.start(message, AT)
    c = t.claim(c, "bo", AT)
    c = t.note(c, "bo", AT, NOTE_WORDS)
    for n, words in enumerate((REPLY_WORDS, "and a second line")):
        reply = Reply(id=f"reply-{n}", text=words, staff="bo", created_at=AT)
        c = r.queue_reply(c, reply, AT)
        c = r.take_for_sending(c, reply.id, AT, "host:1")
    c = r.record_sent(c, "reply-0", AT, "platform-0")
    c = r.record_failure(c, "reply-1", AT, PLATFORM_ERROR, None)
    c = r.cancel_reply(c, "reply-1", "bo", AT)
    return t.resolve(c, "bo", AT, Outcome.ANSWERED, QuestionType.DIRECTIONAL, 1)


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    s = open_store(postgres_url)
    assert isinstance(s, PostgresStore)
    yield s
    s.close()


def every_row(url: str) -> str:
    """Every row of every table askdesk has in the database, as text."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        assert {"conversations", "events", "outbox"} <= set(tables)
        return "\n".join(
            str(row[0])
            for table in tables
            for row in conn.execute(f"SELECT t::text FROM {table} t").fetchall()
        )


def test_retention_leaves_no_copy_of_anyones_words_in_any_table(
    store: PostgresStore, postgres_url: str
) -> None:
    store.add_conversations([answered()])
    before = every_row(postgres_url)
    for words in (PATRON_WORDS, NOTE_WORDS, REPLY_WORDS, PLATFORM_ERROR, "thread-ada"):
        assert words in before

    assert store.rewrite(lambda c: anonymize(c, AT + timedelta(days=40), 30)) == ["demo:q1"]

    after = every_row(postgres_url)
    for words in (PATRON_WORDS, NOTE_WORDS, REPLY_WORDS, "29900417", PLATFORM_ERROR, "ada"):
        assert words not in after
    stored = store.get("demo:q1")
    assert stored is not None
    assert stored.events[-1].action == "anonymize"
    assert [reply.text for reply in stored.replies] == ["", ""]


def test_events_and_replies_are_rows_of_their_own_and_not_in_the_document(
    store: PostgresStore, postgres_url: str
) -> None:
    c = answered()
    store.add_conversations([c])
    with psycopg.connect(postgres_url) as conn:
        (doc,) = conn.execute("SELECT doc FROM conversations").fetchone() or ((),)
        events = conn.execute("SELECT ordinal, kind FROM events ORDER BY ordinal").fetchall()
        replies = conn.execute(
            "SELECT reply_id, state, attempts, remote_id, text FROM outbox ORDER BY ordinal"
        ).fetchall()
    assert "events" not in doc and "replies" not in doc
    assert events == [(n, e.action) for n, e in enumerate(c.events)]
    assert replies == [
        ("reply-0", "sent", 1, "platform-0", REPLY_WORDS),
        ("reply-1", "cancelled", 1, None, "and a second line"),
    ]
    assert store.get(c.key) == c


def test_a_change_appends_its_events_and_leaves_the_earlier_rows_alone(
    store: PostgresStore, postgres_url: str
) -> None:
    store.ingest([make_message("q1")], AT)
    store.update("demo:q1", lambda c: t.claim(c, "bo", AT))

    def rows() -> dict[int, str]:
        with psycopg.connect(postgres_url) as conn:
            found = conn.execute(
                "SELECT ordinal, xmin::text FROM events ORDER BY ordinal"
            ).fetchall()
        return dict(found)

    written = rows()
    store.update("demo:q1", lambda c: t.note(c, "bo", AT, "called back"))
    again = rows()
    assert len(again) == len(written) + 1
    # The rows there before are the same row versions: not deleted and written again.
    assert {n: again[n] for n in written} == written


def test_a_change_to_one_reply_writes_only_that_replys_row(
    store: PostgresStore, postgres_url: str
) -> None:
    store.ingest([make_message("q1")], AT)
    for n in range(2):
        reply = Reply(id=f"reply-{n}", text="Open at nine", staff="bo", created_at=AT)
        store.update("demo:q1", lambda c, reply=reply: r.queue_reply(c, reply, AT))

    def versions() -> dict[str, str]:
        with psycopg.connect(postgres_url) as conn:
            return dict(conn.execute("SELECT reply_id, xmin::text FROM outbox").fetchall())

    written = versions()
    sent = store.update("demo:q1", lambda c: r.take_for_sending(c, "reply-1", AT, "host:1"))
    again = versions()
    assert again["reply-0"] == written["reply-0"]
    assert again["reply-1"] != written["reply-1"]
    assert [reply.status for reply in sent.replies] == [ReplyStatus.PENDING, ReplyStatus.SENDING]


@pytest.fixture
def url_at_schema_6(postgres: pg_server.Server) -> Iterator[str]:
    """A database at schema 0006, as the askdesk before the events and outbox tables left it."""
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS askdesk_schema_6 WITH (FORCE)")
        conn.execute("CREATE DATABASE askdesk_schema_6")
    url = postgres.url("askdesk_schema_6")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {pg_schema.VERSION_TABLE} (version integer PRIMARY KEY)")
        for migration in pg_schema.migrations():
            if migration.number <= 6:
                conn.execute(migration.sql.encode())
                conn.execute(
                    f"INSERT INTO {pg_schema.VERSION_TABLE} VALUES (%s)", (migration.number,)
                )
    yield url
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE askdesk_schema_6 WITH (FORCE)")


def test_migrate_moves_the_events_and_replies_out_of_the_documents_once(
    url_at_schema_6: str,
) -> None:
    c = answered()
    # Details in an order jsonb would not keep: they must read back as written.
    c = t.note(c, "bo", AT, "zz first")
    c = replace(c, events=(*c.events[:-1], replace(c.events[-1], details={"z": 1, "a": 2})))
    with psycopg.connect(url_at_schema_6) as conn:
        conn.execute(
            "INSERT INTO conversations (key, channel, status, seq, doc) "
            "VALUES (%s, %s, %s, nextval('conversation_changes'), %s)",
            (c.key, c.channel, c.status.value, Json(to_dict(c))),
        )

    applied = pg_schema.migrate_database(url_at_schema_6, "here")
    assert applied == [m.name for m in pg_schema.migrations() if m.number > 6]
    assert pg_schema.migrate_database(url_at_schema_6, "here") == []

    with psycopg.connect(url_at_schema_6) as conn:
        (doc,) = conn.execute("SELECT doc FROM conversations").fetchone() or ((),)
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox)"
        ).fetchone()
    assert list(doc) == [k for k in to_dict(c) if k not in ("events", "replies")]
    assert counts == (len(c.events), len(c.replies))
    s = open_store(url_at_schema_6)
    try:
        stored = s.get(c.key)
        assert stored == c
        assert stored is not None and list(stored.events[-1].details) == ["z", "a"]
    finally:
        s.close()


def test_the_replies_not_settled_are_found_through_the_outbox_index(
    store: PostgresStore, postgres_url: str
) -> None:
    """One indexed query on every machine, not a read of every conversation."""
    store.ingest([make_message("q1"), make_message("q2")], AT)
    reply = Reply(id="r1", text="Open at nine", staff="bo", created_at=AT)
    store.update("demo:q2", lambda c: r.queue_reply(c, reply, AT))
    with psycopg.connect(postgres_url) as conn:
        conn.execute("SET enable_seqscan = off")  # a table this small is read whole otherwise
        plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN {pg_outbox.OPEN}").fetchall())
        (count,) = conn.execute(f"SELECT count(*) FROM ({pg_outbox.OPEN}) o").fetchone() or (0,)
    assert "outbox_open" in plan
    assert count == 1
    assert [c.key for c in store.with_open_replies()] == ["demo:q2"]
    assert set(pg_outbox.OPEN_STATES) == {
        s.value for s in ReplyStatus if Reply("", "", "", AT, s).open
    }


def test_a_desk_that_loaded_its_conversations_is_told_who_won_a_claim_race(
    store: PostgresStore, postgres_url: str
) -> None:
    """The desk's first load reads in one snapshot (REPEATABLE READ); the pooled connection
    it used must go back to READ COMMITTED, or a claim that waited for a colleague's lock
    fails with a serialization error instead of naming who won."""
    store.ingest([make_message("q1")], AT)
    store.live()
    colleague = open_store(postgres_url)
    holding = threading.Event()

    def slow_claim(c: Conversation) -> Conversation:
        holding.set()
        time.sleep(0.5)  # the row stays locked while ours waits for it
        return t.claim(c, "cy", AT)

    racer = threading.Thread(target=colleague.update, args=("demo:q1", slow_claim))
    racer.start()
    try:
        assert holding.wait(5)
        with pytest.raises(AlreadyClaimed, match="cy"):
            store.update("demo:q1", lambda c: t.claim(c, "bo", AT))
    finally:
        racer.join()
        colleague.close()


def test_reading_every_conversation_gives_each_as_reading_it_by_key(
    store: PostgresStore,
) -> None:
    """``history()`` over everything gathers the events and replies in bulk
    (``pg_documents.EVERY``), reading one by key looks them up: the same
    conversations either way, events and replies in order, none where there are none."""

    def made(name: str, events: bool, replies: bool) -> Conversation:
        c = t.claim(t.start(make_message(name), AT), "bo", AT)
        c = t.note(c, "bo", AT, f"{NOTE_WORDS} ({name})")
        for n in range(3 if replies else 0):
            reply = Reply(id=f"{name}-{n}", text=f"{REPLY_WORDS} {n}", staff="bo", created_at=AT)
            c = r.take_for_sending(r.queue_reply(c, reply, AT), reply.id, AT, "host:1")
        if replies:
            c = r.record_sent(c, f"{name}-0", AT, "platform-0")
            c = r.record_failure(c, f"{name}-1", AT, PLATFORM_ERROR, None)
        return c if events else replace(c, events=())

    written = [
        made(f"q{n}-{events}-{replies}", events, replies)
        for n in range(3)
        for events in (True, False)
        for replies in (True, False)
    ]
    store.add_conversations(written)
    # Events and replies added by a later change, after those written with the row.
    late = Reply(id="late", text=REPLY_WORDS, staff="bo", created_at=AT)
    store.update(written[1].key, lambda c: r.queue_reply(c, late, AT))

    every = list(store.history())
    assert every == [store.get(c.key) for c in written]
    assert [c.key for c in every] == [c.key for c in written]
    assert sum(not c.events and not c.replies for c in every) == 3
    assert every[1].replies == (late,) and every[1].events[-1].action == "reply-queued"
    assert every[2:] == written[2:] and every[0] == written[0]
