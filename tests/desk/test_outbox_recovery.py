"""Sends cut short by a crash: looked up before any retry, settled by one process of many.

Every test here runs askdesk in real processes on one store, with the drop
folder's real outbox file as the platform: a line in that file is a reply
the patron got.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from askdesk.channels.drop import DropFolderChannel
from askdesk.cli import main
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.outbox import FOUND, SENT_ELSEWHERE, Outbox
from askdesk.model import ReplyStatus
from askdesk.store import TinyDBStore
from tests.conftest import NOW, MessageFactory

SEND_THEN_DIE = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    from askdesk.channels.drop import DropFolderChannel
    from askdesk.clock import FixedClock
    from askdesk.desk import Desk
    from askdesk.desk.outbox import Outbox
    from askdesk.store import TinyDBStore

    store_path, folder, now = sys.argv[1:4]
    desk = Desk(TinyDBStore(store_path), "ana", FixedClock(datetime.fromisoformat(now)))
    channel = DropFolderChannel("web", folder)
    real_send = channel.send

    def send_then_die(conversation, reply, now):
        real_send(conversation, reply, now)
        os._exit(9)  # killed after the patron got it, before "sent" is recorded

    channel.send = send_then_die
    Outbox(desk, {"web": channel}).run_due()
    """
)

DESK_SENDS = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from askdesk.channels.drop import DropFolderChannel
    from askdesk.clock import FixedClock
    from askdesk.desk import Desk
    from askdesk.desk.outbox import Outbox
    from askdesk.model import replying
    from askdesk.desk.sync import worker_id
    from askdesk.store import TinyDBStore

    store_path, folder, now, key, reply_id, pause = sys.argv[1:7]
    clock = FixedClock(datetime.fromisoformat(now))
    desk = Desk(TinyDBStore(store_path), "ana", clock)
    outbox = Outbox(desk, {"web": DropFolderChannel("web", folder)})
    if float(pause) == 0:
        print(outbox.run_due(), flush=True)
        sys.exit(0)
    # The desk's worker takes the reply, and the platform is slow to answer.
    taking = lambda c: replying.take_for_sending(c, reply_id, clock.now(), worker_id())
    desk.store.update(key, taking)
    print("taken", flush=True)
    time.sleep(float(pause))
    conversation = desk.get(key)
    reply = conversation.reply(reply_id)
    receipt = outbox.senders["web"].send(conversation, reply, clock.now())
    recording = lambda c: replying.record_sent(c, reply_id, clock.now(), receipt.remote_id)
    desk.store.update(key, recording)
    print("sent", flush=True)
    """
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "drop"
    path.mkdir()
    return path


@pytest.fixture
def config(tmp_path: Path, folder: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n')
    return path


def sent_lines(folder: Path) -> list[str]:
    """The reply ids in the drop folder's outbox file: what the patron got, in order."""
    outbox = folder / "sent" / "replies.jsonl"
    if not outbox.exists():
        return []
    return [json.loads(line)["reply_id"] for line in outbox.read_text().splitlines()]


