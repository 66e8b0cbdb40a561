"""Two desks in two processes on one ``postgresql://`` URL see each other's claims within 1 s.

Two OS processes are two machines as far as the database can tell: their own
connections, their own listeners. Staff's desk runs here (the app, at its
default store check); the colleague's askdesk runs in a process of its own.
"""

from __future__ import annotations

import multiprocessing
import time

from colleague_process import colleague
from test_postgres_desk import BUDGET_S, make_app, new_pane_keys, wait_until
from tuikit import settle

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.store.postgres_store import PostgresStore


async def test_two_desk_processes_on_one_url_see_each_others_claims_within_a_second(
    postgres_url: str, clock: FixedClock, make_message
) -> None:
    ana = Desk(PostgresStore(postgres_url), "ana", clock)
    ana.ingest([make_message(str(i), minutes_ago=50 - i) for i in range(1, 4)])
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    times = context.Array("d", [-1.0, -1.0, -1.0])
    worker = context.Process(target=colleague, args=(postgres_url, "web:2", "web:1", go, times))
    worker.start()
    app = make_app(ana, clock)
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            await settle(pilot)
            assert new_pane_keys(app) == ["web:1", "web:2", "web:3"]
            assert await wait_until(pilot, lambda: times[2] > 0, 60), "the colleague never started"

            go.set()
            gone = await wait_until(pilot, lambda: "web:2" not in new_pane_keys(app), 10)
            on_screen = time.monotonic()
            assert gone and times[0] > 0
            print(
                f"\nbo's claim (another process) on ana's screen after {on_screen - times[0]:.3f} s"
            )
            assert on_screen - times[0] <= BUDGET_S
            assert app.conversations["web:2"].holder == "bo"

            pressed = time.monotonic()
            await pilot.press("c")  # ana claims web:1, the first row
            worker.join(timeout=15)
            assert times[1] > 0, "bo's desk never saw ana's claim"
            print(f"ana's claim on bo's desk (another process) after {times[1] - pressed:.3f} s")
            assert times[1] - pressed <= BUDGET_S
    finally:
        go.set()
        worker.join(timeout=15)
        if worker.is_alive():
            worker.kill()
        ana.store.close()
