"""Picking a library field's answer from what staff typed (``askdesk.desk.fields.pick``)."""

from __future__ import annotations

import pytest

from askdesk.config import StatsField
from askdesk.desk.fields import pick

BRANCH = StatsField("branch", ("main", "east", "west"))


@pytest.mark.parametrize(
    ("typed", "choice"),
    [("2", "east"), (" 3 ", "west"), ("E", "east"), ("ma", "main"), ("4", None), ("0", None)],
)
def test_a_digit_is_a_place_in_the_list_and_letters_begin_a_choice(
    typed: str, choice: str | None
) -> None:
    assert pick(BRANCH, typed) == choice


@pytest.mark.parametrize("typed", ["²", "¹", "2²", "①"])
def test_a_character_only_unicode_calls_a_digit_picks_nothing(typed: str) -> None:
    # str.isdigit() is true for these but int() refuses them: it raised ValueError.
    assert pick(BRANCH, typed) is None
