"""What ``askdesk resolve`` and ``askdesk reply --resolve`` record beside the READ level:
minutes spent and the library's own ``[[stats.fields]]``, as the resolve dialog does."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from askdesk.config import Config
from askdesk.desk.fields import check_answers, parse_assignments
from askdesk.model.message import MAX_MINUTES_SPENT


def minutes(text: str) -> int:
    """``--minutes-spent``: a whole number of minutes from 0 to a day."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of minutes") from None
    if not 0 <= value <= MAX_MINUTES_SPENT:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and {MAX_MINUTES_SPENT}")
    return value


def add_record_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--minutes-spent",
        type=minutes,
        metavar="N",
        help="minutes you spent on it (recorded beside the READ level)",
    )
    p.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=CHOICE",
        help="answer one of the library's [[stats.fields]], e.g. --field branch=main (repeatable)",
    )


def field_answers(
    args: argparse.Namespace, config: Config, proposed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The ``--field`` answers over what a template ``proposed``, checked against the config."""
    given = {**(proposed or {}), **parse_assignments(args.field)}
    return check_answers(config.stats_fields, given)


def recorded_words(minutes_spent: int | None, answers: Mapping[str, str]) -> str:
    """``, 12 min, patron_type adult`` for the line that says what was resolved."""
    parts = [f"{minutes_spent} min"] if minutes_spent is not None else []
    parts += [f"{name} {choice}" for name, choice in answers.items()]
    return "".join(f", {part}" for part in parts)
