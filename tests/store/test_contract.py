"""The Store contract: every test here runs on each backend (TinyDB file, PostgreSQL).

``open_store_here()`` opens a second store on the same data, as another
askdesk process or another machine would. Only the ``Store`` protocol is
used: what is specific to TinyDB's files is in ``test_tinydb_files.py``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Hashable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from storekit import T0, OpenStore, make_message

from askdesk.errors import AlreadyClaimed, NotFound, StoreError, TransitionError
from askdesk.model import Conversation, Outcome, QuestionType, Reply, ReplyStatus, Status
from askdesk.model import replying as r
from askdesk.model import transitions as t
from askdesk.store import Store

AT = T0 + timedelta(hours=1)
NOTICE_S = 1.0
"""DESIGN.md's budget: a colleague's change is seen on every desk within a second."""


def claim_by(staff: str, at: datetime = AT) -> Any:
    return lambda c: t.claim(c, staff, at)


def resolve_by(staff: str, at: datetime) -> Any:
    return lambda c: t.resolve(c, staff, at, Outcome.ANSWERED, QuestionType.POLICY, 2)


def version_changes(store: Store, before: Hashable) -> bool:
    """Whether ``store.version()`` moves on from ``before`` within the notice budget."""
    deadline = time.monotonic() + NOTICE_S
    while time.monotonic() < deadline:
        if store.version() != before:
            return True
        time.sleep(0.005)  # the thing under test is how soon the notice arrives
    return False


# -- ingest ------------------------------------------------------------------


def test_ingest_starts_one_conversation_per_new_message(store: Store) -> None:
    batch = [make_message("q1", 1), make_message("q2", 2), make_message("q3", 3)]
    result = store.ingest(batch, AT)
    assert result.added == ["demo:q1", "demo:q2", "demo:q3"]
    assert (result.joined, result.duplicates) == ([], 0)
    live = {c.key: c for c in store.live()}
    assert list(live) == ["demo:q1", "demo:q2", "demo:q3"]
    assert all(c.status is Status.NEW and c.holder is None for c in live.values())
    assert live["demo:q2"].messages == (batch[1],)
    assert [(e.action, e.staff, e.at) for e in live["demo:q2"].events] == [("arrive", t.PATRON, AT)]


def test_ingesting_the_same_batch_twice_changes_nothing(
    store: Store, open_store_here: OpenStore
) -> None:
    batch = [make_message("q1", 1), make_message("q2", 2, conversation="th")]
    store.ingest(batch, AT)
    before = store.live()

    again = open_store_here().ingest(batch, AT + timedelta(minutes=5))

    assert (again.added, again.joined, again.duplicates) == ([], [], 2)
    assert store.live() == before
    assert [store.get(c.key) for c in before] == before


def test_a_duplicate_inside_one_batch_is_counted_once(store: Store) -> None:
    m = make_message("q1", 1)
    result = store.ingest([m, make_message("q2", 2), m], AT)
    assert result.added == ["demo:q1", "demo:q2"]
    assert result.duplicates == 1
    conversation = store.get("demo:q1")
    assert conversation is not None and conversation.messages == (m,)


def test_dedup_is_by_channel_and_remote_id(store: Store) -> None:
    result = store.ingest([make_message("q1"), make_message("q1", channel="mastodon")], AT)
    assert result.added == ["demo:q1", "mastodon:q1"]
    assert result.duplicates == 0


def test_a_follow_up_joins_its_conversation_by_conversation_id(store: Store) -> None:
    first = make_message("q1", 1, conversation="thread-9")
    store.ingest([first, make_message("other", 2)], AT)
    key = first.conversation_key

    follow_up = make_message("q7", 20, conversation="thread-9")
    result = store.ingest([follow_up], AT + timedelta(minutes=20))

    assert (result.added, result.joined, result.duplicates) == ([], [key], 0)
    conversation = store.get(key)
    assert conversation is not None
    assert conversation.messages == (first, follow_up)
    assert [e.action for e in conversation.events] == ["arrive", "follow-up"]
    assert len(store.live()) == 2


def test_a_thread_that_starts_and_continues_in_one_batch_is_one_conversation(
    store: Store,
) -> None:
    batch = [make_message(f"q{i}", i, conversation="th") for i in range(3)]
    result = store.ingest(batch, AT)
    assert result.added == [batch[0].conversation_key]
    assert result.joined == []
    (conversation,) = store.live()
    assert conversation.message_keys() == ("demo:q0", "demo:q1", "demo:q2")


def test_a_follow_up_stays_with_the_holder_or_reopens_a_resolved_conversation(
    store: Store,
) -> None:
    store.ingest([make_message("a", conversation="A"), make_message("b", conversation="B")], AT)
    a_key, b_key = "demo:A", "demo:B"
    store.update(a_key, claim_by("alice"))
    store.update(b_key, resolve_by("bob", AT))

    later = AT + timedelta(hours=1)
    result = store.ingest(
        [make_message("a2", 90, conversation="A"), make_message("b2", 90, conversation="B")],
        later,
    )

    assert sorted(result.joined) == sorted([a_key, b_key])
    a, b = store.get(a_key), store.get(b_key)
    assert a is not None and (a.status, a.holder) == (Status.CLAIMED, "alice")
    assert b is not None and (b.status, b.holder) == (Status.NEW, None)
    assert len(b.resolutions) == 1
    assert b.events[-1].action == "reopen"


# -- cursors -----------------------------------------------------------------


def test_the_cursor_is_saved_with_the_batch_and_read_back(
    store: Store, open_store_here: OpenStore
) -> None:
    store.ingest([make_message("q1")], AT, cursor=("demo", "c-1"))
    assert store.cursor("demo") == "c-1"
    assert store.cursor("mastodon") is None
    other = open_store_here()
    assert other.cursor("demo") == "c-1"

    store.ingest([], AT, cursor=("demo", "c-2"))
    store.ingest([make_message("m1", channel="mastodon")], AT, cursor=("mastodon", "x"))
    assert (store.cursor("demo"), store.cursor("mastodon")) == ("c-2", "x")
    assert (other.cursor("demo"), other.cursor("mastodon")) == ("c-2", "x")
    store.save_cursor("demo", None)
    assert other.cursor("demo") is None


def test_processes_saving_cursors_of_different_channels_do_not_collide(
    open_store_here: OpenStore,
) -> None:
    """Two pollers, each saving its own channels' cursors into one store."""
    a, b = open_store_here(), open_store_here()
    a.save_cursor("twitter", "t1")
    b.save_cursor("mastodon", "m1")
    a.save_cursor("email", "e1")
    b.save_cursor("bluesky", "b1")
    fresh = open_store_here()
    channels = ("twitter", "mastodon", "email", "bluesky")
    assert [fresh.cursor(c) for c in channels] == ["t1", "m1", "e1", "b1"]


