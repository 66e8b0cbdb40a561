"""A flood at a channel's source: read a part at a time, held while the desk is full of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.health import health_fields, summary
from askdesk.desk.sync import Poller
from askdesk.model import Outcome, QuestionType, Status
from askdesk.store import TinyDBStore


def flood_file(folder: Path, count: int, **fields: str) -> None:
    lines = (
        json.dumps(
            {
                "id": f"f{i}",
                "author": "relay",
                "text": f"question {i}",
                "received_at": "2026-11-23T13:00:00Z",
                **fields,
            }
        )
        for i in range(count)
    )
    (folder / ".flood.part").write_text("".join(f"{line}\n" for line in lines))
    (folder / ".flood.part").replace(folder / "flood.jsonl")


def new_count(desk: Desk) -> int:
    return sum(1 for c in desk.live() if c.status is Status.NEW)


def test_a_flood_is_held_at_the_source_while_the_desk_has_enough_of_it(
    tmp_path: Path, clock: FixedClock
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    flood_file(folder, 40)
    desk = Desk(TinyDBStore(tmp_path / "desk.json"), "ana", clock)
    channel = DropFolderChannel("web", folder, max_per_poll=10)
    poller = Poller(desk, [channel], holder="host:1", flood_hold=15)
    news = []
    for _ in range(4):
        (result,) = poller.poll_all()
        news.append(new_count(desk))
        clock.advance(seconds=11)
    assert news == [10, 20, 20, 20], "held once 15 or more are new on the desk"
    assert result.skipped is not None and "flood: 20 waiting" in result.skipped
    health = poller.health["web"]
    assert "flood: 20 waiting" in summary(health, clock.now())
    assert health_fields(health, clock.now())["last error"].startswith("flood: 20 waiting")
    for conversation in desk.live()[:10]:
        desk.claim(conversation.key)
        desk.resolve(conversation.key, Outcome.DECLINED, QuestionType.OTHER, 1)
    (result,) = poller.poll_all()
    assert (result.added, result.waiting) == (10, 10)
    # A new process (a cron fetch) knows of the flood from the store, and holds too.
    stored = TinyDBStore(tmp_path / "desk.json").channel_records()["web"]["health"]
    assert stored["waiting"] == 10
    cron = Poller(
        Desk(TinyDBStore(tmp_path / "desk.json"), "cron", clock),
        [DropFolderChannel("web", folder, max_per_poll=10)],
        holder="host:2",
        flood_hold=15,
    )
    poller.release()
    (held,) = cron.poll_all()
    assert held.skipped is not None and "flood: 10 waiting" in held.skipped
    assert cron.health["web"].last_ok == poller.health["web"].last_ok, "kept, not forgotten"
    assert new_count(desk) == 20


def test_a_flood_into_one_conversation_is_held_as_well(tmp_path: Path, clock: FixedClock) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    flood_file(folder, 40, conversation="one-thread")
    desk = Desk(TinyDBStore(tmp_path / "desk.json"), "ana", clock)
    poller = Poller(
        desk, [DropFolderChannel("web", folder, max_per_poll=10)], holder="host:1", flood_hold=15
    )
    for _ in range(4):
        poller.poll_all()
        clock.advance(seconds=11)
    (conversation,) = desk.live()
    assert len(conversation.messages) == 20
    assert poller.health["web"].waiting == 20


def test_a_crashing_fetch_releases_its_lease_and_the_next_one_polls(tmp_path: Path) -> None:
    """Real processes: ``askdesk fetch`` twice over a folder holding a name that is not UTF-8."""
    folder = tmp_path / "drop"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"bad\xff.jsonl"), "wb") as handle:
        handle.write(b'{"id": "x", "author": "a", "text": "t", "received_at": "2026-11-23"}\n')
    flood_file(folder, 1)
    config = tmp_path / "config.toml"
    config.write_text(f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n')
    args = ["--config", str(config), "--store", str(tmp_path / "desk.json")]
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}

    def askdesk(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "askdesk", *command, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    first = askdesk("fetch")
    assert first.returncode == 0, first.stderr
    assert "web: 1 new" in first.stdout
    assert "skipped bad\\xff.jsonl: the file name is not UTF-8" in first.stdout
    second = askdesk("fetch")
    assert second.returncode == 0, second.stderr
    assert "polled by" not in second.stdout, "the first fetch let go of its lease"
    claimed = askdesk("claim", "web:f0")
    assert claimed.returncode == 0, claimed.stderr
