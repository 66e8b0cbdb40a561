"""``askdesk reply``, ``askdesk templates`` and ``askdesk outbox``: answering from a shell.

The same checks as the composer: the platform's length limit, a warning (and
a refusal without ``--public-ok``) for personal data in a public reply, the
claim rules, and the outbox's exactly-once sending.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console

from askdesk import cli_resolve
from askdesk.channels import (
    Channel,
    CountsSegments,
    GuardsReplies,
    PolledChannel,
    ReportsLengthLimit,
    Sender,
)
from askdesk.cli_output import say
from askdesk.config import Config
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import HELD_ELSEWHERE, REPEAT_WINDOW, Outbox, SendResult
from askdesk.desk.templates import load_templates
from askdesk.desk.text import fit, inert_text, one_line
from askdesk.errors import NotFound, RepeatedReply, TransitionError
from askdesk.model import Outcome, QuestionType, ReplyStatus

EXIT_ERROR = 1
OTHER_SENDER_WAIT_S = 30.0
"""How long ``askdesk reply`` waits for a desk that took its reply to finish sending it."""


def reply_settings(config: Config, channels: Mapping[str, Channel]) -> ReplySettings:
    templates, variables = load_templates(config.templates, config.stats_fields, config.hours)
    return ReplySettings(
        templates=templates,
        variables=variables,
        library=config.library,
        hours=config.hours,
        tz=config.zone(),
        privacy_patterns=config.privacy_patterns,
        mastodon_limit=config.mastodon_limit,
        sms_max_segments=config.sms_max_segments,
        platforms={
            **{c.name: c.type for c in config.effective_channels()},
            **{name: channel.type for name, channel in channels.items()},
        },
        private_routes=frozenset(
            name for name, sender in senders(channels).items() if sender.can_send_private
        ),
        max_segments={
            name: channel.max_segments
            for name, channel in channels.items()
            if isinstance(channel, CountsSegments)
        },
        guards={
            name: channel
            for name, channel in channels.items()
            if isinstance(channel, GuardsReplies)
        },
        length_limits=length_limits(channels),
    )


def length_limits(channels: Mapping[str, Channel]) -> Callable[[str], int | None]:
    """Each channel's own reply limit, read live: a Mastodon instance's, once it has said."""

    def limit(name: str) -> int | None:
        channel = channels.get(name)
        return channel.length_limit if isinstance(channel, ReportsLengthLimit) else None

    return limit


def build_channels(config: Config) -> dict[str, Channel]:
    # Here, not at the top: the registry imports every platform's adapter, which
    # commands that never reach a channel (stats, list, claim…) should not pay for.
    from askdesk.channels.registry import build_channel

    return {c.name: build_channel(c) for c in config.effective_channels()}


def senders(channels: Mapping[str, Channel]) -> dict[str, Sender]:
    """The channels that can answer, by name: what the outbox sends through."""
    return {name: channel for name, channel in channels.items() if isinstance(channel, Sender)}


def polled(channels: Mapping[str, Channel]) -> list[PolledChannel]:
    """The channels the poller fetches from."""
    return [channel for channel in channels.values() if isinstance(channel, PolledChannel)]


def run(args: argparse.Namespace, desk: Desk, config: Config) -> int:
    channels = build_channels(config)
    settings = reply_settings(config, channels)
    outbox = Outbox(desk, senders(channels))
    match args.command:
        case "reply":
            return _reply(args, desk, config, settings, outbox)
        case "templates":
            return _templates(args, settings)
        case "outbox":
            return _outbox(args, outbox)
    return 0


def _reply(
    args: argparse.Namespace, desk: Desk, config: Config, settings: ReplySettings, outbox: Outbox
) -> int:
    conversation = desk.get(args.key)
    if conversation is None:
        raise NotFound(f"no conversation or message {args.key} in {desk.store.location}")
    templates: tuple[str, ...] = ()
    question_type, read = args.question_type, args.read
    proposed: Mapping[str, str] = {}
    if args.template:
        template = settings.template(args.template)
        text = settings.render(template, conversation, desk.staff, desk.clock.now())
        templates = (template.name,)
        question_type = question_type or template.question_type
        read = read or template.read
        proposed = template.fields
    else:
        text = args.text
    if args.resolve and (question_type is None or read is None):
        raise TransitionError("--resolve needs --type and --read (or a template that gives them)")
    # Checked before anything is sent: a typo must not leave a reply out and the question open.
    answers = cli_resolve.field_answers(args, config, proposed) if args.resolve else {}
    refused = settings.refusal(text, conversation, args.private, desk.clock.now())
    if refused:
        raise TransitionError(refused)
    warnings = settings.privacy_warnings(text, conversation, args.private)
    if warnings and not args.public_ok:
        route = " or --private" if settings.can_go_private(conversation) else ""
        raise TransitionError(
            f"this public reply looks like it contains {', '.join(warnings)}; "
            f"send it with --public-ok{route}"
        )
    try:
        conversation, reply = outbox.queue(
            conversation.key,
            text,
            templates=templates,
            private=args.private,
            refuse_repeat_within=None if args.again else REPEAT_WINDOW,
        )
    except RepeatedReply as repeated:
        # Most likely the same command run twice: one line, and the way to mean it.
        raise TransitionError(f"{repeated}; add --again to send it once more") from None
    result = _outcome(outbox, outbox.send(conversation.key, reply.id))
    say(str(result))
    if args.resolve and result.status is ReplyStatus.SENT:
        desk.resolve(
            conversation.key,
            Outcome(args.outcome),
            QuestionType(question_type),
            read,
            time_spent_min=args.minutes_spent,
            fields=answers,
        )
        extra = cli_resolve.recorded_words(args.minutes_spent, answers)
        say(f"{conversation.key}: resolved ({args.outcome}, {question_type}, READ {read}{extra})")
    elif args.resolve:
        # A reply that did not go out answers nobody: the conversation stays claimed.
        say(f"askdesk: {conversation.key} was not resolved", file=sys.stderr)
    return _exit_for(result)


def _outcome(outbox: Outbox, result: SendResult) -> SendResult:
    """The send's outcome; a desk that took the reply first is waited for a moment."""
    if result.status is ReplyStatus.SENDING and not result.taken:
        return outbox.outcome(result.key, result.reply_id, wait_s=OTHER_SENDER_WAIT_S)
    return result


