"""One row per transaction for a library's statistics spreadsheet, and never a patron's data.

The columns are a published contract (``docs/statistics.md``): new fixed
columns go after the last fixed one, never renamed or reordered, and the
library's own ``[[stats.fields]]`` always come last (how many there are is the
library's choice, so a fixed column placed after them would move with them).
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
    ("kind", "mention, direct, email, chat or sms"),
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
    (
        "id",
        "an anonymous id of the transaction: the same in every export that includes it, "
        "made from no key or platform id",
    ),
    (
        "asked_at",
        "the patron's first message of the transaction, ISO 8601 with the UTC offset, "
        "in the statistics time zone",
    ),
    ("resolved_at", "its first resolve, ISO 8601 with the UTC offset, in the same zone"),
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
        "id": t.id,
        "asked_at": t.started_at.astimezone(tz).isoformat(timespec="seconds"),
        "resolved_at": t.resolved_at.astimezone(tz).isoformat(timespec="seconds"),
        **{f.name: t.fields.get(f.name) for f in fields},
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""

EXCEL_BOM = "\ufeff"
"""Written first with ``--excel``: Excel reads a CSV without it in the computer's code page."""


def spreadsheet_text(value: Any) -> Any:
    """``value`` as a cell a spreadsheet shows as written and never runs.

    Channel names, staff names and the library's field choices come from the
    config and from what staff type, and a spreadsheet would run
    ``=HYPERLINK(…)`` or ``@SUM(…)`` in one. Such a text gets a leading ``'``,
    which spreadsheets take for "this is text"; numbers and other texts are
    left as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(
    transactions: Iterable[Transaction],
    tz: tzinfo,
    out: TextIO,
    fields: Sequence[StatsField] = (),
    *,
    excel: bool = False,
) -> int:
    """Write a header and one row per transaction; return how many rows.

    ``excel``: start with a byte-order mark, so Excel reads the file as UTF-8.
    """
    if excel:
        out.write(EXCEL_BOM)
    # csv writes None as an empty cell: what a spreadsheet shows for "not recorded".
    writer = csv.DictWriter(out, fieldnames=columns(fields), lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for t in transactions:
        row = export_row(t, tz, fields)
        row["flagged"] = "yes" if row["flagged"] else "no"
        writer.writerow({name: spreadsheet_text(value) for name, value in row.items()})
        count += 1
    return count


def export_records(
    transactions: Iterable[Transaction], tz: tzinfo, fields: Sequence[StatsField] = ()
) -> list[dict[str, Any]]:
    """The same rows for ``--format json``: one object per transaction."""
    return [export_row(t, tz, fields) for t in transactions]
