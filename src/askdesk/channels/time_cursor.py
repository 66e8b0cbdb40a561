"""The cursor of a channel read by time: where the first run starts, and the newest time read.

Facebook (threads by ``updated_time``) and SMS (messages by ``date_sent``)
keep the same two times between polls; no credential is ever part of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from askdesk.channels.base import Problem


@dataclass
class TimeCursor:
    """What the store keeps between polls of a channel read by time."""

    start: datetime
    """The oldest time the first run reads (``now - backfill``)."""
    since: datetime | None = None
    """The newest time read so far."""

    @classmethod
    def read(
        cls,
        cursor: str | None,
        now: datetime,
        backfill: timedelta,
        problems: list[Problem],
        channel_type: str,
    ) -> TimeCursor:
        """``cursor`` as stored, or a fresh one (with a problem naming ``channel_type``)."""
        fresh = cls(start=now - backfill)
        if cursor is None:
            return fresh
        try:
            data = json.loads(cursor)
            start = datetime.fromisoformat(data["start"])
            since = datetime.fromisoformat(data["since"]) if data.get("since") else None
            if start.tzinfo is None or (since is not None and since.tzinfo is None):
                raise ValueError("not ours")
        except (ValueError, TypeError, KeyError):
            problems.append(
                Problem(
                    f"{channel_type} cursor",
                    "could not read it; the first-run window is read again (duplicates skipped)",
                )
            )
            return fresh
        return cls(start=start, since=since)

    @property
    def oldest(self) -> datetime:
        """Items older than this were read by an earlier poll."""
        return self.since or self.start

    def dump(self) -> str:
        return json.dumps(
            {"start": self.start.isoformat(), "since": self.since and self.since.isoformat()},
            sort_keys=True,
        )
