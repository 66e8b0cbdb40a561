"""Personal data in a reply, found before it goes out in public.

A patron's email address, phone number or card number in a public reply is a
breach of a confidential library record; ``personal_data`` lists what it sees
so the composer can warn staff. It errs towards warning, but leaves years,
dates, times, prices, ISBNs and call numbers alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from askdesk.errors import ConfigError

CUSTOM_LABEL = "a library card or account number"
"""What a match of a configured pattern is called, unless the pattern names a group."""

_EMAIL = re.compile(
    r"(?<![\w.@+-])[\w.+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
# A run of digit groups joined by one space, dot or hyphen, perhaps with a "+"
# country code and an area code in parentheses; _is_phone decides.
_NUMBER = re.compile(
    r"(?<![\w+/.,@#$£€-])"
    r"(?:\+ ?\d{1,3}[ .-]?)?"
    r"(?:\(\d{1,5}\) ?)?"
    r"\d+(?:[ .-]\d+)*"
    r"(?![\w@]|[.,]\d|-[\dXx])"
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_DATE = re.compile(
    r"(?:1[89]|20)\d\d[.-](?:0?[1-9]|1[0-2])[.-](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[.-](?:0?[1-9]|[12]\d|3[01])[.-](?:1[89]|20)\d\d"
)
_TIME_RANGE = re.compile(r"\d{1,2}\.\d{2} ?- ?\d{1,2}\.\d{2}")
_MIN_DIGITS, _MAX_DIGITS = 7, 15


def compile_patterns(patterns: Sequence[str], where: str) -> list[re.Pattern[str]]:
    """The configured patterns, compiled; ``ConfigError`` names the first that is not a regex."""
    compiled: list[re.Pattern[str]] = []
    for number, pattern in enumerate(patterns, start=1):
        if not isinstance(pattern, str) or not pattern:
            raise ConfigError(
                f"{where}: privacy pattern #{number} should be a non-empty string, not {pattern!r}"
            )
        try:
            compiled.append(re.compile(pattern))
        except re.error as error:
            raise ConfigError(
                f"{where}: privacy pattern #{number} {pattern!r} is not a valid regular "
                f"expression ({error})"
            ) from None
    return compiled


def personal_data(
    text: str, extra_patterns: Sequence[str] = (), *, known: Collection[str] = ()
) -> list[str]:
    """What in ``text`` looks like a patron's personal data, in reading order.

    Each finding reads "an email address (jkim@example.org)". ``extra_patterns``
    are the library's own regular expressions (card and account numbers); a
    match is called a library card or account number, or after the pattern's
    named group, so ``(?P<library_card_number>…)`` reads "a library card
    number". ``known`` holds the library's own details (its phone number and
    email address, the template variables), which are never reported.
    """
    masked = _mask(text, known)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []

    def claim(start: int, end: int, finding: str) -> None:
        if any(start < stop and begin < end for begin, stop in taken):
            return
        taken.append((start, end))
        found.append((start, finding))

    for pattern in compile_patterns(extra_patterns, "privacy patterns"):
        for match in pattern.finditer(masked):
            if match.end() > match.start():
                claim(match.start(), match.end(), f"{_label(match)} ({_shown(match.group())})")
    for match in _EMAIL.finditer(masked):
        claim(match.start(), match.end(), f"an email address ({match.group()})")
    urls = [match.span() for match in _URL.finditer(masked)]
    for match in _NUMBER.finditer(masked):
        span = _phone_span(match)
        if span is None or any(start <= span[0] < end for start, end in urls):
            continue
        claim(*span, f"a phone number ({_shown(masked[span[0] : span[1]])})")
    findings: list[str] = []
    for _, finding in sorted(found, key=lambda item: item[0]):
        if finding not in findings:
            findings.append(finding)
    return findings


def _mask(text: str, known: Collection[str]) -> str:
    """``text`` with the library's own details blanked out, keeping every offset."""
    for value in sorted((v for v in known if len(v.strip()) >= 3), key=len, reverse=True):
        text = text.replace(value, " " * len(value))
    return text


def _label(match: re.Match[str]) -> str:
    named = [name for name, value in match.groupdict().items() if value]
    if not named:
        return CUSTOM_LABEL
    words = named[0].replace("_", " ")
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def _shown(value: str) -> str:
    return " ".join(value.split())


def _phone_span(match: re.Match[str]) -> tuple[int, int] | None:
    """Where the phone number in a run of digits is, or ``None`` if it is not one."""
    start, end = match.span()
    run = match.group()
    # "In 2026 555-0142": a year in front of the number is not part of it.
    leading = re.match(r"(?:1[89]|20)\d\d ", run)
    if leading and not run.startswith(("+", "(")):
        start, run = start + leading.end(), run[leading.end() :]
    return (start, end) if _is_phone(run) else None


def _is_phone(run: str) -> bool:
    digits = re.sub(r"\D", "", run)
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        return False
    groups = re.findall(r"\d+", run)
    international = run.startswith("+")
    if len(groups) == 1:
        return international  # an unbroken run of digits is an id or a barcode, unless +E.164
    longest = max(len(group) for group in groups)
    pairs = len(digits) == 10 and len(groups) == 5  # 01 23 45 67 89, as in France
    if not international and (longest > 5 or (longest < 3 and not pairs)):
        return False
    if len(groups) == 2 and "." in run:
        return False  # 973.7349: a decimal or a Dewey number, not 555.0142
    if _DATE.fullmatch(run) or _TIME_RANGE.fullmatch(run):
        return False
    if len(groups) == 2 and all(len(g) == 4 and _YEAR.fullmatch(g) for g in groups):
        return False  # 1990-2026
    return not _is_isbn(digits, groups)


def _is_isbn(digits: str, groups: list[str]) -> bool:
    if len(digits) == 13 and digits.startswith(("978", "979")):
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
        return total % 10 == 0
    if len(digits) == 10 and len(groups) == 4:
        total = sum(int(d) * (10 - i) for i, d in enumerate(digits))
        return total % 11 == 0
    return False
