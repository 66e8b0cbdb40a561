"""A colleague's askdesk in a process of its own, on the same PostgreSQL URL (another machine)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.store.postgres_store import PostgresStore

CHECK_S = 0.01
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # the tests' frozen clock


def colleague(url: str, claim: str, watch: str, go: Any, times: Any) -> None:
    """Claim ``claim`` when told to go, noting the moment just before; then note the
    moment this desk's store first shows ``watch`` held by ana (its notice, its re-read).

    ``times``: shared [claimed at, saw ana's claim at, ready], ``time.monotonic`` (one
    clock for every process on the machine); -1 for what never happened.
    """
    desk = Desk(PostgresStore(url), "bo", FixedClock(NOW))
    try:
        desk.store.live()
        times[2] = 1.0
        if not go.wait(timeout=60):
            return
        times[0] = time.monotonic()
        desk.claim(claim)
        deadline = time.monotonic() + 30
        seen = desk.store.version()
        while time.monotonic() < deadline:
            version = desk.store.version()
            if version != seen:  # a notice came: read what changed, as a desk's check does
                seen = version
                held = {c.key: c.holder for c in desk.store.live()}
                if held.get(watch) == "ana":
                    times[1] = time.monotonic()
                    return
            time.sleep(CHECK_S)
    finally:
        desk.store.close()