def crash_mid_send(tmp_path: Path, store_path: Path, folder: Path) -> None:
    script = tmp_path / "send_then_die.py"
    script.write_text(SEND_THEN_DIE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(store_path), str(folder), NOW.isoformat()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr


def on_the_store(store_path: Path, config: Path) -> list[str]:
    return ["--store", str(store_path), "--config", str(config), "--as", "ana"]


def askdesk_process(*args: str, store_path: Path, config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "askdesk", *args, *on_the_store(store_path, config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(store_path.parent / "state")},
    )


def test_retry_of_a_send_cut_short_looks_it_up_and_never_sends_it_again(
    desk: Desk,
    make_message: MessageFactory,
    store_path: Path,
    folder: Path,
    config: Path,
    tmp_path: Path,
) -> None:
    desk.ingest([make_message("1")])
    _, reply = Outbox(desk, {}).queue("web:1", "We open at 9.", private=False)
    crash_mid_send(tmp_path, store_path, folder)
    assert sent_lines(folder) == [reply.id]
    # Minutes later by the real clock: the send is stale, and staff ask to send it again.
    retry = askdesk_process("outbox", "--retry", reply.id[:8], store_path=store_path, config=config)
    out, err = retry.communicate(timeout=60)
    assert retry.returncode == 0, err
    assert FOUND in out
    assert sent_lines(folder) == [reply.id], "the patron got it once"
    stored = TinyDBStore(store_path).get("web:1")
    assert stored is not None and stored.reply(reply.id).status is ReplyStatus.SENT  # type: ignore[union-attr]
    assert [e.action for e in stored.events].count("reply") == 1


def test_the_desks_y_on_an_uncertain_reply_looks_it_up_first(
    desk: Desk,
    clock: FixedClock,
    make_message: MessageFactory,
    store_path: Path,
    folder: Path,
    tmp_path: Path,
) -> None:
    desk.ingest([make_message("1")])
    _, reply = Outbox(desk, {}).queue("web:1", "We open at 9.")
    crash_mid_send(tmp_path, store_path, folder)
    clock.advance(minutes=3)
    # A desk whose channel could not be read at the time marked it uncertain.
    unreadable = DropFolderChannel("web", folder, outbox=folder / "sent")  # a folder: unreadable
    (uncertain,) = Outbox(desk, {"web": unreadable}).recover()
    assert uncertain.status is ReplyStatus.UNCERTAIN
    retried = Outbox(desk, {"web": DropFolderChannel("web", folder)}).retry("web:1", reply.id)
    assert (retried.status, retried.detail) == (ReplyStatus.SENT, FOUND)
    assert sent_lines(folder) == [reply.id]


def test_several_processes_recovering_at_once_settle_a_send_once_without_errors(
    desk: Desk,
    make_message: MessageFactory,
    store_path: Path,
    folder: Path,
    config: Path,
    tmp_path: Path,
) -> None:
    desk.ingest([make_message("1")])
    (folder / "sent").mkdir()
    # A long outbox file makes each lookup take a moment, so the processes overlap.
    padding = json.dumps({"reply_id": "x" * 32, "text": "an earlier answer " * 20}) + "\n"
    (folder / "sent" / "replies.jsonl").write_text(padding * 150_000)
    _, reply = Outbox(desk, {}).queue("web:1", "We open at 9.")
    crash_mid_send(tmp_path, store_path, folder)
    processes = [
        askdesk_process("outbox", "--send", store_path=store_path, config=config) for _ in range(4)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err for _, _, err in results]
    assert sum("found on the platform" in out for _, out, _ in results) == 1
    assert [r for r in sent_lines(folder) if r == reply.id] == [reply.id]
    stored = TinyDBStore(store_path).get("web:1")
    assert stored is not None and stored.reply(reply.id).status is ReplyStatus.SENT  # type: ignore[union-attr]
    assert [e.action for e in stored.events].count("reply") == 1


@pytest.mark.parametrize("pause", [0.0, 1.5], ids=["already-sent", "being-sent"])
def test_reply_whose_reply_a_desk_sent_first_reports_success(
    pause: float,
    desk: Desk,
    make_message: MessageFactory,
    store_path: Path,
    folder: Path,
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The desk's outbox worker (a real process) takes the reply between queue and send."""
    desk.ingest([make_message("1")])
    script = tmp_path / "desk_sends.py"
    script.write_text(DESK_SENDS, encoding="utf-8")
    real_queue = Outbox.queue
    desks: list[subprocess.Popen[str]] = []

    def queue_then_the_desk_gets_there_first(self: Outbox, key: str, text: str, **kw: object):  # type: ignore[no-untyped-def]
        conversation, reply = real_queue(self, key, text, **kw)  # type: ignore[arg-type]
        steps = [conversation.key, reply.id, str(pause)]
        the_desk = subprocess.Popen(
            [sys.executable, str(script), str(store_path), str(folder), NOW.isoformat(), *steps],
            stdout=subprocess.PIPE,
            text=True,
        )
        desks.append(the_desk)
        assert the_desk.stdout is not None
        first = the_desk.stdout.readline()  # sent it (pause 0), or took it and is sending
        assert first.strip(), "the desk process said nothing"
        return conversation, reply

    monkeypatch.setattr(Outbox, "queue", queue_then_the_desk_gets_there_first)
    started = time.monotonic()
    code = main(["reply", "web:1", "--text", "We open at 9.", *on_the_store(store_path, config)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert SENT_ELSEWHERE in out
    assert err == ""
    (the_desk,) = desks
    assert the_desk.wait(timeout=60) == 0
    assert time.monotonic() - started < 30
    assert len(sent_lines(folder)) == 1
