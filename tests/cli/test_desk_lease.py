"""A desk that crashes lets go of its channels at once, as one that quits does."""

from __future__ import annotations

from pathlib import Path

import pytest

from askdesk.cli import EXIT_BUG, main
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp


def test_a_desk_that_crashes_releases_its_leases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n')
    store = tmp_path / "desk.json"
    held: list[object] = []

    def poll_then_crash(app: AskdeskApp) -> None:
        assert app.poller is not None
        app.poller.poll_all()  # the desk now holds the channel's lease
        held.append(TinyDBStore(store).channel_records()["web"]["lease"])
        raise RuntimeError("a bug in the desk")

    monkeypatch.setattr(AskdeskApp, "run", poll_then_crash)
    assert main(["--config", str(config), "--store", str(store)]) == EXIT_BUG
    assert held and held[0] is not None
    assert TinyDBStore(store).channel_records()["web"]["lease"] is None
