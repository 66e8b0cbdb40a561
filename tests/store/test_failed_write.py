"""A write that fails (a record that cannot be encoded) leaves the store as it was and usable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from askdesk.errors import StoreError
from askdesk.store import TinyDBStore
from tests.conftest import NOW, MessageFactory


def test_a_record_that_cannot_be_encoded_fails_only_its_own_write(
    store_path: Path, make_message: MessageFactory
) -> None:
    store = TinyDBStore(store_path)
    store.ingest([make_message("1")], NOW)
    # What an old drop folder did with a file named b"bad\xff.jsonl": a lone surrogate.
    with pytest.raises(StoreError, match="could not encode"):
        store.ingest([make_message("2")], NOW, cursor=("web", '{"read": ["bad\udcff.jsonl"]}'))
    store.save_health("web", {"last_error": None})
    store.acquire_lease("web", "host:1", NOW, timedelta(seconds=45))
    store.release_lease("web", "host:1")
    assert store.update("web:1", lambda c: c).key == "web:1"
    reopened = TinyDBStore(store_path)
    assert [c.key for c in reopened.live()] == ["web:1"], "the failed batch left nothing behind"
    assert reopened.cursor("web") is None
    assert reopened.channel_records()["web"]["health"] == {"last_error": None}
