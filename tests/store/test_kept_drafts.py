"""Drafts: staff's unsent replies, kept per conversation and staff member until sent."""

from __future__ import annotations

from datetime import UTC, datetime

from storekit import OpenStore

from askdesk.model import Kind, Message
from askdesk.store import Store

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def seed(store: Store) -> None:
    message = Message(
        channel="web",
        remote_id="1",
        kind=Kind.DIRECT,
        author="@patron",
        text="Open on Monday?",
        received_at=T0,
    )
    store.ingest([message], T0)


def test_a_draft_is_kept_replaced_and_discarded_per_staff_member(store: Store) -> None:
    seed(store)
    store.save_draft("web:1", "ana", "We open at 9")
    store.save_draft("web:1", "bo", "Yes!")
    store.save_draft("web:1", "ana", "We open at 9 on Monday.")
    assert store.drafts("ana") == {("web:1", "ana"): "We open at 9 on Monday."}
    assert store.drafts() == {
        ("web:1", "ana"): "We open at 9 on Monday.",
        ("web:1", "bo"): "Yes!",
    }
    store.save_draft("web:1", "ana", None)
    store.save_draft("web:1", "bo", "  \n")  # nothing worth keeping: discarded
    assert store.drafts() == {}
    store.save_draft("web:1", "ana", None)  # discarding what is not there is no error


def test_a_draft_is_not_a_change_to_the_conversation(store: Store) -> None:
    seed(store)
    before = store.get("web:1")
    store.save_draft("web:1", "ana", "We open at 9")
    assert store.get("web:1") == before  # no event, same version


def test_drafts_survive_a_restart_and_are_seen_by_other_processes(
    store: Store, open_store_here: OpenStore
) -> None:
    seed(store)
    store.save_draft("web:1", "ana", "We open at 9")
    other = open_store_here()
    assert other.drafts("ana") == {("web:1", "ana"): "We open at 9"}
    other.save_draft("web:1", "ana", None)
    assert store.drafts("ana") == {}
