"""Helpers for Pilot tests: waiting on the app's workers, typing, reading the screen."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from collections import defaultdict

from textual.app import App
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

CELL_WIDTH = 12.2
"""Width of one terminal cell in Rich's SVG export."""

_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
    r'clip-path="url\(#[\w-]+-line-(\d+)\)">(.*?)</text>',
    re.DOTALL,
)


async def drain(app: App[None]) -> None:
    """Wait until the app has handled every message already in its queue.

    A callback queued behind them runs only when they are done, so this waits
    on the app itself rather than on how busy the machine looks.
    """
    done = asyncio.Event()
    app.call_later(done.set)
    await asyncio.wait_for(done.wait(), timeout=10)


async def refreshed(app: App[None]) -> None:
    """Wait until the current screen has refreshed and run what waited for that.

    Callbacks run after a refresh in the order they were asked for, so one
    queued now runs after the store write that ``act`` defers to that moment.
    """
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await asyncio.wait_for(done.wait(), timeout=10)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the app's workers are done and what they posted is handled and drawn.

    An action's store write starts only after the frame that shows it, and a
    refused action starts a second worker (a store check), so go round until
    no worker is left; bounded so that a bug cannot hang the suite.

    An exclusive worker that its successor replaced (the outbox's, every 2 s,
    when a go round takes that long on a busy machine) ends cancelled: it is
    done, and the one that replaced it is waited for. ``wait_for_complete``
    would raise ``WorkerCancelled`` for it instead.
    """
    app = pilot.app
    for _ in range(10):
        for worker in list(app.workers):
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await drain(app)
        await refreshed(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("the app's workers kept running")


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type ``text`` key by key, as staff would."""
    await pilot.press(*("space" if ch == " " else ch for ch in text))


class Recorder:
    """Collects every message the app handles; pass it as ``run_test(message_hook=...)``."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)

    def of(self, kind: type[Message]) -> list[Message]:
        return [m for m in self.messages if isinstance(m, kind)]

    def notifications(self) -> list[tuple[str, str]]:
        """``(severity, text)`` of every notification shown."""
        return [
            (m.notification.severity, m.notification.message)
            for m in self.messages
            if isinstance(m, Notify)
        ]


def svg_text(svg: str) -> str:
    """The raw characters of every text run in an exported screenshot, unescaped."""
    return "".join(html.unescape(m.group(4)) for m in _TEXT.finditer(svg))


def screen_lines(svg: str) -> list[str]:
    """The screen as plain lines, rebuilt from the text runs of ``App.export_screenshot()``.

    Runs are placed at their cell column, so gaps drawn only as background
    come back as spaces. Wide characters are good enough for ``in`` checks.
    """
    rows: dict[int, dict[int, str]] = defaultdict(dict)
    for match in _TEXT.finditer(svg):
        column = round(float(match.group(1)) / CELL_WIDTH)
        row = rows[int(match.group(3))]
        for offset, char in enumerate(html.unescape(match.group(4)).replace("\xa0", " ")):
            row[column + offset] = char
    if not rows:
        return []
    return [
        "".join(rows[y].get(x, " ") for x in range(max(rows[y], default=-1) + 1)).rstrip()
        for y in range(max(rows) + 1)
    ]
