"""The ``askdesk`` command: the desk by default, subcommands for scripts.

Every subcommand mirrors a key on the screen, so scripts and staff who use a
screen reader can do everything the dashboard does. Errors are one plain
sentence on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askdesk import __version__
from askdesk.cli_usage import UsageParser, nearest
from askdesk.clock import SystemClock
from askdesk.config import Config, load_config
from askdesk.errors import (
    AlreadyClaimed,
    AskdeskError,
    ConfigError,
    NotFound,
    StoreError,
    TransitionError,
)
from askdesk.model import Outcome, QuestionType, Status
from askdesk.model.message import READ_LEVELS

if TYPE_CHECKING:
    from askdesk.channels import Channel

log = logging.getLogger("askdesk")

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 70
LIVE_FETCH_S = 30.0
"""How long ``askdesk fetch`` waits for a chat connection to catch up."""


def _common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--config",
        type=Path,
        default=default,
        metavar="PATH",
        help="config file (env ASKDESK_CONFIG)",
    )
    parser.add_argument(
        "--store",
        default=default,
        metavar="PATH_OR_URL",
        help="store file or postgresql:// URL (env ASKDESK_STORE)",
    )
    parser.add_argument(
        "--as",
        dest="staff",
        default=default,
        metavar="NAME",
        help="your staff name (env ASKDESK_AS)",
    )


def build_parser() -> argparse.ArgumentParser:
    from askdesk import cli_resolve

    parser = UsageParser(
        prog="askdesk",
        description="Answer patrons' questions from every channel, from the keyboard. "
        "With no command, opens the desk.",
    )
    parser.add_argument("--version", action="version", version=f"askdesk {__version__}")
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _common(p, suppress=True)
        return p

    p = command("list", "list conversations on the desk")
    p.add_argument("--status", choices=["new", "claimed", "resolved", "all"], default="all")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = command("show", "show one conversation with its history")
    p.add_argument("key")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p = command("claim", "claim a conversation")
    p.add_argument("key")
    p.add_argument(
        "--take-over",
        action="store_true",
        help="take it over from the colleague who holds it (they are away)",
    )
    for name, help in [
        ("release", "release it to New"),
        ("reopen", "reopen a resolved conversation"),
        ("unflag", "clear a flag"),
    ]:
        command(name, help).add_argument("key")
    p = command("resolve", "resolve a conversation")
    p.add_argument("key")
    p.add_argument("--outcome", choices=[o.value for o in Outcome], default="answered")
    p.add_argument(
        "--type", dest="question_type", choices=[t.value for t in QuestionType], required=True
    )
    p.add_argument(
        "--read",
        type=int,
        choices=sorted(READ_LEVELS),
        required=True,
        help="READ scale effort level 1-6",
    )
    cli_resolve.add_record_options(p)
    p = command("flag", "flag a conversation for review")
    p.add_argument("key")
    p.add_argument("--reason", required=True)
    p = command("note", "add an internal note")
    p.add_argument("key")
    p.add_argument("text")
    p = command("hand", "hand a conversation to a colleague")
    p.add_argument("key")
    p.add_argument("--to", required=True, metavar="NAME")
    p.add_argument(
        "--new-colleague",
        action="store_true",
        help="NAME has never worked on this store, and that is right (not a typo)",
    )
    command("fetch", "poll every configured channel once and print what arrived")
    command(
        "serve",
        "run every channel, the outbox and retention without a screen, until SIGTERM or ctrl+c",
    )
    p = command("channels", "each channel's health: last poll, next poll, rate limit, last error")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _statistics_commands(command)
    from askdesk import cli_reply_commands, cli_store

    cli_reply_commands.add_commands(command)
    cli_store.add_commands(command)
    return parser


BY = [
    "channel",
    "kind",
    "type",
    "outcome",
    "read",
    "staff",
    "day",
    "hour",
    "weekday",
    "asked_hour",
    "asked_weekday",
]
"""``desk.stats.DIMENSIONS``, written out: the command line parses without importing the desk."""


def _statistics_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """stats, export, purge and handover (run by ``cli_stats``)."""

    def date_range(p: argparse.ArgumentParser) -> None:
        p.add_argument("--since", metavar="DATE", help="from the start of DATE (YYYY-MM-DD)")
        p.add_argument("--until", metavar="DATE", help="to the end of DATE (YYYY-MM-DD)")

    p = command("stats", "reference statistics for a date range (by when resolved)")
    date_range(p)
    by = p.add_mutually_exclusive_group()
    by.add_argument("--by", choices=BY, help="one breakdown in detail")
    by.add_argument(
        "--field",
        metavar="NAME",
        help="one of the library's [[stats.fields]] in detail, e.g. --field patron_type",
    )
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p = command("export", "one row per transaction for a statistics spreadsheet; no patron data")
    date_range(p)
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument(
        "--excel",
        action="store_true",
        help="start the CSV with a byte-order mark, so Excel reads it as UTF-8",
    )
    p = command(
        "purge",
        "anonymize resolved conversations past their retention time, and what askdesk "
        "keeps of them outside the store (drop files, drop outbox lines, log records)",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would go; change nothing")
    p.add_argument(
        "--verbose",
        action="store_true",
        help="also list the conversations' keys (a key can hold a phone number)",
    )
    p = command("handover", "end of shift: keep, release or hand on what you hold")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--keep", action="store_true", help="keep everything you hold")
    what.add_argument("--release-all", action="store_true", help="release everything to New")
    what.add_argument("--to", metavar="NAME", help="hand everything to this colleague")
    p.add_argument("--note", metavar="TEXT", help="a note left on each one that goes")
    p.add_argument(
        "--since", metavar="WHEN", help="start of the shift: HH:MM today or a date (default: 00:00)"
    )
    p.add_argument("--save", type=Path, metavar="PATH", help="also write the summary to PATH")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from askdesk.cli_log import start_logging

    log_path = start_logging(SystemClock().now().astimezone().date())
    try:
        from askdesk.desk.settings import check_config

        config = load_config(args.config, store=args.store, staff=args.staff)
        check_config(config)
        return _run(args, config)
    except AskdeskError as error:
        # The sentence names keys, people and paths, from outside: shown inert.
        from askdesk.cli_output import say

        say(f"askdesk: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception:
        log.exception("unexpected error")
        where = f" (details in {log_path})" if log_path else ""
        print(f"askdesk: unexpected error{where}", file=sys.stderr)
        return EXIT_BUG


def _open_desk(config: Config) -> Any:
    from askdesk.desk import Desk
    from askdesk.store import open_store

    return Desk(open_store(config.store), config.staff, SystemClock(), config.hot_days, config.team)


ACTING = frozenset(
    {"claim", "release", "reopen", "unflag", "resolve", "flag", "note", "hand", "handover"}
    | {"reply", "outbox"}
)
"""Commands that act as a staff member: with a team list, only as someone on it."""


def _require_member(config: Config, command: str | None) -> None:
    """Refuse to act as a login name the team list does not hold (no name was given).

    The desk on a terminal asks for the name instead; reading commands and the
    channel runners (a cron ``fetch``, ``serve`` under a service account) act as nobody.
    """
    if not (config.team and config.staff_guessed) or config.team.listed(config.staff):
        return
    if command is None and sys.stdin.isatty():
        return  # ask_staff_name asks for a name on the list
    if command is None or command in ACTING:
        raise ConfigError(
            config.team.refusal(config.staff, "your login name")
            + "; give yours with --as NAME or ASKDESK_AS"
        )


def _run(args: argparse.Namespace, config: Config) -> int:
    _require_member(config, args.command)
    if args.command is None:
        return _run_app(config)
    if args.command == "migrate":  # before the desk opens: it refuses an old schema
        from askdesk import cli_store

        return cli_store.run_migrate(config)
    if (
        isinstance(config.store, Path)
        and args.command not in ("fetch", "serve")
        and not config.store.exists()
    ):
        # Only the desk, fetch and serve make a store: anything else on a mistyped
        # path would report an empty desk as if it were the real one.
        raise StoreError(
            f"no store at {config.store} "
            "(check --store; the desk, askdesk fetch or askdesk serve creates one)"
        )
    desk = _open_desk(config)
    key = getattr(args, "key", None)
    try:
        return _run_command(args, config, desk, key)
    except NotFound as error:
        guess = _nearest_key(desk, key) if key else None
        if guess is None:
            raise
        raise NotFound(f"{error}; did you mean {guess}?") from error
    finally:
        desk.store.close()  # a database store's connections end cleanly


def _nearest_key(desk: Any, key: str) -> str | None:
    """The key on the desk ``key`` was most likely meant to be (``demo1-x``: ``demo:demo1-x``)."""
    keys: set[str] = set()
    for conversation in desk.live():
        keys.add(conversation.key)
        keys.update(conversation.message_keys())
    if key in keys:
        return None  # it exists: what was not found is something else (a reply id)
    same_id = sorted(k for k in keys if k.split(":", 1)[-1] == key)
    return same_id[0] if same_id else nearest(key, sorted(keys))


def _run_command(args: argparse.Namespace, config: Config, desk: Any, key: str | None) -> int:
    from askdesk import cli_output as out

    match args.command:
        case "list":
            status = None if args.status == "all" else Status(args.status)
            conversations = [c for c in desk.live() if status is None or c.status is status]
            conversations.sort(key=lambda c: c.waiting_since)
            if args.format == "json":
                out.print_json_array(out.records(conversations))
            else:
                out.print_table(conversations, desk.clock.now(), config)
        case "show":
            conversation = desk.get(key)
            if conversation is None:
                raise NotFound(f"no conversation or message {key} in {desk.store.location}")
            if args.format == "json":
                out.print_json(out.record(conversation))
            else:
                out.print_conversation(conversation, desk.clock.now(), config.zone())
        case "claim" if args.take_over:
            holder = getattr(desk.get(key), "holder", None)
            out.done(desk.take_over(key), f"taken over from {holder}")
        case "claim":
            try:
                claimed = desk.claim(key)
            except AlreadyClaimed as error:
                raise TransitionError(
                    f"{error}; add --take-over to take it over from {error.holder}"
                ) from None
            out.done(claimed, "claimed by you")
        case "release":
            out.done(desk.release(key), "released to New")
        case "reopen":
            out.done(desk.reopen(key), "reopened")
        case "unflag":
            out.done(desk.unflag(key), "flag cleared")
        case "resolve":
            from askdesk.cli_resolve import field_answers, recorded_words

            answers = field_answers(args, config)
            c = desk.resolve(
                key,
                Outcome(args.outcome),
                QuestionType(args.question_type),
                args.read,
                time_spent_min=args.minutes_spent,
                fields=answers,
            )
            extra = recorded_words(args.minutes_spent, answers)
            out.done(c, f"resolved ({args.outcome}, {args.question_type}, READ {args.read}{extra})")
        case "flag":
            out.done(desk.flag(key, args.reason), "flagged for review")
        case "note":
            out.done(desk.note(key, args.text), "note added")
        case "hand":
            to = desk.colleague(args.to)  # with a team list: as listed, or refused
            questioned = not desk.team and not args.new_colleague  # the list decides
            if questioned and to not in desk.known_staff(with_history=True):
                raise TransitionError(
                    f"nobody called {to} has worked on this store; check the spelling, "
                    "or add --new-colleague if they have not started yet"
                )
            out.done(desk.hand_off(key, to), f"handed to {to}")
        case "fetch":
            return _fetch(desk, config)
        case "serve":
            from askdesk.cli_replies import build_channels
            from askdesk.cli_serve import serve
            from askdesk.cli_stats import retention_elsewhere, retention_policy

            channels = build_channels(config)
            policy = retention_policy(config)
            elsewhere = retention_elsewhere(channels, desk.store, policy)
            return serve(desk, config, channels, policy, elsewhere=elsewhere)
        case "channels":
            return _channels(desk, config, args.format)
        case "store":
            from askdesk import cli_store

            return cli_store.run_copy(args, desk, config)
        case "reply" | "templates" | "outbox":
            from askdesk import cli_replies

            return cli_replies.run(args, desk, config)
        case "stats" | "export" | "purge" | "handover":
            from askdesk import cli_stats

            run = {
                "stats": cli_stats.run_stats,
                "export": cli_stats.run_export,
                "purge": cli_stats.run_purge,
                "handover": cli_stats.run_handover,
            }[args.command]
            return run(args, desk, config)
    return 0


def _poller(desk: Any, channels: Mapping[str, Channel], config: Config) -> Any:
    """The poller of the polled channels; live ones are held by a ``LiveRunner``."""
    from datetime import timedelta

    from askdesk.cli_replies import polled
    from askdesk.desk.sync import Poller

    return Poller(desk, polled(channels), lease_ttl=timedelta(seconds=config.lease_seconds))


def _live_runner(desk: Any, channels: Mapping[str, Channel], config: Config) -> Any:
    """The holder of the live channels (chat), or ``None`` when none is configured."""
    from datetime import timedelta

    from askdesk.desk.live import LiveRunner, live_only

    live = live_only(list(channels.values()))
    if not live:
        return None
    return LiveRunner(desk, live, lease_ttl=timedelta(seconds=config.lease_seconds))


def _run_app(config: Config) -> int:
    from askdesk.cli_replies import build_channels, reply_settings, senders
    from askdesk.cli_stats import retention_elsewhere, retention_policy
    from askdesk.desk.outbox import Outbox
    from askdesk.tui.app import AskdeskApp
    from askdesk.tui.keys import check_keymap

    check_keymap(config.keys, config.source)
    if config.staff_guessed and sys.stdin.isatty():
        config = ask_staff_name(config)
    desk = _open_desk(config)
    desk.archive_old()
    channels = build_channels(config)
    poller = _poller(desk, channels, config)
    live = _live_runner(desk, channels, config)
    app = AskdeskApp(
        desk,
        clock=desk.clock,
        poller=poller,
        live=live,
        outbox=Outbox(desk, senders(channels)),
        reply_settings=reply_settings(config, channels),
        library=config.library,
        target_minutes=config.target_minutes,
        demo=config.is_demo,
        keymap=config.keys,
        refresh_seconds=config.refresh_seconds,
        tz=config.zone(),
        retention=retention_policy(config),
        stats_fields=config.stats_fields,
        opening_hours=config.hours,
        retention_elsewhere=retention_elsewhere(channels, desk.store, retention_policy(config)),
    )
    try:
        app.run()
    finally:
        # Also when the desk crashed: its channels go to another askdesk at once,
        # not after the lease runs out (releasing twice is harmless).
        poller.release()
        if live is not None:
            live.stop()
        desk.store.close()
    return app.return_code or 0


def ask_staff_name(config: Config, ask: Callable[[str], str] = input) -> Config:
    """On a first start with no name given, ask for the name colleagues will see, and keep it.

    The login name is offered (enter takes it); the answer is written to the
    config file, so the next start does not ask again.
    """
    from dataclasses import replace

    from askdesk.cli_output import say
    from askdesk.config import remember_staff, staff_name

    say("askdesk: colleagues see your name on what you claim, note and resolve.", file=sys.stderr)
    if config.team:
        say(f"askdesk: the team list: {', '.join(config.team.members)}", file=sys.stderr)
    while True:
        answer = ask(f"Your name on the desk [{config.staff}]: ").strip() or config.staff
        try:
            name = staff_name(answer, "your name")
        except ConfigError as error:
            say(f"askdesk: {error}", file=sys.stderr)
            continue
        if config.team:
            listed = config.team.listed(name)
            if listed is None:
                say(f"askdesk: {config.team.refusal(name, 'your name')}", file=sys.stderr)
                continue
            name = listed
        break
    try:
        saved = remember_staff(name, config.source)
    except ConfigError as error:
        say(f"askdesk: {error}; using {name} for now", file=sys.stderr)
        return replace(config, staff=name, staff_guessed=False)
    say(f"askdesk: saved staff = {name!r} in {saved}", file=sys.stderr)
    return replace(config, staff=name, staff_guessed=False, source=saved)


def _fetch(desk: Any, config: Config) -> int:
    from askdesk.cli_output import say
    from askdesk.cli_replies import build_channels

    channels = build_channels(config)
    poller = _poller(desk, channels, config)
    failed = False
    try:
        for result in poller.poll_all():
            say(result.summary())
            for problem in result.problems:
                say(f"  skipped {problem}")
            failed = failed or result.error is not None
    finally:
        poller.release()  # a cron job must not keep the running desk from polling
    live = _live_runner(desk, channels, config)
    if live is not None:
        # A chat connection is held only long enough to bring in what waited.
        for name, outcome in live.catch_up(timeout=LIVE_FETCH_S).items():
            say(f"{name}: {outcome}")
            failed = failed or not (outcome.startswith(("caught up", "held by")))
    return EXIT_ERROR if failed else 0


def _channels(desk: Any, config: Config, format: str) -> int:
    from askdesk.desk.health import health_fields, health_record
    from askdesk.desk.sync import ChannelHealth

    records = desk.store.channel_records()
    now = desk.clock.now()
    healths = []
    for channel in config.effective_channels():
        record = records.get(channel.name, {})
        health = ChannelHealth.from_record(channel.name, channel.type, record.get("health") or {})
        lease = record.get("lease") or {}
        if lease.get("expires_at") and datetime.fromisoformat(lease["expires_at"]) > now:
            health.polled_by = lease.get("holder")
        else:
            health.polled_by = None  # nobody polls it right now
        healths.append(health)
    if format == "json":
        from askdesk.cli_output import print_json

        print_json([health_record(h) for h in healths])
        return 0
    from askdesk.cli_output import print_rows

    print_rows([health_fields(h, now) for h in healths])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
