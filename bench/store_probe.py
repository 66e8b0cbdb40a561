"""The store on its own, in a fresh process: one claim beside SQLite's, and ingest.

``claims``: every size's store and its SQLite twin are opened side by side and
claimed in turn (1k, SQLite 1k, 10k, SQLite 10k, ...), so drift in the
machine's speed touches every figure alike and the ratios compare like with
like. ``ingest``: ``Desk.ingest`` of 10,000 new messages with 1,000
re-deliveries mixed in, each repetition on a fresh copy of the store.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

from askdesk.clock import SystemClock
from askdesk.desk import Desk
from askdesk.model import Kind, Message, Status, transitions
from askdesk.store import TinyDBStore
from askdesk.store.codec import message_from_dict
from askdesk.store.files import load
from askdesk.store.hot_storage import recent_path

RUN = corpus.CACHE / "run"
SQLITE_CLAIM = (
    "UPDATE conversations SET status = 'claimed', holder = ? WHERE key = ? AND status = 'new'"
)


def claims(sizes: list[int], count: int) -> dict[str, Any]:
    stores: dict[int, TinyDBStore] = {}
    dbs: dict[int, sqlite3.Connection] = {}
    keys: dict[int, list[str]] = {}
    for size in sizes:
        built = corpus.cached(size)
        hot = corpus.working_copy(built, RUN / f"claims-{size}")
        db_path = RUN / f"claims-{size}" / "sqlite.db"
        db_path.write_bytes(built.sqlite.read_bytes())
        stores[size] = TinyDBStore(hot)
        dbs[size] = sqlite3.connect(db_path)  # default journal mode (delete), synchronous=full
        keys[size] = [c.key for c in stores[size].live() if c.status is Status.NEW]
        if len(keys[size]) < count + 3:
            raise SystemExit(f"the {size} store has only {len(keys[size])} new conversations")
    tiny: dict[int, list[float]] = {size: [] for size in sizes}
    lite: dict[int, list[float]] = {size: [] for size in sizes}
    for i in range(count + 3):  # the first three warm the caches and are dropped
        order = sizes if i % 2 == 0 else sizes[::-1]
        for size in order:
            key = keys[size][i]
            now = datetime.now(UTC)
            started = time.perf_counter()
            stores[size].update(key, lambda c: transitions.claim(c, "bench", now))  # noqa: B023
            took = time.perf_counter() - started
            if i >= 3:
                tiny[size].append(took * 1000)
            db = dbs[size]
            started = time.perf_counter()
            cursor = db.execute(SQLITE_CLAIM, ("bench", key))
            db.commit()
            took = time.perf_counter() - started
            if cursor.rowcount != 1:
                raise SystemExit(f"SQLite did not claim {key}")
            if i >= 3:
                lite[size].append(took * 1000)
    mode = next(iter(dbs.values())).execute("PRAGMA journal_mode").fetchone()[0]
    for db in dbs.values():
        db.close()
    return {
        "sqlite_journal_mode": mode,
        "sizes": {str(s): {"store_ms": tiny[s], "sqlite_ms": lite[s]} for s in sizes},
    }


def ingest_batch(hot: Path, seed: int) -> tuple[list[Message], dict[str, int]]:
    """10,000 new messages (new questions, follow-ups to live and archived ones) + 1,000 known."""
    rng = random.Random(seed)
    writer = corpus.Writer(seed)
    writer.serial = 10**8  # remote ids the store has never seen
    now = datetime.now(UTC)
    hot_docs = [
        doc for file in (hot, recent_path(hot)) for doc in load(file)["conversations"].values()
    ]
    archive = hot.with_name(hot.stem + ".archive")
    months = sorted(archive.glob("????-??.json"))
    rng.shuffle(months)
    archived_docs: list[dict[str, Any]] = []
    for read, month in enumerate(months):  # patrons write again to questions of any age
        if len(archived_docs) >= 600 and read >= 6:
            break
        archived_docs.extend(load(month).values())

    def follow_up(doc: dict[str, Any], at: datetime) -> Message:
        first = doc["messages"][0]
        channel, kind, label = first["channel"], first["kind"], first["label"]
        thread = doc["key"].split(":", 1)[1]
        return writer.message(channel, Kind(kind), label, at, author=first["author"], thread=thread)

    archived_follow_ups = min(100, len(archived_docs) // 2)
    redelivered_archived = min(500, len(archived_docs))
    plan = {
        "new_questions": 10_000 - 500 - archived_follow_ups,
        "follow_ups_hot": 500,
        "follow_ups_archived": archived_follow_ups,
        "redelivered_hot": 1_000 - redelivered_archived,
        "redelivered_archived": redelivered_archived,
    }
    messages: list[Message] = []
    for i in range(plan["new_questions"]):
        at = now - timedelta(seconds=10 * (plan["new_questions"] - i))
        channel, kind, label = writer.channel()
        messages.append(writer.message(channel, kind, label, at))
    for doc in rng.sample(hot_docs, plan["follow_ups_hot"]):
        messages.append(follow_up(doc, now - timedelta(seconds=rng.uniform(1, 3600))))
    for doc in rng.sample(archived_docs, plan["follow_ups_archived"]):
        messages.append(follow_up(doc, now - timedelta(seconds=rng.uniform(1, 3600))))
    for doc in rng.choices(hot_docs, k=plan["redelivered_hot"]):
        messages.append(message_from_dict(rng.choice(doc["messages"])))
    for doc in rng.sample(archived_docs, plan["redelivered_archived"]):
        messages.append(message_from_dict(rng.choice(doc["messages"])))
    rng.shuffle(messages)
    return messages, plan


def ingest(size: int, reps: int) -> dict[str, Any]:
    built = corpus.cached(size)
    samples: list[float] = []
    checked: dict[str, int] = {}
    plan: dict[str, int] = {}
    for rep in range(reps):
        hot = corpus.working_copy(built, RUN / f"ingest-{size}")
        messages, plan = ingest_batch(hot, seed=1000 + rep)
        desk = Desk(TinyDBStore(hot), "bench", SystemClock())
        started = time.perf_counter()
        result = desk.ingest(messages)
        samples.append(time.perf_counter() - started)
        checked = {
            "added": len(result.added),
            "joined": len(result.joined),
            "duplicates": result.duplicates,
            "messages": len(messages),
        }
        new = plan["new_questions"] + plan["follow_ups_hot"] + plan["follow_ups_archived"]
        expected_duplicates = plan["redelivered_hot"] + plan["redelivered_archived"]
        if result.duplicates != expected_duplicates or len(result.added) != plan["new_questions"]:
            raise SystemExit(f"ingest went wrong: {checked} for {new} new messages")
    return {"ingest_s": samples, "check": checked, "plan": plan}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["claims", "ingest"])
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    result = claims(sizes, args.count) if args.mode == "claims" else ingest(sizes[0], args.count)
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