# -- update: compare-and-set ---------------------------------------------------


def test_update_applies_a_transition_and_stores_it(
    store: Store, open_store_here: OpenStore
) -> None:
    store.ingest([make_message("q1")], AT)
    claimed = store.update("demo:q1", claim_by("alice"))
    assert (claimed.status, claimed.holder) == (Status.CLAIMED, "alice")
    assert store.get("demo:q1") == claimed
    assert open_store_here().get("demo:q1") == claimed
    assert store.live() == [claimed]


def test_a_second_claim_is_told_who_won_and_changes_nothing(store: Store) -> None:
    store.ingest([make_message("q1")], AT)
    store.update("demo:q1", claim_by("alice"))
    with pytest.raises(AlreadyClaimed) as info:
        store.update("demo:q1", claim_by("bob"))
    assert info.value.holder == "alice"
    stored = store.get("demo:q1")
    assert stored is not None and [e.action for e in stored.events] == ["arrive", "claim"]
    assert stored.holder == "alice"


def test_compare_and_set_sees_a_claim_made_through_another_store(
    open_store_here: OpenStore,
) -> None:
    mine, theirs = open_store_here(), open_store_here()
    mine.ingest([make_message("q1")], AT)
    assert theirs.get("demo:q1") is not None
    assert len(theirs.live()) == 1  # theirs now holds a copy in memory
    mine.update("demo:q1", claim_by("alice"))
    with pytest.raises(AlreadyClaimed) as info:
        theirs.update("demo:q1", claim_by("bob"))
    assert info.value.holder == "alice"
    stored = open_store_here().get("demo:q1")
    assert stored is not None and stored.holder == "alice"


