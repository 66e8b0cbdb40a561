"""One row per transaction for a library's statistics spreadsheet, and never a patron's data.

The columns are a published contract (``docs/statistics.md``): add new ones at
the end, never rename or reorder them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import tzinfo
from typing import Any, TextIO

from askdesk.desk.stats import WEEKDAYS
from askdesk.model.transactions import Transaction

COLUMNS: tuple[tuple[str, str], ...] = (
    ("date", "the day the transaction was resolved, YYYY-MM-DD, in the statistics time zone"),
    ("time", "the time it was resolved, HH:MM, in the same zone"),
    ("weekday", "mon … sun, of that day"),
    ("channel", "the configured channel it came in on (where the conversation started)"),
    ("kind", "mention, direct, email or chat"),
    (
        "question_type",
        "directional, ready-reference, research, policy, technical, readers-advisory or other",
    ),
    ("read_level", "READ scale effort level, 1-6"),
    ("outcome", "answered, no-reply-needed, referred or declined"),
    ("staff", "the staff name of who resolved it"),
    (
        "first_response_s",
        "seconds from the patron's first message to the first staff "
        "reply (or the resolve, if staff resolved without replying)",
    ),
    ("resolve_s", "seconds from the patron's first message to the resolve"),
    ("flagged", "yes if it was flagged for review at any time, else no"),
    ("messages", "how many messages the patron sent in this transaction"),
)
"""Column name and what it holds."""

FIELDS = tuple(name for name, _ in COLUMNS)


def export_row(t: Transaction, tz: tzinfo) -> dict[str, Any]:
    """A transaction as plain values, in ``COLUMNS`` order; ``flagged`` is a bool."""
    local = t.resolved_at.astimezone(tz)
    return {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "weekday": WEEKDAYS[local.weekday()],
        "channel": t.channel,
        "kind": t.kind.value,
        "question_type": t.question_type.value,
        "read_level": t.read_level,
        "outcome": t.outcome.value,
        "staff": t.staff,
        "first_response_s": t.first_response_s,
        "resolve_s": t.resolve_s,
        "flagged": t.flagged,
        "messages": t.messages,
    }


def write_csv(transactions: Iterable[Transaction], tz: tzinfo, out: TextIO) -> int:
    """Write a header and one row per transaction; return how many rows."""
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for t in transactions:
        row = export_row(t, tz)
        row["flagged"] = "yes" if row["flagged"] else "no"
        writer.writerow(row)
        count += 1
    return count


def export_records(transactions: Iterable[Transaction], tz: tzinfo) -> list[dict[str, Any]]:
    """The same rows for ``--format json``: one object per transaction."""
    return [export_row(t, tz) for t in transactions]
