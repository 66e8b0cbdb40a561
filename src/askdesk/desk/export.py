"""One row per transaction for a library's statistics spreadsheet, and never a patron's data.

The columns are a published contract (``docs/statistics.md``): add new ones at
the end, never rename or reorder them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Any, TextIO

from askdesk.config import StatsField
from askdesk.desk.stats import WEEKDAYS
from askdesk.model.transactions import Transaction

COLUMNS: tuple[tuple[str, str], ...] = (
    (
        "date",
        "the day the transaction was first resolved, YYYY-MM-DD, in the statistics time zone",
    ),
    ("time", "the time it was first resolved, HH:MM, in the same zone"),
    ("weekday", "mon … sun, of that day"),
    ("channel", "the configured channel it came in on (where the conversation started)"),
    ("kind", "mention, direct, email or chat"),
    (
        "question_type",
        "directional, ready-reference, research, policy, technical, readers-advisory or other",
    ),
    ("read_level", "READ scale effort level, 1-6"),
    ("outcome", "answered, no-reply-needed, referred or declined"),
    ("staff", "the staff name of who resolved it first"),
    (
        "first_response_s",
        "seconds from the patron's first message to the first staff "
        "reply (or the resolve, if staff resolved without replying)",
    ),
    ("resolve_s", "seconds from the patron's first message to the first resolve"),
    ("flagged", "yes if it was flagged for review before it was resolved, else no"),
    ("messages", "how many messages the patron sent in this transaction"),
    (
        "time_spent_min",
        "minutes staff recorded spending on it (a correction's included); empty if not recorded",
    ),
)
"""Column name and what it holds; the library's own ``[[stats.fields]]`` follow, in the
config's order, each holding the choice recorded (empty if none)."""

FIELDS = tuple(name for name, _ in COLUMNS)


def columns(fields: Sequence[StatsField] = ()) -> tuple[str, ...]:
    """The export's columns: ``FIELDS``, then the library's own fields."""
    return (*FIELDS, *(f.name for f in fields))


def export_row(t: Transaction, tz: tzinfo, fields: Sequence[StatsField] = ()) -> dict[str, Any]:
    """A transaction as plain values, in ``columns(fields)`` order; ``flagged`` is a bool,
    an unrecorded time spent or field is ``None``."""
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
        "time_spent_min": t.time_spent_min,
        **{f.name: t.fields.get(f.name) for f in fields},
    }


def write_csv(
    transactions: Iterable[Transaction],
    tz: tzinfo,
    out: TextIO,
    fields: Sequence[StatsField] = (),
) -> int:
    """Write a header and one row per transaction; return how many rows."""
    # csv writes None as an empty cell: what a spreadsheet shows for "not recorded".
    writer = csv.DictWriter(out, fieldnames=columns(fields), lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for t in transactions:
        row = export_row(t, tz, fields)
        row["flagged"] = "yes" if row["flagged"] else "no"
        writer.writerow(row)
        count += 1
    return count


def export_records(
    transactions: Iterable[Transaction], tz: tzinfo, fields: Sequence[StatsField] = ()
) -> list[dict[str, Any]]:
    """The same rows for ``--format json``: one object per transaction."""
    return [export_row(t, tz, fields) for t in transactions]
