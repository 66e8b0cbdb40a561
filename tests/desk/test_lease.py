"""One poller per channel per store: a lease, renewed while alive, taken over when not."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from askdesk.channels import Fetched
from askdesk.cli import main
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.sync import LEASE_TTL, Poller
from askdesk.store import TinyDBStore
from tests.conftest import NOW


class Counting:
    """A channel that counts how often it is fetched."""

    type = "counting"
    poll_seconds = 1.0

    def __init__(self, name: str = "web") -> None:
        self.name = name
        self.fetches = 0

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        self.fetches += 1
        return Fetched([], cursor=str(self.fetches))


def poller_on(store_path: Path, clock: FixedClock, holder: str) -> tuple[Poller, Counting]:
    channel = Counting()
    desk = Desk(TinyDBStore(store_path), holder, clock)
    return Poller(desk, [channel], holder=holder), channel


def test_only_the_lease_holder_polls(store_path: Path, clock: FixedClock) -> None:
    first, first_channel = poller_on(store_path, clock, "host:1")
    second, second_channel = poller_on(store_path, clock, "host:2")
    for _ in range(5):
        first.poll_all()
        second.poll_all()
        clock.advance(seconds=2)
    assert (first_channel.fetches, second_channel.fetches) == (5, 0)
    (result,) = second.poll_all()
    assert result.skipped == "polled by host:1"
    assert second.health["web"].polled_by == "host:1"
    assert second.health["web"].last_ok is not None  # the holder's health, read from the store


def test_a_released_lease_is_taken_at_once(store_path: Path, clock: FixedClock) -> None:
    first, _ = poller_on(store_path, clock, "host:1")
    second, second_channel = poller_on(store_path, clock, "host:2")
    first.poll_all()
    first.release()
    second.poll_all()
    assert second_channel.fetches == 1


def test_lease_renewal_writes_only_at_half_life(store_path: Path, clock: FixedClock) -> None:
    store = TinyDBStore(store_path)
    store.acquire_lease("web", "host:1", NOW, LEASE_TTL)
    version = store.version()
    store.acquire_lease("web", "host:1", NOW + timedelta(seconds=5), LEASE_TTL)
    assert store.version() == version
    store.acquire_lease("web", "host:1", NOW + LEASE_TTL / 2, LEASE_TTL)
    assert store.version() != version


DIES_HOLDING_THE_LEASE = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    from askdesk.store import TinyDBStore
    from askdesk.desk.sync import LEASE_TTL

    store = TinyDBStore(sys.argv[1])
    assert store.acquire_lease("web", "other-host:4242", datetime.fromisoformat(sys.argv[2]),
                               LEASE_TTL) == "other-host:4242"
    os._exit(9)  # killed while polling: the lease is never released
    """
)


def test_a_dead_pollers_channel_is_taken_over_within_a_minute(
    store_path: Path, clock: FixedClock, tmp_path: Path
) -> None:
    script = tmp_path / "dies.py"
    script.write_text(DIES_HOLDING_THE_LEASE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(store_path), NOW.isoformat()],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 9, done.stderr
    survivor, channel = poller_on(store_path, clock, "this-host:1")
    assert survivor.poll_all()[0].skipped == "polled by other-host:4242"
    clock.advance(seconds=30)
    assert survivor.poll_all()[0].skipped is not None
    clock.advance(seconds=16)  # 46 s after the last renewal: the lease has run out
    (result,) = survivor.poll_all()
    assert result.skipped is None and channel.fetches == 1
    assert timedelta(minutes=1) > LEASE_TTL


def test_channels_command_shows_stored_health_and_poller(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.jsonl").write_text("not json\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n')
    store = tmp_path / "desk.json"
    args = ["--store", str(store), "--config", str(config)]
    assert main(["fetch", *args]) == 0
    capsys.readouterr()
    assert main(["channels", "--format", "json", *args]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["name"] == "web" and record["type"] == "drop"
    assert record["last_ok"] is not None
    assert "a.jsonl:1" in record["last_error"]
    assert record["polled_by"] is None  # fetch released its lease when it finished
    assert main(["channels", *args]) == 0
    out = capsys.readouterr().out
    assert "LAST GOOD POLL" in out and "a.jsonl:1" in out
