"""The PostgreSQL store on a real server, in a fresh process: claim, repaint, stats, copy.

Starts its own PostgreSQL 15 on loopback (durable: fsync and synchronous
commit on, as a library's server runs), copies the cached corpus of the given
size into it with ``askdesk store copy``'s own code, then measures:

- a claim through ``PostgresStore`` beside SQLite's default journal on the
  same rows, interleaved (PostgreSQL, SQLite, PostgreSQL, ...);
- claim to repaint on a second desk: another desk (another connection, as
  another machine) claims a row shown in this desk's New pane; timed from just
  before that claim to the first frame without the row (NOTIFY, the desk's
  store check, the repaint);
- ``askdesk stats`` over every conversation, as a command (a fresh process),
  on PostgreSQL and on the TinyDB store it was copied from.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests"))  # the test suite's server starter

import app_probe  # noqa: E402
import corpus  # noqa: E402
import pg_server  # noqa: E402
import psycopg  # noqa: E402

import askdesk  # noqa: E402
from askdesk.clock import SystemClock  # noqa: E402
from askdesk.desk import Desk  # noqa: E402
from askdesk.desk.store_copy import copy_store  # noqa: E402
from askdesk.model import Status, transitions  # noqa: E402
from askdesk.store import TinyDBStore, pg_schema  # noqa: E402
from askdesk.store.postgres_store import PostgresStore  # noqa: E402

RUN = corpus.CACHE / "run"
SQLITE_CLAIM = (
    "UPDATE conversations SET status = 'claimed', holder = ? WHERE key = ? AND status = 'new'"
)
REPAINTS = 30


def claims(store: PostgresStore, sqlite_path: Path, count: int) -> dict[str, Any]:
    db = sqlite3.connect(sqlite_path)  # default journal mode (delete), synchronous=full
    keys = [c.key for c in store.live() if c.status is Status.NEW]
    if len(keys) < count + 3:
        raise SystemExit(f"only {len(keys)} new conversations to claim")
    pg_ms: list[float] = []
    lite_ms: list[float] = []
    for i, key in enumerate(keys[: count + 3]):  # the first three warm the caches
        now = datetime.now(UTC)
        started = time.perf_counter()
        store.update(key, lambda c: transitions.claim(c, "bench", now))  # noqa: B023
        took = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        cursor = db.execute(SQLITE_CLAIM, ("bench", key))
        db.commit()
        lite = (time.perf_counter() - started) * 1000
        if cursor.rowcount != 1:
            raise SystemExit(f"SQLite did not claim {key}")
        if i >= 3:
            pg_ms.append(took)
            lite_ms.append(lite)
    db.close()
    return {"postgres_ms": pg_ms, "sqlite_ms": lite_ms}


def repaints(url: str) -> list[float]:
    """Milliseconds from a colleague's claim (another connection) to this desk's frame."""
    from askdesk.desk.outbox import Outbox
    from askdesk.desk.sync import Poller
    from askdesk.tui.app import AskdeskApp
    from askdesk.tui.screens.desk import DeskScreen
    from askdesk.tui.widgets.conversation_list import ConversationList

    desk = Desk(PostgresStore(url), "bench", SystemClock(), 7.0)
    colleague = PostgresStore(url)
    app = AskdeskApp(
        desk,
        clock=desk.clock,
        poller=Poller(desk, []),
        outbox=Outbox(desk, {}),
        library="Anytown Public Library",
    )
    frames = app_probe.Frames(app, ConversationList)
    samples: list[float] = []

    def shown_keys() -> list[str]:
        screen = app.screen
        if not isinstance(screen, DeskScreen):
            return []
        return [row.key for row in screen.query_one(ConversationList).rows]

    async def pilot(_: Any) -> None:
        await frames.when(lambda: bool(shown_keys()) and frames.painted)
        for _ in range(REPAINTS + 2):
            key = shown_keys()[0]
            gone = frames.when(lambda key=key: key not in shown_keys())  # type: ignore[misc]
            now = datetime.now(UTC)
            started = time.perf_counter()
            await asyncio.to_thread(
                colleague.update,
                key,
                lambda c: transitions.claim(c, "colleague", now),  # noqa: B023
            )
            at = await asyncio.wait_for(gone, timeout=10)
            samples.append((at - started) * 1000)
            await asyncio.sleep(0.1)  # the next claim is another moment of the shift
        app.exit()

    async def run() -> None:
        await app.run_async(headless=True, size=app_probe.SIZE, auto_pilot=pilot)

    asyncio.run(run())
    colleague.close()
    desk.store.close()
    return samples[2:]


def server_cpu(server: pg_server.Server | None) -> float:
    """CPU seconds the PostgreSQL server has used: the postmaster's own and that of its
    children that have exited (each connection's backend, once the command closed it)."""
    if server is None:
        return 0.0
    pid = (server.data / "postmaster.pid").read_text().split()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def stats_command(
    store: str, server: pg_server.Server | None = None
) -> tuple[float, float, float, float]:
    """Seconds for ``askdesk stats`` over everything, from exec to exit, the CPU
    seconds the command used (user + system), which a busy machine stretches less,
    the machine's load average (1 minute) as it started, and on PostgreSQL the
    CPU seconds the server spent for it (``pg_tally``'s statements run there).

    On an idle machine, where nothing else wants the two cores, the command takes
    about its own CPU plus half the server's: the command waits while the server
    works, and the server works on two connections at once (``pg_snapshot``)."""
    askdesk = Path(sys.executable).with_name("askdesk")
    load = os.getloadavg()[0]
    served = server_cpu(server)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(askdesk), "stats", "--since", "2000-01-01", "--format", "json", "--store", store],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ASKDESK_AS": "bench"},
    )
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"askdesk stats failed: {done.stderr.strip()}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    time.sleep(0.3)  # the postmaster reaps the command's backends, adding their CPU to its own
    return took, cpu, load, server_cpu(server) - served


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--stats-reps", type=int, default=7)
    parser.add_argument("--tinydb-stats-reps", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    built = corpus.cached(args.size)
    folder = RUN / f"pg-{args.size}"
    hot = corpus.working_copy(built, folder)
    sqlite_path = folder / "sqlite.db"
    sqlite_path.write_bytes(built.sqlite.read_bytes())

    server = pg_server.start(durable=True)
    try:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE askdesk")
        url = server.url("askdesk")
        pg_schema.migrate_database(url, url)
        source = TinyDBStore(hot)
        store = PostgresStore(url)
        started = time.perf_counter()
        counts = copy_store(source, store, datetime.now(UTC) - timedelta(days=7))
        copy_s = time.perf_counter() - started
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        result: dict[str, Any] = {
            "conversations": counts.conversations,
            "copy_s": copy_s,
            "server": {"fsync": "on", "synchronous_commit": "on"},
        }
        # askdesk as installed: pip compiles its modules (.pyc) once. Run from an editable
        # checkout with PYTHONDONTWRITEBYTECODE set, every start would compile them all
        # again (0.13 s of the command's CPU here), which no installed askdesk does.
        compileall.compile_dir(Path(askdesk.__file__).parent, quiet=1)
        # One run first: a store copied by an older askdesk recomputes its transactions once.
        stats_command(url)
        for name, store_at in (("postgres", url), ("tinydb", str(hot))):
            reps = args.stats_reps if name == "postgres" else args.tinydb_stats_reps
            on = server if name == "postgres" else None
            runs = [stats_command(store_at, on) for _ in range(reps)]
            result[f"stats_{name}_s"] = [wall for wall, _, _, _ in runs]
            result[f"stats_{name}_cpu_s"] = [cpu for _, cpu, _, _ in runs]
            result[f"stats_{name}_load"] = [load for _, _, load, _ in runs]
            result[f"stats_{name}_server_cpu_s"] = [served for _, _, _, served in runs]
        result["claims"] = claims(store, sqlite_path, args.count)
        store.close()
        source.close()
        result["repaint_ms"] = repaints(url)
    finally:
        server.stop()
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