def test_a_refused_change_leaves_the_store_as_it_was(
    store: Store, open_store_here: OpenStore
) -> None:
    store.ingest([make_message("q1")], AT)
    with pytest.raises(TransitionError):
        store.update("demo:q1", lambda c: t.note(t.claim(c, "alice", AT), "alice", AT, "   "))
    for s in (store, open_store_here()):
        stored = s.get("demo:q1")
        assert stored is not None and (stored.status, len(stored.events)) == (Status.NEW, 1)
        assert s.live() == [stored]


def test_update_of_an_unknown_key_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="demo:nope"):
        store.update("demo:nope", claim_by("alice"))
    store.ingest([make_message("q1")], AT)
    with pytest.raises(NotFound):
        store.update("demo:nope", claim_by("alice"))
    assert store.get("demo:nope") is None


def test_lookups_work_by_conversation_key_and_by_any_message_key(store: Store) -> None:
    first, second = (
        make_message("q1", 1, conversation="th"),
        make_message("q2", 2, conversation="th"),
    )
    store.ingest([first, make_message("x")], AT)
    store.ingest([second], AT)
    by_conversation = store.get(first.conversation_key)
    assert by_conversation is not None
    assert store.get(first.key) == by_conversation == store.get(second.key)
    assert by_conversation.message_keys() == (first.key, second.key)
    # A transition addressed by a message key changes its conversation.
    store.update(second.key, claim_by("alice"))
    updated = store.get(first.conversation_key)
    assert updated is not None and updated.holder == "alice"


# -- seeing what other processes (other machines) write ---------------------------------


def test_live_and_version_follow_what_another_store_writes(open_store_here: OpenStore) -> None:
    mine, theirs = open_store_here(), open_store_here()
    assert mine.live() == []
    theirs.ingest([make_message("q1"), make_message("q2")], AT)
    assert [c.key for c in mine.live()] == ["demo:q1", "demo:q2"]
    version = mine.version()
    theirs.update("demo:q2", claim_by("bob"))
    assert version_changes(mine, version)
    assert {c.key: c.holder for c in mine.live()} == {"demo:q1": None, "demo:q2": "bob"}
    got = mine.get("demo:q2")
    assert got is not None and got.holder == "bob"
    assert mine.problem() is None


def test_a_colleagues_claims_reach_a_desk_that_only_watches_the_version(
    open_store_here: OpenStore,
) -> None:
    """The desk's loop: read ``live()`` whenever ``version()`` moves. Every claim arrives."""
    watcher, colleague = open_store_here(), open_store_here()
    colleague.ingest([make_message(f"q{i}", i) for i in range(20)], AT)
    seen = watcher.version()
    shown = {c.key: c.holder for c in watcher.live()}
    for i in range(20):
        colleague.update(f"demo:q{i}", claim_by("bob"))
        deadline = time.monotonic() + NOTICE_S
        while shown[f"demo:q{i}"] != "bob" and time.monotonic() < deadline:
            if watcher.version() != seen:
                seen = watcher.version()
                shown = {c.key: c.holder for c in watcher.live()}
            time.sleep(0.002)
        assert shown[f"demo:q{i}"] == "bob", f"claim {i} not seen within {NOTICE_S} s"


# -- archives: resolved history leaves the desk, stays in the record -------------------

MARCH = datetime(2024, 3, 10, 9, 0, tzinfo=UTC)
APRIL = datetime(2024, 4, 20, 9, 0, tzinfo=UTC)
MAY = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
ALL = {"demo:M", "demo:apr", "demo:may", "demo:busy", "demo:fresh"}


