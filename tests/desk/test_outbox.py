"""The outbox: stored before sending, sent once, never lost, never doubled."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from askdesk.channels.base import Receipt
from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.errors import AlreadyClaimed, ChannelError, Collision, RateLimited
from askdesk.model import Conversation, Reply, ReplyStatus, Status
from askdesk.store import TinyDBStore
from tests.conftest import NOW, MessageFactory


class Flaky:
    """A channel that fails as scripted, then succeeds; it counts what really went out."""

    name = "web"
    can_send_private = True

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.delivered: list[str] = []

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(reply.id)
        return Receipt(remote_id=f"tweet-{len(self.delivered)}")


@pytest.fixture
def seeded(desk: Desk, make_message: MessageFactory) -> Desk:
    desk.ingest([make_message("1"), make_message("2", author="@other")])
    return desk


def test_reply_is_pending_before_any_send_and_claims(seeded: Desk) -> None:
    outbox = Outbox(seeded, {"web": Flaky([])})
    _, reply = outbox.queue("web:1", "We open at 9.", templates=["Hours"])
    stored = seeded.get("web:1")
    assert stored is not None and stored.reply(reply.id) is not None
    assert stored.reply(reply.id).status is ReplyStatus.PENDING  # type: ignore[union-attr]
    assert (stored.status, stored.holder) == (Status.CLAIMED, "ana")


def test_timeout_then_5xx_then_success_sends_exactly_once(seeded: Desk, clock: FixedClock) -> None:
    channel = Flaky([ChannelError("timed out after 10 s"), ChannelError("503 Service Unavailable")])
    outbox = Outbox(seeded, {"web": channel}, backoff=(15, 30, 60))
    _, reply = outbox.queue("web:1", "We open at 9.")
    first = outbox.run_due()
    assert [x.status for x in first] == [ReplyStatus.PENDING]
    assert "timed out" in first[0].detail
    assert outbox.run_due() == []  # not due before the backoff
    clock.advance(seconds=16)
    assert [x.status for x in outbox.run_due()] == [ReplyStatus.PENDING]
    clock.advance(seconds=31)
    assert [x.status for x in outbox.run_due()] == [ReplyStatus.SENT]
    clock.advance(seconds=600)
    assert outbox.run_due() == []
    assert channel.delivered == [reply.id]
    stored = seeded.get("web:1")
    assert stored is not None
    sent = stored.reply(reply.id)
    assert sent is not None and sent.remote_id == "tweet-1" and sent.attempts == 3
    assert [e.action for e in stored.events].count("reply") == 1


def test_rate_limit_waits_for_the_reset(seeded: Desk, clock: FixedClock) -> None:
    reset = NOW + timedelta(minutes=15)
    channel = Flaky([RateLimited("rate limited until 14:15", reset)])
    outbox = Outbox(seeded, {"web": channel})
    outbox.queue("web:1", "hello")
    outbox.run_due()
    clock.advance(minutes=14)
    assert outbox.run_due() == []
    clock.advance(minutes=2)
    assert [x.status for x in outbox.run_due()] == [ReplyStatus.SENT]


def test_gives_up_after_the_backoff_and_waits_for_staff(seeded: Desk, clock: FixedClock) -> None:
    channel = Flaky([ChannelError("503")] * 3)
    outbox = Outbox(seeded, {"web": channel}, backoff=(1,))
    _, reply = outbox.queue("web:1", "hello")
    outbox.run_due()
    clock.advance(seconds=2)
    (result,) = outbox.run_due()
    assert result.status is ReplyStatus.FAILED
    clock.advance(hours=5)
    assert outbox.run_due() == []
    outbox.edit("web:1", reply.id, "hello again")
    channel.failures.clear()
    assert [x.status for x in outbox.run_due()] == [ReplyStatus.SENT]
    assert channel.delivered == [reply.id]


def test_cancel_stops_a_pending_reply(seeded: Desk) -> None:
    channel = Flaky([])
    outbox = Outbox(seeded, {"web": channel})
    _, reply = outbox.queue("web:1", "hello")
    outbox.cancel("web:1", reply.id)
    assert outbox.run_due() == []
    assert channel.delivered == []


def test_collision_stops_the_send_and_says_what_changed(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, make_message: MessageFactory
) -> None:
    outbox = Outbox(seeded, {"web": Flaky([])})
    opened_at = seeded.get("web:1")
    assert opened_at is not None
    bo = Desk(TinyDBStore(store.path), "bo", clock)
    bo.note("web:1", "I know this patron")
    seeded.ingest([make_message("1b", conversation="1", text="also, fines?")])
    with pytest.raises(Collision) as error:
        outbox.queue("web:1", "hello", expected_version=opened_at.version)
    assert error.value.changes == ["bo added a note", "the patron wrote again"]
    outbox.queue("web:1", "hello", expected_version=None)  # sent deliberately


def test_reply_to_a_colleagues_conversation_is_refused(
    seeded: Desk, store: TinyDBStore, clock: FixedClock
) -> None:
    Desk(TinyDBStore(store.path), "bo", clock).claim("web:2")
    with pytest.raises(AlreadyClaimed, match="claimed by bo"):
        Outbox(seeded, {"web": Flaky([])}).queue("web:2", "hello")


def test_two_outboxes_never_send_the_same_reply(
    seeded: Desk, store: TinyDBStore, clock: FixedClock
) -> None:
    channel = Flaky([])
    mine = Outbox(seeded, {"web": channel})
    theirs = Outbox(Desk(TinyDBStore(store.path), "bo", clock), {"web": channel})
    mine.queue("web:1", "hello")
    results = mine.run_due() + theirs.run_due() + mine.run_due()
    assert [x.status for x in results] == [ReplyStatus.SENT]
    assert len(channel.delivered) == 1


CRASHING_SENDER = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime, UTC
    from askdesk.channels.drop import DropFolderChannel
    from askdesk.channels.demo import DemoChannel
    from askdesk.clock import FixedClock
    from askdesk.desk import Desk
    from askdesk.desk.outbox import Outbox
    from askdesk.store import TinyDBStore

    store_path, folder, kind = sys.argv[1:4]
    desk = Desk(TinyDBStore(store_path), "ana", FixedClock(datetime.fromisoformat(sys.argv[4])))
    channel = DropFolderChannel("web", folder) if kind == "drop" else DemoChannel("web")
    real_send = channel.send

    def send_then_die(conversation, reply, now):
        receipt = real_send(conversation, reply, now)
        os._exit(9)  # killed after the platform took it, before "sent" is recorded

    channel.send = send_then_die
    outbox = Outbox(desk, {"web": channel})
    outbox.run_due()
    """
)


