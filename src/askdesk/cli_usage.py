"""argparse that says a usage error in one line and names what was probably meant.

A mistyped option (``--tpye``) is caught before argparse's own checks, which
would otherwise complain that ``--type`` is missing; an invalid choice
suggests the nearest one instead of listing them all.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

EXIT_USAGE = 2

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<value>[^']*)' \(choose from (?P<choices>.*)\)$")


def nearest(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate ``word`` was most likely meant to be, if any is close."""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


class UsageParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: what is wrong and what was meant.

    Subparsers are made of the same class (argparse's default), so every
    command checks its own options.
    """

    has_commands = False

    def add_subparsers(  # type: ignore[override]  # argparse's overloads; same behaviour
        self, **kwargs: Any
    ) -> argparse._SubParsersAction[UsageParser]:
        self.has_commands = True
        return super().add_subparsers(**kwargs)

    def parse_known_args(  # type: ignore[override]  # argparse's overloads; same behaviour
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        given = list(sys.argv[1:] if args is None else args)
        self._check_options(given)
        return super().parse_known_args(given, namespace)

    def _check_options(self, args: list[str]) -> None:
        # The option strings this parser knows (argparse keeps no public list of them).
        known = list(self._option_string_actions)
        for arg in args:
            if arg == "--" or (self.has_commands and not arg.startswith("-")):
                break  # positionals only, or a command whose own parser checks the rest
            if not arg.startswith("--") or " " in arg:
                continue  # argparse too takes "--- see below" as a value, not an option
            name = arg.split("=", 1)[0]
            if name in known or any(option.startswith(name) for option in known):
                continue  # argparse accepts an unambiguous abbreviation itself
            guess = nearest(name, [option for option in known if option.startswith("--")])
            self.error(f"unknown option {name}" + (f"; did you mean {guess}?" if guess else ""))

    def error(self, message: str) -> NoReturn:
        match = _INVALID_CHOICE.search(message)
        if match:
            choices = re.findall(r"'([^']*)'", match["choices"])
            guess = nearest(match["value"], choices)
            if guess:
                message = message[: match.start()] + (
                    f"invalid choice '{match['value']}'; did you mean '{guess}'?"
                )
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")