@pytest.fixture
def history(store: Store) -> Store:
    """Two old resolved conversations (March, April), one resolved today, one claimed, one new."""
    store.ingest(
        [
            make_message("mar", received_at=MARCH - timedelta(hours=1), conversation="M"),
            make_message("apr", received_at=APRIL - timedelta(hours=1)),
            make_message("may", received_at=MAY - timedelta(hours=1)),
            make_message("busy", received_at=MAY),
            make_message("fresh", received_at=MAY),
        ],
        MARCH,
    )
    store.update("demo:M", resolve_by("alice", MARCH))
    store.update("demo:apr", resolve_by("bob", APRIL))
    store.update("demo:may", resolve_by("bob", MAY))
    store.update("demo:busy", claim_by("carol", MAY))
    return store


def test_archive_takes_old_resolved_conversations_off_the_desk_and_keeps_them(
    history: Store, open_store_here: OpenStore
) -> None:
    before = {key: history.get(key) for key in ALL}

    assert history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC)) == 2

    for s in (history, open_store_here()):
        assert {c.key for c in s.live()} == {"demo:may", "demo:busy", "demo:fresh"}
        assert {key: s.get(key) for key in ALL} == before
        assert s.get("demo:mar") == before["demo:M"]
        assert Counter(c.key for c in s.history()) == Counter(ALL)
    assert history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC)) == 0
    assert history.archive_resolved(before=datetime(2030, 1, 1, tzinfo=UTC)) == 1
    assert {c.key for c in history.live()} == {"demo:busy", "demo:fresh"}


def test_history_since_a_date_keeps_everything_resolved_since_and_everything_open(
    history: Store,
) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    since = {c.key for c in history.history(resolved_since=datetime(2024, 4, 1, tzinfo=UTC))}
    assert {"demo:apr", "demo:may", "demo:busy", "demo:fresh"} <= since
    assert {c.key for c in history.history()} == ALL


def test_a_follow_up_brings_an_archived_conversation_back_reopened(
    history: Store, open_store_here: OpenStore
) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    old = history.get("demo:M")
    assert old is not None

    follow_up = make_message("mar-2", conversation="M", received_at=MAY)
    result = history.ingest([follow_up], MAY)

    assert (result.added, result.joined, result.duplicates) == ([], ["demo:M"], 0)
    back = history.get("demo:M")
    assert back is not None
    assert (back.status, back.holder) == (Status.NEW, None)
    assert back.resolutions == old.resolutions
    assert back.messages == (*old.messages, follow_up)
    assert back.events[: len(old.events)] == old.events
    assert back.events[-1].action == "reopen"
    assert "demo:M" in {c.key for c in history.live()}
    assert Counter(c.key for c in history.history()) == Counter(ALL)
    history.update("demo:mar-2", claim_by("dave", MAY))
    again = open_store_here().get("demo:mar")
    assert again is not None and again.holder == "dave"


def test_staff_can_reopen_an_archived_conversation(history: Store) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    reopened = history.update("demo:apr", lambda c: t.reopen(c, "bob", MAY))
    assert reopened.status is Status.NEW
    assert history.get("demo:apr") == reopened
    assert "demo:apr" in {c.key for c in history.live()}
    assert Counter(c.key for c in history.history()) == Counter(ALL)


def test_dedup_recognises_archived_messages(history: Store) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    result = history.ingest(
        [
            make_message("mar", received_at=MARCH - timedelta(hours=1), conversation="M"),
            make_message("apr", received_at=APRIL - timedelta(hours=1)),
        ],
        MAY,
    )
    assert (result.added, result.joined, result.duplicates) == ([], [], 2)
    assert {c.key for c in history.live()} == {"demo:may", "demo:busy", "demo:fresh"}


# -- rewrite (retention) ------------------------------------------------------------


def blank_words(c: Conversation) -> Conversation:
    """A stand-in for retention: the patron's words go, the conversation key loses its thread."""
    messages = tuple(replace(m, text="", author="", conversation=None) for m in c.messages)
    return replace(c, key=messages[0].key, messages=messages)


