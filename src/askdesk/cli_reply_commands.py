"""The command lines of ``reply``, ``templates`` and ``outbox``.

Apart from ``cli_replies``, which runs them: building the parser for any
command (``stats``, ``list``…) must not import the outbox and every channel.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from askdesk import cli_resolve
from askdesk.model import Outcome, QuestionType
from askdesk.model.message import READ_LEVELS


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("reply", "answer a conversation now (through the outbox)")
    p.add_argument("key")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--template", metavar="NAME", help="a template by name")
    text.add_argument("--text", metavar="TEXT", help="the reply's words")
    p.add_argument("--private", action="store_true", help="answer by private message")
    p.add_argument(
        "--public-ok",
        action="store_true",
        help="send a public reply even though it looks like it holds personal data",
    )
    p.add_argument("--resolve", action="store_true", help="resolve once the reply has gone out")
    p.add_argument(
        "--again",
        action="store_true",
        help="send it even though the same words went to this conversation in the last 10 minutes",
    )
    p.add_argument("--outcome", choices=[o.value for o in Outcome], default="answered")
    p.add_argument("--type", dest="question_type", choices=[t.value for t in QuestionType])
    p.add_argument("--read", type=int, choices=sorted(READ_LEVELS))
    cli_resolve.add_record_options(p)
    p = command("templates", "list the reply templates")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = command("outbox", "replies not yet sent; retry, cancel or confirm them")
    p.add_argument("--format", choices=["table", "json"], default="table")
    act = p.add_mutually_exclusive_group()
    act.add_argument("--send", action="store_true", help="send what is due now")
    act.add_argument("--retry", metavar="REPLY_ID", help="send a failed or uncertain reply again")
    act.add_argument("--cancel", metavar="REPLY_ID", help="never send this reply")
    act.add_argument(
        "--confirm-sent", metavar="REPLY_ID", help="you checked: an uncertain reply did go out"
    )
