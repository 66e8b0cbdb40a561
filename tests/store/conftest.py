"""Fixtures for the store tests: a TinyDB store in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from askdesk.store import TinyDBStore


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "desk.json"


@pytest.fixture
def store(path: Path) -> Iterator[TinyDBStore]:
    s = TinyDBStore(path)
    yield s
    s.close()