def test_rewrite_replaces_conversations_everywhere_and_may_change_their_key(
    history: Store, open_store_here: OpenStore
) -> None:
    history.archive_resolved(before=datetime(2024, 4, 1, tzinfo=UTC))  # March archived

    changed = history.rewrite(blank_words, resolved_by=datetime(2024, 4, 30, tzinfo=UTC))

    assert sorted(changed) == ["demo:apr", "demo:mar"]
    other = open_store_here()
    for s in (history, other):
        keys = {c.key for c in s.history()}
        assert keys == ALL - {"demo:M"} | {"demo:mar"}
        words = [m.text for c in s.history() for m in c.messages if c.key in changed]
        assert words == ["", ""]
        assert s.get("demo:M") is None
        by_message = s.get("demo:mar")
        assert by_message is not None and by_message.messages[0].text == ""
        assert {c.key for c in s.live()} == {"demo:apr", "demo:may", "demo:busy", "demo:fresh"}
    # The message keys stay: the same messages are still known to dedup.
    again = history.ingest([make_message("mar", received_at=MARCH)], MAY)
    assert again.duplicates == 1


def test_rewrite_offers_only_the_window_and_none_leaves_a_conversation(history: Store) -> None:
    offered: list[str] = []

    def note(c: Conversation) -> Conversation | None:
        offered.append(c.key)
        return None

    window = dict(resolved_after=datetime(2024, 4, 1, tzinfo=UTC), resolved_by=MAY)
    assert history.rewrite(note, **window) == []
    assert sorted(offered) == ["demo:apr", "demo:may"]
    offered.clear()
    assert history.rewrite(note) == []
    assert sorted(offered) == sorted(ALL)


def test_rewrite_refuses_a_key_another_conversation_has(history: Store) -> None:
    with pytest.raises(StoreError, match="demo:fresh"):
        history.rewrite(
            lambda c: replace(c, key="demo:fresh") if c.key == "demo:apr" else None,
        )
    assert history.get("demo:apr") is not None


# -- channel records: leases, health -----------------------------------------------------


def test_one_holder_has_a_lease_until_it_expires_or_is_released(
    open_store_here: OpenStore,
) -> None:
    a, b = open_store_here(), open_store_here()
    ttl = timedelta(seconds=45)
    assert a.acquire_lease("web", "host:1", AT, ttl) == "host:1"
    assert b.acquire_lease("web", "host:2", AT + timedelta(seconds=10), ttl) == "host:1"
    assert a.acquire_lease("web", "host:1", AT + timedelta(seconds=30), ttl) == "host:1"
    # Renewed at 30 s: still held at 60 s, expired at 76 s.
    assert b.acquire_lease("web", "host:2", AT + timedelta(seconds=60), ttl) == "host:1"
    assert b.acquire_lease("web", "host:2", AT + timedelta(seconds=76), ttl) == "host:2"
    b.release_lease("web", "host:1")  # not the holder: nothing happens
    assert a.acquire_lease("web", "host:1", AT + timedelta(seconds=80), ttl) == "host:2"
    b.release_lease("web", "host:2")
    assert a.acquire_lease("web", "host:1", AT + timedelta(seconds=81), ttl) == "host:1"
    lease = b.channel_records()["web"]["lease"]
    assert lease["holder"] == "host:1"
    assert datetime.fromisoformat(lease["expires_at"]) == AT + timedelta(seconds=81) + ttl


def test_health_and_cursors_share_a_channels_record(open_store_here: OpenStore) -> None:
    a, b = open_store_here(), open_store_here()
    assert a.channel_records() == {}
    a.save_health("web", {"last_ok": AT.isoformat(), "calls_left": 10})
    a.save_cursor("web", "c-9")
    b.save_health("mail", {"last_error": "refused"})
    records = a.channel_records()
    assert records["web"] == {
        "health": {"last_ok": AT.isoformat(), "calls_left": 10},
        "lease": None,
    }
    assert records["mail"]["health"] == {"last_error": "refused"}
    assert b.cursor("web") == "c-9"


# -- the outbox: replies are stored with their conversation ---------------------------


