"""The ``stats``, ``export``, ``purge`` and ``handover`` subcommands: Rich tables, JSON and CSV.

Nothing printed here quotes a patron except the one-line preview that
``handover`` shows while it asks what to do with each conversation.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, TextIO

from askdesk.channels import Channel
from askdesk.channels.base import Forgotten
from askdesk.cli_log import forget_patrons
from askdesk.cli_output import print_json, print_json_array, say
from askdesk.config import Config, StatsField
from askdesk.desk import Desk
from askdesk.desk.export import export_row, spreadsheet_text, write_csv
from askdesk.desk.fields import unknown_field
from askdesk.desk.handover import (
    KEEP,
    Choice,
    Decision,
    apply,
    held,
    shift_summary,
    summary_text,
)
from askdesk.desk.retention import Forget, PurgeResult, RetentionPolicy, channel_copies, purge
from askdesk.desk.stats import (
    DIMENSIONS,
    Group,
    Stats,
    credited,
    day_start,
    format_duration,
    format_minutes,
    read,
    stats_record,
    stored_in,
)
from askdesk.desk.text import inert, inert_text, one_line
from askdesk.desk.views import format_age
from askdesk.errors import AskdeskError
from askdesk.model import Conversation
from askdesk.model.opening_hours import OpeningHours
from askdesk.store import Store

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

BY_TITLES = {
    "channel": "channel",
    "kind": "kind",
    "type": "question type",
    "outcome": "outcome",
    "read": "READ level",
    "staff": "staff",
    "day": "day",
    "hour": "hour",
    "weekday": "weekday",
    "asked_hour": "hour asked",
    "asked_weekday": "weekday asked",
}
OVERVIEW = ("channel", "type", "outcome", "read", "staff")
"""The breakdowns ``stats`` prints when no ``--by`` is given."""


def parse_when(text: str, tz: tzinfo, now: datetime, *, end: bool = False) -> datetime:
    """A moment from the command line, in the statistics time zone unless it names one.

    ``2026-11-01`` is that day's midnight (with ``end``, the midnight after, so
    ``--until`` takes in the whole day); ``2026-11-01T13:00`` is that time;
    ``13:00`` is that time today.
    """
    text = text.strip()
    try:
        if len(text) <= 5 and ":" in text:
            clock = time.fromisoformat(text.zfill(5))
            return datetime.combine(now.astimezone(tz).date(), clock, tzinfo=tz)
        if len(text) == 10:
            day = date.fromisoformat(text)
            return day_start(day + timedelta(days=1) if end else day, tz)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise AskdeskError(
            f"{text!r} is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM or HH:MM"
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


def _range(
    args: argparse.Namespace, desk: Desk, tz: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """``--since`` and ``--until`` as moments; a store's transactions worked out under older
    rules are recomputed first (saying so), so the figures are this askdesk's."""
    now = desk.clock.now()
    since = parse_when(args.since, tz, now) if args.since else None
    until = parse_when(args.until, tz, now, end=True) if args.until else None
    if since is not None and until is not None and until <= since:
        raise AskdeskError("--until must come after --since")
    stale = desk.store.stale_transactions()
    if stale:
        say(
            f"recomputing the transactions of {stale} conversations under this askdesk's "
            "statistics rules: once, and `askdesk migrate` does it ahead of time",
            file=sys.stderr,
        )
        desk.store.refresh_transactions()
    return since, until


# -- stats --------------------------------------------------------------------------------


