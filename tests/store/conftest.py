"""Fixtures for the store tests: every contract test runs on each backend.

``open_store()`` opens another store on the same data, as another askdesk
process (or another machine) would; ``store`` is the first one opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pg_server
import psycopg
import pytest
from storekit import OpenStore

from askdesk.store import Store, TinyDBStore, is_url, open_store

BACKENDS = ["tinydb", "postgres"]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "desk.json"


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, path: Path) -> str:
    """Where the store under test lives: a TinyDB file, or a fresh PostgreSQL database."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return str(path)


@pytest.fixture
def open_store_here(location: str) -> Iterator[OpenStore]:
    opened: list[Store] = []

    def opener() -> Store:
        store = open_store(location)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store_here: OpenStore) -> Store:
    return open_store_here()


@pytest.fixture
def empty_twin(request: pytest.FixtureRequest, location: str, tmp_path: Path) -> Iterator[Store]:
    """A second, empty store of the same backend (a new file, a new database)."""
    if not is_url(location):
        twin = open_store(tmp_path / "twin" / "desk.json")
        yield twin
        twin.close()
        return
    server: pg_server.Server = request.getfixturevalue("postgres")
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE askdesk_twin TEMPLATE askdesk_template")
    twin = open_store(server.url("askdesk_twin"))
    yield twin
    twin.close()
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE askdesk_twin WITH (FORCE)")


@pytest.fixture
def tinydb(path: Path) -> Iterator[TinyDBStore]:
    """A TinyDB store, for the tests about its files."""
    s = TinyDBStore(path)
    yield s
    s.close()
