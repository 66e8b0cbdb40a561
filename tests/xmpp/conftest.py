"""A real Prosody per test, the library's account and two patrons on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.xmpp_server import PASSWORD, Patron, Prosody


@pytest.fixture
def prosody(tmp_path: Path) -> Iterator[Prosody]:
    server = Prosody(tmp_path / "prosody")
    for user in ("desk", "ada", "ben"):
        server.register(user)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def xmpp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDESK_XMPP_PASSWORD", PASSWORD)


@pytest.fixture
def patrons(prosody: Prosody) -> Iterator[list[Patron]]:
    made: list[Patron] = []
    yield made
    for patron in made:
        patron.close()
