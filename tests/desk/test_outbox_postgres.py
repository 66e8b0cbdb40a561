"""The outbox on a PostgreSQL store that two desks (two machines) share: one sender per reply."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from askdesk.channels.base import Receipt
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.model import Conversation, Reply, ReplyStatus
from askdesk.store.postgres_store import PostgresStore
from tests.conftest import MessageFactory


class Platform:
    """A channel whose sends take a moment; it records every reply that really went out."""

    name = "web"
    can_send_private = True

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self._lock = threading.Lock()

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        time.sleep(0.05)  # both desks are at work at once
        with self._lock:
            self.delivered.append(reply.id)
            return Receipt(remote_id=f"post-{len(self.delivered)}")


@pytest.fixture
def two_desks(postgres_url: str, clock: FixedClock) -> Iterator[tuple[Desk, Desk]]:
    stores = [PostgresStore(postgres_url), PostgresStore(postgres_url)]
    yield Desk(stores[0], "ana", clock), Desk(stores[1], "bo", clock)
    for store in stores:
        store.close()


def test_two_desks_sending_at_once_send_each_reply_once(
    two_desks: tuple[Desk, Desk], make_message: MessageFactory
) -> None:
    ana, bo = two_desks
    platform = Platform()
    ana.ingest([make_message(str(n)) for n in range(6)])
    bo.live()  # bo's desk is open, with its copy, before the replies are queued
    queued = [Outbox(ana, {}).queue(f"web:{n}", f"Answer {n}")[1].id for n in range(6)]

    errors: list[Exception] = []

    def run_due(outbox: Outbox) -> None:
        try:
            outbox.run_due()
        except Exception as error:  # the test's thread must report it, not swallow it
            errors.append(error)

    outboxes = [Outbox(desk, {"web": platform}) for desk in (ana, bo)]
    workers = [threading.Thread(target=run_due, args=(outbox,)) for outbox in outboxes]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert errors == []
    assert sorted(platform.delivered) == sorted(queued)
    for desk in (ana, bo):
        statuses = [r.status for c in desk.store.history() for r in c.replies]
        assert statuses == [ReplyStatus.SENT] * len(queued)
        assert desk.store.with_open_replies() == []
