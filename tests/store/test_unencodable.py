"""A record no store can encode is refused with a sentence on every backend, and
leaves the store as it was."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from storekit import T0, make_message

from askdesk.errors import StoreError
from askdesk.model import transitions as t
from askdesk.store import Store

AT = T0 + timedelta(hours=1)


def test_a_lone_surrogate_is_a_store_error_and_nothing_of_its_change_is_kept(
    store: Store,
) -> None:
    store.ingest([make_message("q1")], AT, cursor=("demo", "c1"))
    before = store.live()
    bad = replace(make_message("q2"), author="@patron\udcff")
    with pytest.raises(StoreError, match="could not encode a record for the store"):
        store.ingest([bad], AT, cursor=("demo", "c2"))
    with pytest.raises(StoreError, match="could not encode a record for the store"):
        store.update("demo:q1", lambda c: t.note(c, "ana", AT, "call back \udcff"))
    assert store.live() == before
    assert store.cursor("demo") == "c1"