def _exit_for(result: SendResult) -> int:
    """0 only when the reply reached the patron (whoever sent it); otherwise say where it is."""
    if result.status is ReplyStatus.SENT:
        return 0
    if result.status is ReplyStatus.PENDING and result.detail == HELD_ELSEWHERE:
        return 0  # queued as it should be: the askdesk holding the chat sends it
    say(
        f"askdesk: the reply is kept and will be retried: see `askdesk outbox` "
        f"(reply {result.reply_id})",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _templates(args: argparse.Namespace, settings: ReplySettings) -> int:
    if args.format == "json":
        from askdesk.cli_output import print_json

        print_json(
            [
                {
                    "name": t.name,
                    "key": t.key,
                    "body": t.body,
                    "variants": dict(t.variants),
                    "type": t.question_type,
                    "read": t.read,
                    "out_of_hours": t.out_of_hours,
                }
                for t in settings.templates
            ]
        )
        return 0
    console = Console(highlight=False, soft_wrap=True)
    for t in settings.templates:
        variants = f"  (variants: {', '.join(t.variants)})" if t.variants else ""
        name = fit(one_line(t.name, 26), 26)
        console.print(inert_text(f"{t.key or ' '}  {name}{one_line(t.body, 70)}{variants}"))
    return 0


def _outbox(args: argparse.Namespace, outbox: Outbox) -> int:
    def locate(reply_id: str) -> str:
        for conversation, reply in outbox.open_replies():
            if reply.id.startswith(reply_id):
                return conversation.key
        raise NotFound(f"no open reply {reply_id} in the outbox")

    def full_id(reply_id: str) -> str:
        return next(r.id for _, r in outbox.open_replies() if r.id.startswith(reply_id))

    try:
        if args.retry:
            key, reply_id = locate(args.retry), full_id(args.retry)
            retried = outbox.retry(key, reply_id)
            say(str(retried))
            if retried.status is ReplyStatus.UNCERTAIN:
                say(
                    f"askdesk: check on the platform whether it arrived, then "
                    f"`askdesk outbox --confirm-sent {args.retry}` if it did, "
                    f"or `askdesk outbox --retry {args.retry}` to send it again",
                    file=sys.stderr,
                )
                return EXIT_ERROR
            if retried.status is not ReplyStatus.PENDING:
                return 0 if retried.status is ReplyStatus.SENT else EXIT_ERROR
            result = _outcome(outbox, outbox.send(key, reply_id))
            say(str(result))
            return _exit_for(result)
        if args.cancel:
            outbox.cancel(locate(args.cancel), full_id(args.cancel))
            say(f"reply {args.cancel}: cancelled")
            return 0
        if args.confirm_sent:
            outbox.confirm_sent(locate(args.confirm_sent), full_id(args.confirm_sent))
            say(f"reply {args.confirm_sent}: recorded as sent")
            return 0
    except StopIteration:
        raise NotFound("no such open reply in the outbox") from None
    if args.send:
        return _send_due(outbox)
    return _list(args, outbox)


def _send_due(outbox: Outbox) -> int:
    results = outbox.run_due()
    for result in results:
        say(str(result))
    return EXIT_ERROR if any(r.status is not ReplyStatus.SENT for r in results) else 0


def _list(args: argparse.Namespace, outbox: Outbox) -> int:
    rows: list[dict[str, Any]] = [
        {
            "key": c.key,
            "reply_id": r.id,
            "status": r.status.value,
            "staff": r.staff,
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else None,
            "last_error": r.last_error,
            "text": r.text,
        }
        for c, r in outbox.open_replies()
    ]
    if args.format == "json":
        from askdesk.cli_output import print_json

        print_json(rows)
        return 0
    if not rows:
        say("The outbox is empty: every reply has been sent.")
        return 0
    console = Console(highlight=False, soft_wrap=True)
    for row in rows:
        line = (
            f"{row['reply_id'][:8]}  {fit(row['status'], 9)} {one_line(row['key'])}"
            f"  tries {row['attempts']}"
        )
        if row["last_error"]:
            line += f"  {one_line(row['last_error'], 90)}"
        console.print(inert_text(line))
    return 0
