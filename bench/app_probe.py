"""One askdesk app, headless, in a fresh process: start time, key → frame, peak memory.

``run.py`` starts this once per start sample and once more with ``--keys`` for
the key presses. Times come from the frames themselves: ``App._display`` is
wrapped to note ``time.perf_counter()`` whenever the compositor hands over a
frame (after also encoding it for the terminal, the one step a headless run
skips), and ``ConversationList.render_line`` is wrapped to know whether that
frame redrew the list. A key is posted the way the terminal driver posts one
(``driver.send_message``) and timed to the first frame that shows its effect.
"""

from __future__ import annotations

import time

T_ENTRY = time.perf_counter()

import argparse  # noqa: E402  (the clock above starts before any import)
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

STAFF = "bench"
SCENARIOS = ("move", "scroll", "page", "claim", "resolve")
SIZE = (120, 40)
SAMPLES = 60
"""Key presses timed per scenario: with 30, the p95 was the second-worst press,
and one stall of the machine moved it by 10 ms from run to run."""
CHARS = {"enter": "\r", "pagedown": None, "pageup": None, "home": None}


class Frames:
    """Frame timestamps, and waiters for the first frame that satisfies a condition."""

    def __init__(self, app: Any, list_class: type) -> None:
        self.app = app
        self.count = 0
        self.last = 0.0
        self.painted = False
        """The conversation list drew a line since this was last cleared."""
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []

        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            if renderable is not None and not app._batch_count:
                encode = getattr(renderable, "render_segments", None)
                if encode is not None:
                    encode(app.console)  # the terminal bytes a real run would write
            display(screen, renderable)
            if renderable is not None and not app._batch_count:
                self._frame(time.perf_counter())

        app._display = timed_display

        render_line = list_class.render_line
        set_rows = list_class.set_rows
        frames = self

        def timed_render_line(widget: Any, y: int) -> Any:
            frames.painted = True
            return render_line(widget, y)

        def timed_set_rows(widget: Any, *args: Any, **kwargs: Any) -> None:
            frames.painted = False  # what counts now is a repaint after the new rows
            set_rows(widget, *args, **kwargs)

        list_class.render_line = timed_render_line
        list_class.set_rows = timed_set_rows

    def _frame(self, now: float) -> None:
        self.count += 1
        self.last = now
        still = []
        for condition, future in self._waiters:
            if future.done():
                continue
            try:
                met = condition()
            except Exception as error:  # a broken condition must fail the run, not hang it
                future.set_exception(error)
                continue
            if met:
                future.set_result(now)
            else:
                still.append((condition, future))
        self._waiters = still

    def when(self, condition: Callable[[], bool]) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((condition, future))
        return future


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "n": len(samples),
        "median_ms": round(percentile(samples, 0.5), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "max_ms": round(max(samples), 2),
        "samples_ms": [round(s, 2) for s in samples],
    }


