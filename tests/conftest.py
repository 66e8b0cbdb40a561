"""Every test runs with its own config, data and log folders and a frozen clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Kind, Message
from askdesk.store import TinyDBStore

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in ("ASKDESK_CONFIG", "ASKDESK_STORE", "ASKDESK_AS"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "desk.json"


@pytest.fixture
def store(store_path: Path) -> TinyDBStore:
    return TinyDBStore(store_path)


@pytest.fixture
def desk(store: TinyDBStore, clock: FixedClock) -> Desk:
    return Desk(store, "ana", clock)


MessageFactory = Callable[..., Message]


@pytest.fixture
def make_message() -> MessageFactory:
    """``make_message("7", text=…, minutes_ago=…)``: a message on the ``web`` channel."""

    def make(
        remote_id: str,
        text: str = "Are you open on Monday?",
        *,
        author: str = "@patron",
        minutes_ago: float = 5,
        kind: Kind = Kind.MENTION,
        conversation: str | None = None,
        channel: str = "web",
    ) -> Message:
        return Message(
            channel=channel,
            remote_id=remote_id,
            kind=kind,
            author=author,
            text=text,
            received_at=NOW - timedelta(minutes=minutes_ago),
            conversation=conversation,
        )

    return make