def test_only_one_process_takes_a_pending_reply_for_sending(
    store: Store, open_store_here: OpenStore
) -> None:
    store.ingest([make_message("q1")], AT)
    reply = Reply(id="r1", text="Open 9-5.", staff="ana", created_at=AT)
    store.update("demo:q1", lambda c: r.queue_reply(c, reply, AT))
    other = open_store_here()
    queued = other.get("demo:q1")
    assert queued is not None and queued.replies[0].status is ReplyStatus.PENDING

    taken = store.update("demo:q1", lambda c: r.take_for_sending(c, "r1", AT, "host:1"))
    assert taken.replies[0].status is ReplyStatus.SENDING
    with pytest.raises(TransitionError):
        other.update("demo:q1", lambda c: r.take_for_sending(c, "r1", AT, "host:2"))
    sent = other.update("demo:q1", lambda c: r.record_sent(c, "r1", AT, "remote-1"))
    assert sent.replies[0].status is ReplyStatus.SENT
    stored = store.get("demo:q1")
    assert stored is not None and stored.replies[0].remote_id == "remote-1"


def test_with_open_replies_are_the_live_conversations_with_a_reply_not_settled(
    store: Store, open_store_here: OpenStore
) -> None:
    store.ingest([make_message(f"q{n}", n) for n in range(1, 6)], AT)

    def reply(key: str, reply_id: str, *steps: Any) -> None:
        queued = Reply(id=reply_id, text="Open 9-5.", staff="ana", created_at=AT)
        store.update(key, lambda c: r.queue_reply(c, queued, AT))
        for step in steps:
            store.update(key, step)

    def take(reply_id: str) -> Any:
        return lambda c: r.take_for_sending(c, reply_id, AT, "host:1")

    reply("demo:q4", "pending")
    reply(
        "demo:q1",
        "failed",
        take("failed"),
        lambda c: r.record_failure(c, "failed", AT, "refused", None),
    )
    reply("demo:q2", "sent", take("sent"), lambda c: r.record_sent(c, "sent", AT, "remote-1"))
    reply("demo:q3", "cancelled", lambda c: r.cancel_reply(c, "cancelled", "ana", AT))
    reply("demo:q3", "sending", take("sending"))
    other = open_store_here()

    for s in (store, other):
        found = s.with_open_replies()
        assert [c.key for c in found] == ["demo:q1", "demo:q3", "demo:q4"]
        assert found == [c for c in s.live() if c.open_replies]
    # Sent, the reply leaves the outbox's work for every process.
    other.update("demo:q4", lambda c: r.take_for_sending(c, "pending", AT, "host:2"))
    other.update("demo:q4", lambda c: r.record_sent(c, "pending", AT, "remote-2"))
    assert [c.key for c in store.with_open_replies()] == ["demo:q1", "demo:q3"]


# -- many writers at once ----------------------------------------------------------------


def test_threads_of_one_store_claiming_at_once_each_conversation_goes_once(
    store: Store,
) -> None:
    """The desk's worker threads share one store object."""
    import threading

    store.ingest([make_message(f"q{i}", i) for i in range(30)], AT)
    won: Counter[str] = Counter()
    errors: list[BaseException] = []

    def claimer(staff: str) -> None:
        for i in range(30):
            try:
                store.update(f"demo:q{i}", claim_by(staff))
                won[f"demo:q{i}"] += 1
            except AlreadyClaimed:
                pass
            except BaseException as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=claimer, args=(f"s{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert won == Counter({f"demo:q{i}": 1 for i in range(30)})
    assert all(c.status is Status.CLAIMED for c in store.live())


# -- whole conversations, as ``store copy`` moves them ---------------------------------


def test_whole_conversations_are_added_as_they_are_and_a_known_key_is_refused(
    history: Store, empty_twin: Store
) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    everything = sorted(history.history(), key=lambda c: c.key)

    empty_twin.add_conversations(everything)

    assert sorted(empty_twin.history(), key=lambda c: c.key) == everything
    assert {c.key for c in empty_twin.live()} == ALL  # nothing archived there yet
    assert empty_twin.get("demo:mar") == history.get("demo:M")
    assert empty_twin.ingest([make_message("apr", received_at=APRIL)], MAY).duplicates == 1
    with pytest.raises(StoreError):
        empty_twin.add_conversations([make_message_conversation(), everything[0]])
    assert len(list(empty_twin.history())) == len(everything)  # nothing of the batch


def make_message_conversation() -> Conversation:
    return t.start(make_message("brand-new"), MAY)