@pytest.mark.parametrize("kind", ["drop", "demo"])
def test_a_send_killed_midway_is_never_sent_twice(
    kind: str, seeded: Desk, store: TinyDBStore, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    _, reply = Outbox(seeded, {}).queue("web:1", "We open at 9.")
    script = tmp_path / "crash.py"
    script.write_text(CRASHING_SENDER, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(store.path), str(folder), kind, NOW.isoformat()],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 9, done.stderr
    stored = seeded.get("web:1")
    assert stored is not None and stored.reply(reply.id).status is ReplyStatus.SENDING  # type: ignore[union-attr]

    # The restarted desk: a new process, the same store, two minutes later.
    clock.advance(minutes=3)
    if kind == "drop":
        channel: object = DropFolderChannel("web", folder)
    else:
        from askdesk.channels.demo import DemoChannel

        channel = DemoChannel("web")
    restarted = Outbox(Desk(TinyDBStore(store.path), "ana", clock), {"web": channel})
    results = restarted.run_due() + restarted.run_due()
    stored = seeded.get("web:1")
    assert stored is not None
    settled = stored.reply(reply.id)
    assert settled is not None
    if kind == "drop":
        # The drop channel can look: the reply is in its outbox file once, and recorded as sent.
        lines = (folder / "sent" / "replies.jsonl").read_text().splitlines()
        assert [json.loads(line)["reply_id"] for line in lines] == [reply.id]
        assert settled.status is ReplyStatus.SENT
        assert [x.status for x in results] == [ReplyStatus.SENT]
    else:
        # The demo cannot tell: staff are asked, and nothing is sent again by itself.
        assert settled.status is ReplyStatus.UNCERTAIN
        assert "check and decide" in (settled.last_error or "")
        assert [x.status for x in results] == [ReplyStatus.UNCERTAIN]
