"""The library's own statistics fields (``[[stats.fields]]``): answering them and checking answers.

The resolve dialog and ``askdesk resolve --field`` both go through here, so a
choice means the same thing from the keyboard and from a script.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from askdesk.config import StatsField
from askdesk.errors import ConfigError, TransitionError


def pick(field: StatsField, typed: str) -> str | None:
    """The choice staff mean by ``typed``: a digit is its place in the list (1-9),
    letters are the first letters of a choice (the first one that fits)."""
    typed = typed.strip()
    if not typed:
        return None
    if typed.isascii() and typed.isdigit():  # "²" is a digit to isdigit, not to int
        number = int(typed)
        return field.choices[number - 1] if 1 <= number <= len(field.choices) else None
    folded = typed.casefold()
    return next((c for c in field.choices if c.casefold().startswith(folded)), None)


def missing(fields: Sequence[StatsField], answers: Mapping[str, str]) -> list[StatsField]:
    """The required fields not answered in ``answers``."""
    return [f for f in fields if f.required and not answers.get(f.name)]


def check_answers(
    fields: Sequence[StatsField], answers: Mapping[str, str], *, flag: str = "--field"
) -> dict[str, str]:
    """``answers`` as the config spells them; refused in one sentence if a name or choice
    is not in ``[[stats.fields]]`` or a required field is left out.

    A choice matches whatever its case (``--field branch=Main`` is ``main``).
    """
    by_name = {f.name: f for f in fields}
    checked: dict[str, str] = {}
    for name, value in answers.items():
        field = by_name.get(name)
        if field is None:
            raise TransitionError(f"{flag} {name}: {unknown_field(name, fields)}")
        choice = next((c for c in field.choices if c.casefold() == value.strip().casefold()), None)
        if choice is None:
            raise TransitionError(
                f"{flag} {name}={value}: not one of its choices in [[stats.fields]] "
                f"({', '.join(field.choices)})"
            )
        checked[name] = choice
    unanswered = missing(fields, checked)
    if unanswered:
        f = unanswered[0]
        raise TransitionError(
            f"{f.label} is required ([[stats.fields]] {f.name}): "
            f"add {flag} {f.name}=CHOICE, one of {', '.join(f.choices)}"
        )
    return checked


def unknown_field(name: str, fields: Sequence[StatsField]) -> str:
    """The sentence for a field name the config does not define."""
    if not fields:
        return "no field of that name: the config defines no [[stats.fields]]"
    known = ", ".join(f.name for f in fields)
    return f"no field of that name in [[stats.fields]] (configured: {known})"


def parse_assignments(given: Iterable[str], *, flag: str = "--field") -> dict[str, str]:
    """``NAME=CHOICE`` strings from the command line, as a dict; a name given twice is refused."""
    answers: dict[str, str] = {}
    for text in given:
        name, equals, value = text.partition("=")
        name = name.strip()
        if not equals or not name or not value.strip():
            raise TransitionError(f"{flag} {text}: write it as NAME=CHOICE, e.g. branch=main")
        if name in answers:
            raise TransitionError(f"{flag} {name} is given twice")
        answers[name] = value
    return answers


def check_field_names(fields: Sequence[StatsField], columns: Iterable[str], where: str) -> None:
    """A field is an export column: its name must not be one the export already has."""
    taken = set(columns)
    for number, field in enumerate(fields, start=1):
        if field.name in taken:
            raise ConfigError(
                f"{where}: stats.fields #{number}.name {field.name!r} is already a column "
                "of the export; choose another name"
            )