class Driver:
    """Presses keys on the running app and times them."""

    def __init__(
        self, app: Any, frames: Frames, list_class: type, reps: float, seed: int = 7
    ) -> None:
        self.app = app
        self.list_class = list_class
        self.frames = frames
        self.reps = reps
        self.rng = random.Random(seed)

    @property
    def list(self) -> Any:
        return self.app.screen.query_one(self.list_class)

    def post(self, key: str) -> float:
        from textual import events

        char = CHARS.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(self.app)
        started = time.perf_counter()
        self.app._driver.send_message(event)  # the path a real terminal's key takes
        return started

    async def settle(self, quiet: float = 0.05, limit: float = 3.0) -> None:
        """Wait until no frame for ``quiet`` s and no staff action is still running."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
            busy = any(w.group == "desk" and not w.is_finished for w in self.app.workers)
            if not busy and time.perf_counter() - max(self.frames.last, 0) > quiet:
                return

    async def untimed(self, key: str, done: Callable[[], bool]) -> None:
        """Press ``key`` to set up the next timed press; wait until ``done`` holds."""
        self.post(key)
        deadline = time.perf_counter() + 10
        while not done():
            if time.perf_counter() > deadline:
                raise SystemExit(f"setting up with {key!r} did not work: the bench is wrong")
            await asyncio.sleep(0.005)
        await self.settle()

    async def timed(self, key: str, condition: Callable[[], bool] | None = None) -> float:
        """Milliseconds from posting ``key`` to the first frame that satisfies ``condition``."""
        await self.settle()
        await asyncio.sleep(self.rng.uniform(0.02, 0.1))  # a person's pace, not a loop's
        self.frames.painted = False
        wanted = self.frames.when(condition or (lambda: self.frames.painted))
        started = self.post(key)
        try:
            at = await asyncio.wait_for(wanted, timeout=10)
        except TimeoutError:
            raise SystemExit(f"no frame showed the effect of {key!r} within 10 s") from None
        return (at - started) * 1000

    def n(self, base: int) -> int:
        return max(3, round(base * self.reps))

    # -- the scenarios ---------------------------------------------------------------

    async def top(self) -> None:
        lst = self.list
        if lst.cursor != 0 or lst.scroll_offset.y != 0:
            await self.untimed("home", lambda: lst.cursor == 0 and lst.scroll_offset.y == 0)

    async def to_bottom_line(self) -> None:
        """From the top, pagedown puts the cursor on the view's last line without scrolling."""
        await self.top()
        lst = self.list
        await self.untimed("pagedown", lambda: lst.cursor > 0)

    async def move(self) -> list[float]:
        """j inside the view: two lines redrawn."""
        samples: list[float] = []
        await self.top()
        stalls = 0
        while len(samples) < self.n(SAMPLES):
            lst = self.list
            view = lst.scrollable_content_region.height
            if lst.cursor + 1 > min(lst.scroll_offset.y + view - 1, len(lst.rows) - 1):
                if lst.cursor == 0 and lst.scroll_offset.y == 0:
                    # At the top with no line to move to: without a wait this loop
                    # would spin without giving the app a turn (one run hung so).
                    stalls += 1
                    if stalls > 300:
                        raise SystemExit(
                            f"the move scenario found no line to move to: {len(lst.rows)} "
                            f"rows in a view of {view} lines"
                        )
                    await self.settle()
                await self.top()
                continue
            before = lst.scroll_offset.y
            samples.append(await self.timed("j"))
            if self.list.scroll_offset.y != before:
                raise SystemExit("the move scenario's j scrolled: the bench is wrong")
        return samples

    async def scroll(self) -> list[float]:
        """j on the bottom line of the view: the list scrolls by one."""
        return await self._scrolling("j", "the scroll scenario's j")

    async def page(self) -> list[float]:
        """pagedown that scrolls a whole page."""
        return await self._scrolling("pagedown", "the page scenario's pagedown")

    async def _scrolling(self, key: str, what: str) -> list[float]:
        """``key`` pressed from the view's bottom line, each press checked to scroll."""
        samples: list[float] = []
        await self.to_bottom_line()
        while len(samples) < self.n(SAMPLES):
            lst = self.list
            if lst.cursor >= len(lst.rows) - 1:
                await self.to_bottom_line()
                continue
            before = lst.scroll_offset.y
            samples.append(await self.timed(key))
            if self.list.scroll_offset.y == before:
                raise SystemExit(f"{what} did not scroll: the bench is wrong")
        return samples

    async def claim(self) -> list[float]:
        """c on the first New row: the desk shows it at once in Claimed, under the cursor
        (the store write follows the frame); then, untimed, back to New."""
        from askdesk.model import Status

        samples: list[float] = []
        for _ in range(self.n(SAMPLES)):
            await self.untimed("1", lambda: all(r.status is Status.NEW for r in self.list.rows))
            await self.top()
            key = self.list.current.key

            def followed(key: str = key) -> bool:
                current = self.list.current
                return (
                    self.frames.painted
                    and current is not None
                    and current.key == key
                    and (current.status is Status.CLAIMED)
                )

            samples.append(await self.timed("c", followed))
            if self.app.conversations[key].holder != STAFF:
                raise SystemExit(f"claim of {key} did not go through")
        return samples

    async def resolve(self) -> list[float]:
        """d, a question type, READ 2, enter; timed from the final enter to the row leaving."""
        from textual.css.query import NoMatches
        from textual.widgets import OptionList

        from askdesk.model import Status
        from askdesk.tui.screens.prompts import ResolveDialog

        samples: list[float] = []
        desk_screen = self.app.screen

        def on_claimed_pane() -> bool:
            rows = self.list.rows
            return bool(rows) and all(r.status is Status.CLAIMED for r in rows)

        await self.untimed("2", on_claimed_pane)
        for _ in range(self.n(SAMPLES)):
            lst = self.list
            mine = [i for i, r in enumerate(lst.rows) if r.holder == STAFF]
            if not mine:
                raise SystemExit("no claimed row of ours left to resolve")
            lst.cursor = mine[0]  # setup, not timed
            await self.settle()
            key = lst.current.key
            await self.untimed("d", lambda: isinstance(self.app.screen, ResolveDialog))
            dialog = self.app.screen

            def option(list_id: str, dialog: Any = dialog) -> Any:
                try:
                    return dialog.query_one(f"#{list_id}", OptionList)
                except NoMatches:  # still composing
                    return None

            def highlighted(list_id: str) -> int | None:
                found = option(list_id)
                return None if found is None else found.highlighted

            def read_focused(dialog: Any = dialog) -> bool:
                return option("read") is not None and dialog.focused is option("read")

            await self.untimed("down", lambda: highlighted("type") == 1)
            await self.untimed("enter", read_focused)
            await self.untimed("2", lambda: highlighted("read") == 1)

            def gone(key: str = key) -> bool:
                return (
                    self.app.screen is desk_screen
                    and self.frames.painted
                    and all(r.key != key for r in self.list.rows)
                )

            samples.append(await self.timed("enter", gone))
            if self.app.conversations[key].status is not Status.RESOLVED:
                raise SystemExit(f"resolve of {key} did not go through")
        return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument(
        "--spawned",
        type=float,
        required=True,
        help="time.perf_counter() in the parent just before it started us",
    )
    parser.add_argument("--keys", action="store_true", help="also time key presses")
    parser.add_argument("--reps", type=float, default=1.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", help="comma-separated scenarios (default: all)")
    parser.add_argument(
        "--profile", type=Path, help="write a pyinstrument profile of the keys here"
    )
    args = parser.parse_args()

    from askdesk.clock import SystemClock
    from askdesk.desk import Desk
    from askdesk.desk.outbox import Outbox
    from askdesk.desk.sync import Poller
    from askdesk.store import TinyDBStore
    from askdesk.tui.app import AskdeskApp
    from askdesk.tui.keys import check_keymap
    from askdesk.tui.screens.desk import DeskScreen
    from askdesk.tui.widgets.conversation_list import ConversationList

    t_imported = time.perf_counter()
    # What cli._run_app does, minus the network and the config file: the poller
    # and the outbox run on no channels, and no retention pass runs (see README).
    check_keymap({}, None)
    desk = Desk(TinyDBStore(args.store), STAFF, SystemClock(), 7.0)
    desk.archive_old()
    t_store = time.perf_counter()
    app = AskdeskApp(
        desk,
        clock=desk.clock,
        poller=Poller(desk, []),
        outbox=Outbox(desk, {}),
        library="Anytown Public Library",
    )
    frames = Frames(app, ConversationList)
    t_app = time.perf_counter()

    def usable() -> bool:
        screen = app.screen
        return (
            isinstance(screen, DeskScreen)
            and frames.painted
            and bool(screen.query_one(ConversationList).rows)
        )

    result: dict[str, Any] = {}
    first_frame: dict[str, asyncio.Future[float]] = {}

    async def pilot(_: Any) -> None:
        t_first = await first_frame["usable"]
        result["start"] = {
            "start_s": t_first - args.spawned,
            "python_s": T_ENTRY - args.spawned,
            "imports_s": t_imported - T_ENTRY,
            "store_s": t_store - t_imported,
            "app_s": t_app - t_store,
            "to_frame_s": t_first - t_app,
        }
        if args.keys:
            driver = Driver(app, frames, ConversationList, args.reps)
            wanted = args.only.split(",") if args.only else list(SCENARIOS)
            profiler = None
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005, async_mode="disabled")
                profiler.start()
            keys = {name: await getattr(driver, name)() for name in wanted}
            if profiler is not None:
                profiler.stop()
                args.profile.write_text(
                    profiler.output_text(unicode=True, flat=True)
                    + "\n\n"
                    + profiler.output_text(unicode=True, show_all=True)
                )
            result["keys"] = {name: summary(s) for name, s in keys.items()}
            result["list_height"] = driver.list.size.height
        app.exit()

    async def run() -> None:
        first_frame["usable"] = frames.when(usable)
        await app.run_async(headless=True, size=SIZE, auto_pilot=pilot)

    asyncio.run(run())
    if app._exception is not None:  # the app crashed: say so rather than report nothing
        raise SystemExit(f"the app failed: {app._exception!r}")
    result["peak_rss_mb"] = peak_rss_mb()
    result["frames"] = frames.count
    args.out.write_text(json.dumps(result))


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB.

    Linux keeps ``ru_maxrss`` across ``execve``: a probe started by a run.py
    that had just built the 100k corpus (~350 MiB) would report that. The
    kernel's ``VmHWM`` belongs to this program's own address space.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
