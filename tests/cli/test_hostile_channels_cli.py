"""What hostile Facebook, SMS and Bluesky patrons sent, through the command line and the log.

The messages are fetched by the adapters' real HTTP clients from the loopback stand-ins
(``tests/channels/hostile_payloads.py``) into a store; ``list``, ``show``,
``export``, ``handover`` and ``channels`` print them inert, JSON keeps them exact, and the
log file holds no control character and no line the patron wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from askdesk.cli import main
from askdesk.cli_log import log_file, log_folder
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from askdesk.store import TinyDBStore
from tests.channels import bluesky_service
from tests.channels.hostile_payloads import NAME, channels, hostile_services
from tests.channels.standin import StandIn
from tests.cli.test_hostile_cli import CLICK, FORBIDDEN, VALUE


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StandIn, bluesky_service.StandIn]]:
    with hostile_services(monkeypatch) as running:
        yield running


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_list_show_export_and_handover_print_hostile_channel_strings_inert(
    services: tuple[StandIn, bluesky_service.StandIn],
    tmp_path: Path,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "desk.json"
    desk = Desk(TinyDBStore(store), "ana", clock)
    poller = Poller(desk, channels(*services))
    for channel in poller.channels:
        assert poller.poll(channel).error is None
    keys = [c.key for c in desk.live()]
    assert {key.partition(":")[0] for key in keys} == {"fb", "text", "bsky"}
    desk.claim(keys[0])

    def human(*args: str) -> str:
        code = main([*args, "--store", str(store), "--as", "ana"])
        out, err = capsys.readouterr()
        assert code == 0, err
        for stream, text in (("stdout", out), ("stderr", err)):
            found = [name for char, name in FORBIDDEN.items() if char in text]
            assert not found, f"{', '.join(found)} reached {stream} from askdesk {args[0]}"
        return out

    listed = human("list")
    assert "[red]fine waived?[/" in listed  # literally, not red
    shown = "".join(human("show", key) for key in keys)
    assert CLICK in shown and shown.count("N" * 60) > 100  # the Messenger name, whole
    human("handover", "--keep")
    # CSV is data with CRLF line ends (RFC 4180) and holds no patron's words at all.
    assert main(["export", "--since", "2000-01-01", "--store", str(store), "--as", "ana"]) == 0
    exported = capsys.readouterr().out
    assert "\x1b" not in exported and "free fines" not in exported and "N" * 60 not in exported
    exact = []
    for key in keys:
        assert main(["show", key, "--format", "json", "--store", str(store), "--as", "ana"]) == 0
        exact.append(json.loads(capsys.readouterr().out))
    found = set(strings(exact))
    assert NAME in found and VALUE in found  # JSON keeps them exact (escaped in the file)

    # A reply that cannot go (no channel is configured for this run) is logged by its key.
    assert main(["reply", keys[1], "--text", "Yes.", "--store", str(store), "--as", "ana"]) == 1
    capsys.readouterr()
    logged = log_file(log_folder(), datetime.now().astimezone().date()).read_text("utf-8")
    assert keys[1] in logged
    assert not [name for char, name in FORBIDDEN.items() if char in logged]
    assert "free fines" not in logged and "N" * 60 not in logged
