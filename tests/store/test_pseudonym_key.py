"""The store's pseudonym key: made once however many processes start at once, kept as made."""

from __future__ import annotations

import threading

import pytest
from storekit import T0, OpenStore

from askdesk.desk.pseudonyms import BOOKMARK, pseudonym_key
from askdesk.errors import StoreError


def test_processes_starting_together_on_a_new_store_share_one_key(
    open_store_here: OpenStore,
) -> None:
    stores = [open_store_here() for _ in range(4)]
    found: list[bytes] = []
    start = threading.Barrier(len(stores))

    def take(n: int) -> None:
        start.wait()
        found.append(pseudonym_key(stores[n], f"host:{n}", T0))

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(found) == 4 and len(set(found)) == 1 and len(found[0]) == 32
    assert open_store_here().cursor(BOOKMARK) == found[0].hex()


def test_a_damaged_key_is_never_replaced_by_a_new_one(open_store_here: OpenStore) -> None:
    store = open_store_here()
    store.save_cursor(BOOKMARK, "not hex")
    with pytest.raises(StoreError, match=r"pseudonym key .* is damaged \(7 characters\)"):
        pseudonym_key(store, "host:1", T0)
    assert store.cursor(BOOKMARK) == "not hex"
