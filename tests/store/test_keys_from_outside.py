"""Keys come from outside (a platform's id, a patron's address): whatever a TinyDB store
keeps, every backend keeps, and one odd key never holds up the rest of its batch."""

from __future__ import annotations

import secrets
from datetime import timedelta

from storekit import T0, make_message

from askdesk.model import transitions as t
from askdesk.store import Store

AT = T0 + timedelta(hours=1)
LONG = secrets.token_hex(5000)
"""10 KB that no compression shrinks: more than a btree index entry can hold."""


def test_a_nul_or_a_10_kb_key_is_kept_as_it_came_with_the_rest_of_its_batch(
    store: Store,
) -> None:
    batch = [
        make_message("before"),
        make_message("web\x00form"),
        make_message(LONG),
        make_message("chat", conversation="patron\x00" + LONG),
        make_message("after"),
    ]
    keys = [
        "demo:before",
        "demo:web\x00form",
        f"demo:{LONG}",
        f"demo:patron\x00{LONG}",
        "demo:after",
    ]
    assert store.ingest(batch, AT).added == keys
    assert [c.key for c in store.live()] == keys
    assert [c.messages for c in store.live()] == [(m,) for m in batch]

    # Found by either key, changed, and the next poll's copy is a duplicate.
    assert store.update("demo:web\x00form", lambda c: t.claim(c, "ana", AT)).holder == "ana"
    conversation = store.get("demo:chat")
    assert conversation is not None and conversation.key == f"demo:patron\x00{LONG}"
    again = store.ingest([*batch, make_message("chat 2", 1, conversation="patron\x00" + LONG)], AT)
    assert (again.added, again.joined, again.duplicates) == ([], [keys[3]], 5)
    assert store.get(f"demo:{LONG}") == store.live()[2]

    store.save_draft(keys[3], "ana", "Dear patron,")
    assert store.drafts("ana") == {(keys[3], "ana"): "Dear patron,"}
    store.save_draft(keys[3], "ana", None)
    assert store.drafts("ana") == {}
