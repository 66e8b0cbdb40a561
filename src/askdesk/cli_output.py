"""How the command line prints: Rich tables and lines for people, JSON for scripts.

Every string from outside (a key, a name, a channel's error, a patron's words)
reaches people through ``inert``: ``say`` for a line, ``inert_text`` for Rich,
which never parses markup. JSON is data and stays exact (it escapes control
characters itself).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, TextIO

import orjson
from rich.cells import cell_len
from rich.text import Text

from askdesk.config import Config
from askdesk.desk.records import conversation_record, describe_event
from askdesk.desk.text import fit, inert, inert_text
from askdesk.desk.views import format_ago, row_for
from askdesk.model import Conversation

if TYPE_CHECKING:
    from rich.console import Console


def say(text: str, *, file: TextIO | None = None, end: str = "\n") -> None:
    """Print ``text`` for people, inert: the one ``print`` of the command line."""
    print(inert(text), file=file or sys.stdout, end=end)


def _console() -> Console:
    # Imported here: a command that prints JSON (``stats``, ``list --format json``)
    # starts without Rich's console, 0.02-0.03 s of its start.
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def records(conversations: Iterable[Conversation]) -> Iterator[dict[str, Any]]:
    return (conversation_record(c) for c in conversations)


def record(conversation: Conversation) -> dict[str, Any]:
    return conversation_record(conversation, full=True)


def print_json(data: Any) -> None:
    # One write: json.dump writes every token on its own, and where stdout is
    # unbuffered (PYTHONUNBUFFERED) each is a system call; a year's stats by day
    # made 80,000 of them, a tenth of a second.
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_json_array(items: Iterable[dict[str, Any]]) -> None:
    """``print_json`` of a list, written item by item as each is made.

    The same text as ``print_json(list(items))``, but neither the list nor its
    text is ever whole in memory, and 100,000 conversations take about a second,
    not the stdlib encoder's six.
    """
    out = sys.stdout
    out.write("[")
    first = True
    for item in items:
        # orjson's indent is the stdlib's with indent=2; inside the array every
        # line sits two spaces deeper (a JSON string never holds a raw newline).
        text = orjson.dumps(item, option=orjson.OPT_INDENT_2).decode()
        out.write(("\n  " if first else ",\n  ") + text.replace("\n", "\n  "))
        first = False
    out.write("]\n" if first else "\n]\n")


TABLE_CHUNK = 1000
"""Table lines handed to the terminal at a time: few enough calls, and output starts at once."""


def print_table(conversations: list[Conversation], now: datetime, config: Config) -> None:
    if not conversations:
        _console().print(Text("No conversations."))
        return
    target = timedelta(minutes=config.target_minutes)
    lines = [
        [
            inert(row.key, keep_newlines=False),
            row.status.value,
            row.channel,
            row.author,
            row.age + (" LATE" if row.overdue else ""),
            row.holder,
            row.flag or "",
            row.preview,
        ]
        for row in (row_for(c, now, target) for c in conversations)
    ]
    headers = ["KEY", "STATUS", "CHANNEL", "AUTHOR", "AGE", "HOLDER", "FLAG", "TEXT"]
    widths = []
    for i, header in enumerate(headers[:-1]):
        widest = max([len(header), *(cell_len(line[i]) for line in lines)])
        # Keys are what people copy into the next command: never cut them.
        widths.append(widest if header == "KEY" else min(widest, 20))
    console = _console()
    widths.append(max(20, console.width - sum(widths) - 2 * len(widths)))

    def line_text(cells: list[str]) -> str:
        return "  ".join(
            fit(cell, width) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    # Lines never wrap: a narrow terminal cuts them, a pipe gets them whole.
    console.print(Text(line_text(headers), style="bold"), soft_wrap=True)
    # The rows carry no style, and every cell is inert already: they go out as
    # plain lines, a chunk at a time. One growing ``Text`` re-joined its whole
    # self for every line (8,000 conversations took three minutes), and Rich
    # rendering 100,000 plain lines costs seconds more than writing them.
    for start in range(0, len(lines), TABLE_CHUNK):
        chunk = lines[start : start + TABLE_CHUNK]
        console.file.write("".join(line_text(line) + "\n" for line in chunk))
    console.file.flush()


def print_conversation(c: Conversation, now: datetime, tz: tzinfo) -> None:
    """The whole conversation for people, times in the library's zone."""
    console = _console()
    status = c.status.value + (f" by {c.holder}" if c.holder else "")
    console.print(inert_text(f"{c.key}  {c.channel} {c.kind.value}  {status}", style="bold"))
    if c.flag:
        console.print(inert_text(f"FLAGGED: {c.flag}"))
    console.print()
    for m in c.messages:
        console.print(
            inert_text(
                f"{m.author}  {m.received_at.astimezone(tz):%Y-%m-%d %H:%M} "
                f"({format_ago(now - m.received_at)})  {m.key}",
                style="bold",
                keep_newlines=False,
            )
        )
        console.print(inert_text(m.text))
        if m.url:
            console.print(inert_text(m.url, style="dim", keep_newlines=False))
        console.print()
    if c.replies:
        console.print(Text("Replies", style="bold"))
        for r in c.replies:
            when = f"{(r.sent_at or r.created_at).astimezone(tz):%Y-%m-%d %H:%M}"
            via = f" from {', '.join(r.templates)}" if r.templates else ""
            route = " (private)" if r.private else ""
            head = f"  {when}  {r.staff}  {r.status.value}{route}{via}"
            console.print(inert_text(head, style="bold", keep_newlines=False))
            if r.last_error and r.status.value != "sent":
                console.print(inert_text(f"  {r.last_error}", keep_newlines=False))
            console.print(inert_text("  " + r.text.replace("\n", "\n  ")))
        console.print()
    console.print(Text("History", style="bold"))
    for e in c.events:
        console.print(
            inert_text(
                f"  {e.at.astimezone(tz):%Y-%m-%d %H:%M}  {e.staff:<10} "
                f"{describe_event(e.action, e.details)}"
            )
        )


def done(c: Conversation, what: str) -> None:
    say(f"{c.key}: {what}")


def print_rows(rows: list[dict[str, str]]) -> None:
    """A plain aligned table of ``rows`` (column -> value), every value made inert."""
    if not rows:
        say("Nothing to show.")
        return
    columns = list(rows[0])
    widths = {
        c: max(len(c), *(cell_len(inert(r[c], keep_newlines=False)) for r in rows)) for c in columns
    }
    console = _console()
    out = Text()
    out.append("  ".join(fit(c.upper(), widths[c]) for c in columns).rstrip() + "\n", style="bold")
    for row in rows:
        cells = (fit(inert(row[c], keep_newlines=False), widths[c]) for c in columns)
        out.append("  ".join(cells).rstrip() + "\n")
    console.print(out, end="", soft_wrap=True)