def run_stats(args: argparse.Namespace, desk: Desk, config: Config) -> int:
    tz = config.zone()
    fields = config.stats_fields
    chosen = _chosen_field(args.field, fields)
    since, until = _range(args, desk, tz)
    stats = read(
        desk.store,
        now=desk.clock.now(),
        tz=tz,
        since=since,
        until=until,
        fields=[f.name for f in fields],
        timed=_timed(args, chosen, fields),
        hours=config.hours,
        team=desk.team,
    )
    if args.format == "json":
        print_json(stats_record(stats, desk.clock.now(), fields, config.hours))
    elif args.format == "csv":
        if chosen is not None:
            _print_groups_csv(stats, [], [chosen])
        else:
            _print_groups_csv(stats, [args.by] if args.by else list(DIMENSIONS), fields)
    else:
        # Rich's console and tables only for the tables: JSON and CSV start without them.
        from rich.console import Console

        console = Console(highlight=False)
        console.print(_summary_table(stats, config.hours))
        if chosen is not None:
            console.print(_field_table(stats.field_groups(chosen), chosen.label, detail=True))
            return 0
        for dimension in [args.by] if args.by else OVERVIEW:
            console.print(_group_table(stats, dimension, detail=bool(args.by)))
        if not args.by:
            for field in fields:
                console.print(_field_table(stats.field_groups(field), field.label, detail=False))
    return 0


def _timed(
    args: argparse.Namespace, chosen: StatsField | None, fields: Sequence[StatsField]
) -> list[str]:
    """The breakdowns printed with their medians: every one in CSV, the one asked for
    in detail (``--by``, ``--field``); a median costs a sort, a count does not."""
    if chosen is not None:
        return [f"field:{chosen.name}"]
    if args.format == "csv":
        return [*([args.by] if args.by else DIMENSIONS), *(f"field:{f.name}" for f in fields)]
    return [args.by] if args.by and args.format != "json" else []


def _chosen_field(name: str | None, fields: Sequence[StatsField]) -> StatsField | None:
    """The field ``--field NAME`` asks for; an unknown name is refused naming the config key."""
    if name is None:
        return None
    chosen = next((f for f in fields if f.name == name), None)
    if chosen is None:
        raise AskdeskError(f"stats --field {name}: {unknown_field(name, fields)}")
    return chosen


def _range_label(stats: Stats) -> str:
    def day(at: datetime | None, end: bool) -> str:
        if at is None:
            return "the beginning" if not end else "now"
        local = at.astimezone(stats.tz)
        if local.time() == time() and end:
            return (local - timedelta(days=1)).date().isoformat()
        return local.date().isoformat() if local.time() == time() else f"{local:%Y-%m-%d %H:%M}"

    return f"{day(stats.since, False)} to {day(stats.until, True)} ({stats.tz})"


def _summary_table(stats: Stats, hours: OpeningHours | None = None) -> Table:
    from rich.table import Table

    table = Table(title=f"Reference statistics, {_range_label(stats)}", show_header=False)
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    first, resolve = stats.first_response(), stats.resolve_time()
    table.add_row("Reference transactions", str(stats.reference_transactions))
    table.add_row("Transactions (all)", str(stats.transaction_count))
    table.add_row(
        "First response (median / 90%)",
        f"{format_duration(first['median'])} / {format_duration(first['p90'])}",
    )
    if hours is not None:
        by_opening, open_count = (
            stats.first_response_by_opening(hours),
            stats.asked_while_open(hours),
        )
        for when, count in (("open", open_count), ("closed", stats.transaction_count - open_count)):
            figure = by_opening[when]
            table.add_row(
                f"  asked while {when} ({count})",
                f"{format_duration(figure['median'])} / {format_duration(figure['p90'])}",
            )
    table.add_row(
        "Time to resolve (median / 90%)",
        f"{format_duration(resolve['median'])} / {format_duration(resolve['p90'])}",
    )
    table.add_row("Flagged for review", str(stats.flagged))
    spent, recorded = stats.time_spent(), stats.time_spent_recorded
    table.add_row(
        "Time spent (total / median)",
        f"{format_minutes(spent['total'])} / {format_minutes(spent['median'])}"
        + (f" ({recorded} of {stats.transaction_count} recorded)" if recorded else ""),
    )
    oldest = stats.backlog_oldest_s
    table.add_row(
        f"Open backlog at {stats.as_of.astimezone(stats.tz):%Y-%m-%d %H:%M}",
        f"{stats.backlog_open}"
        + (f" (oldest {format_age(timedelta(seconds=oldest))})" if oldest is not None else ""),
    )
    return table


