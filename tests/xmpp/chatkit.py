"""What the XMPP tests share: a desk on a store, its chat channel, and the events it reports."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from askdesk.channels.registry import build_channel
from askdesk.channels.xmpp import XmppChannel
from askdesk.clock import SystemClock
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.live import LiveEvent, LiveRunner
from askdesk.store import TinyDBStore
from tests.xmpp_server import Prosody

WAIT_S = 15.0


class Events:
    """A runner's listener that tests wait on: each ``LiveEvent`` as it happens."""

    def __init__(self) -> None:
        self.seen: list[LiveEvent] = []
        self._queue: queue.Queue[LiveEvent] = queue.Queue()

    def __call__(self, event: LiveEvent) -> None:
        self.seen.append(event)
        self._queue.put(event)

    def wait(self, what: str, timeout: float = WAIT_S) -> LiveEvent:
        """The next event called ``what``, skipping the others; fails after ``timeout``."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                event = self._queue.get(timeout=max(0.0, left))
            except queue.Empty:
                raise AssertionError(
                    f"no {what!r} event within {timeout} s; saw {[e.what for e in self.seen]}"
                ) from None
            if event.what == what:
                return event


def open_desk(store_path: Path, staff: str = "ana") -> Desk:
    return Desk(TinyDBStore(store_path), staff, SystemClock())


def chat_channel(prosody: Prosody, name: str = "chat", **options: Any) -> XmppChannel:
    """The library's chat channel on ``prosody``, built as askdesk builds it from a config."""
    channel = build_channel(
        ChannelConfig(type="xmpp", name=name, options=prosody.channel_options(**options))
    )
    assert isinstance(channel, XmppChannel)
    return channel


@contextmanager
def holding(
    desk: Desk, prosody: Prosody, name: str = "chat", **options: Any
) -> Iterator[tuple[LiveRunner, XmppChannel, Events]]:
    """A runner holding the chat channel of ``prosody`` for ``desk``, stopped afterwards."""
    channel = chat_channel(prosody, name, **options)
    events = Events()
    runner = LiveRunner(desk, [channel], listener=events)
    try:
        runner.tick()
        yield runner, channel, events
    finally:
        runner.stop()