def _group_table(stats: Stats, dimension: str, *, detail: bool) -> Table:
    return _field_table(stats.groups(dimension), BY_TITLES[dimension], detail=detail)


def _field_table(groups: list[Group], title: str, *, detail: bool) -> Table:
    """One breakdown: a built-in dimension's, or a ``[[stats.fields]]``'s (its title from
    the config, so shown inert)."""
    from rich.table import Table

    table = Table(title=inert_text(f"By {title}", keep_newlines=False))
    table.add_column(inert_text(title[0].upper() + title[1:], keep_newlines=False))
    table.add_column("Transactions", justify="right")
    table.add_column("Share", justify="right")
    if detail:
        table.add_column("First response (median)", justify="right")
        table.add_column("To resolve (median)", justify="right")
    if not detail:  # the overview: what happened, most first
        groups = sorted((g for g in groups if g.transactions), key=lambda g: -g.transactions)
    for g in groups:
        cells: list[Text | str] = [
            inert_text(g.value, keep_newlines=False),
            str(g.transactions),
            f"{g.share:.0%}",
        ]
        if detail:
            cells += [
                format_duration(g.first_response_median_s),
                format_duration(g.resolve_median_s),
            ]
        table.add_row(*cells)
    return table


def _print_groups_csv(
    stats: Stats, dimensions: list[str], fields: Sequence[StatsField] = ()
) -> None:
    """Rows of ``dimension,value,…``; a library field's rows name it as ``field:NAME``."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(
        ["dimension", "value", "transactions", "first_response_median_s", "resolve_median_s"]
    )
    first, resolve = stats.first_response(), stats.resolve_time()
    writer.writerow(
        ["all", "", stats.transaction_count, _num(first["median"]), _num(resolve["median"])]
    )
    breakdowns = [(d, stats.groups(d)) for d in dimensions]
    breakdowns += [(f"field:{f.name}", stats.field_groups(f)) for f in fields]
    for dimension, groups in breakdowns:
        for g in groups:
            writer.writerow(
                [
                    dimension,
                    spreadsheet_text(g.value),
                    g.transactions,
                    _num(g.first_response_median_s),
                    _num(g.resolve_median_s),
                ]
            )


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else str(value)


# -- export -------------------------------------------------------------------------------


def run_export(args: argparse.Namespace, desk: Desk, config: Config) -> int:
    if args.excel and args.format != "csv":
        raise AskdeskError(
            "--excel is for CSV (it starts the file with a byte-order mark); "
            "leave it out with --format json"
        )
    tz = config.zone()
    transactions = credited(stored_in(desk.store, *_range(args, desk, tz)), desk.team)
    fields = config.stats_fields
    if args.format == "json":
        print_json_array(export_row(t, tz, fields) for t in transactions)
    else:
        _utf8(sys.stdout)
        write_csv(transactions, tz, sys.stdout, fields, excel=args.excel)
    return 0


def _utf8(out: TextIO) -> None:
    """The export is UTF-8 whatever the terminal's locale says (a spreadsheet expects it)."""
    if isinstance(out, io.TextIOWrapper) and codecs.lookup(out.encoding).name != "utf-8":
        out.reconfigure(encoding="utf-8")


# -- purge --------------------------------------------------------------------------------


def retention_policy(config: Config) -> RetentionPolicy:
    return RetentionPolicy(
        default_days=config.anonymize_after_days, channels=config.anonymize_days_by_channel()
    )


def retention_elsewhere(
    channels: Mapping[str, Channel], store: Store, policy: RetentionPolicy
) -> list[Forget]:
    """What askdesk keeps outside the store: the channels' copies, and the log files."""

    def log_records(result: PurgeResult) -> list[Forgotten]:
        return forget_patrons(result.marks, dry_run=result.dry_run)

    return [*channel_copies(channels.values(), store, policy), log_records]


def run_purge(args: argparse.Namespace, desk: Desk, config: Config) -> int:
    """Counts and ages, never keys (a key can hold a phone number) unless ``--verbose``."""
    from askdesk.cli_replies import build_channels

    policy = retention_policy(config)
    elsewhere = retention_elsewhere(build_channels(config), desk.store, policy)
    now = desk.clock.now()
    result = purge(desk.store, policy, now, dry_run=args.dry_run, elsewhere=elsewhere)
    say(result.summary())
    ages = result.ages()
    if ages is not None:
        say(f"  {ages}")
    for line in result.elsewhere(every_count=True):
        say(line)
    if args.verbose:
        for key in result.keys:
            say(f"  {key}")
    return 1 if result.problems else 0


# -- handover -----------------------------------------------------------------------------

PROMPT = "  [k]eep, [r]elease (r NOTE), [h]and to NAME (h NAME [NOTE]), enter = keep: "


def _interactive() -> bool:
    return sys.stdin.isatty()


def run_handover(args: argparse.Namespace, desk: Desk, config: Config) -> int:
    tz = config.zone()
    now = desk.clock.now()
    since = (
        parse_when(args.since, tz, now) if args.since else day_start(now.astimezone(tz).date(), tz)
    )
    mine = held(desk.live(), desk.staff, desk.team)
    note = args.note
    decisions: dict[str, Decision]
    if args.release_all:
        decisions = {c.key: Decision(Choice.RELEASE, note=note) for c in mine}
    elif args.to:
        to = desk.colleague(args.to)  # a name off the team list: refused before anything goes
        decisions = {c.key: Decision(Choice.HAND, to=to, note=note) for c in mine}
    elif args.keep or not mine or not _interactive():
        if mine and not args.keep:
            say(
                "(not a terminal: keeping everything; use --release-all, --to NAME or --keep)",
                file=sys.stderr,
            )
        decisions = {c.key: KEEP for c in mine}
    else:
        decisions = _ask_each(desk, mine, now)
    result = apply(desk, decisions)
    summary = shift_summary(
        desk.store.history(since),
        desk.live(),
        staff=desk.staff,
        since=since,
        now=now,
        result=result,
        target=timedelta(minutes=config.target_minutes),
        team=desk.team,
    )
    text = inert(summary_text(summary, tz))  # for people, on screen or in the saved file
    say(text, end="")
    if args.save is not None:
        try:
            args.save.expanduser().write_text(text, encoding="utf-8")
        except OSError as error:
            raise AskdeskError(f"could not save the summary to {args.save}: {error}") from error
        say(f"saved to {args.save}")
    return 1 if result.failed else 0


def _ask_each(desk: Desk, conversations: list[Conversation], now: datetime) -> dict[str, Decision]:
    say(f"You hold {len(conversations)}:")
    decisions: dict[str, Decision] = {}
    for c in conversations:
        age = format_age(now - c.waiting_since)
        say(f"{c.key}  {c.channel}  {age}  {one_line(c.latest.text, 70)}")
        while True:
            decision = parse_decision(input(PROMPT))
            if decision is not None and decision.to is not None:
                try:
                    decision = replace(decision, to=desk.colleague(decision.to))
                except AskdeskError as error:
                    say(f"  {error}")
                    continue
            if decision is not None:
                break
            say("  please answer k, r [NOTE] or h NAME [NOTE]")
        decisions[c.key] = decision
    return decisions


def parse_decision(answer: str) -> Decision | None:
    """``k``, ``r [NOTE]`` or ``h NAME [NOTE]`` (or the whole words); ``None`` if unclear."""
    word, _, rest = answer.strip().partition(" ")
    rest = rest.strip()
    match word.lower():
        case "" | "k" | "keep":
            return KEEP
        case "r" | "release":
            return Decision(Choice.RELEASE, note=rest or None)
        case "h" | "hand":
            name, _, note = rest.partition(" ")
            if not name:
                return None
            return Decision(Choice.HAND, to=name, note=note.strip() or None)
    return None
