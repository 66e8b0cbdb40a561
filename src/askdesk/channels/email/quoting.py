"""Where a patron's own words end in a mail body: quoted earlier mail and signatures follow.

The desk's row shows only what the patron wrote this time; the conversation
view keeps the rest. Mail clients mark what they quote in a few well-known
ways, and signatures start with the ``-- `` line of RFC 3676 or a phone's
"Sent from my …"; anything else is the patron's own.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^(On .{0,200}wrote:|Am .{0,200}schrieb .{0,100}:|Le .{0,200}a écrit\s?:"
    r"|El .{0,200}escribió:|Op .{0,200}schreef .{0,100}:)\s*$",
    re.IGNORECASE,
)
_SEPARATORS = (
    re.compile(
        r"^-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht)\s*-{2,}$", re.I
    ),
    re.compile(r"^_{20,}$"),  # Outlook's rule above the quoted headers
    re.compile(r"^Sent from my \w[\w ]{0,40}$", re.IGNORECASE),
)
_SIGNATURE = "-- "


def fold_point(body: str) -> int | None:
    """The offset in ``body`` where quoted mail or a signature begins, or ``None``.

    A ``>`` line counts only with nothing but quotes, blank lines and further
    signature lines after it: a patron who quotes one line and answers below
    it has written below it.
    """
    lines = body.splitlines(keepends=True)
    offsets = []
    position = 0
    for line in lines:
        offsets.append(position)
        position += len(line)
    for index, line in enumerate(lines):
        bare = line.rstrip("\r\n")
        if bare == _SIGNATURE or any(pattern.match(bare) for pattern in _SEPARATORS):
            return _start_of_blank_run(lines, offsets, index)
        if _ATTRIBUTION.match(bare.strip()) and _quoted_from(lines, index + 1):
            return _start_of_blank_run(lines, offsets, index)
        if bare.startswith(">") and _quoted_from(lines, index):
            return _start_of_blank_run(lines, offsets, index)
    return None


def _quoted_from(lines: list[str], index: int) -> bool:
    """Whether the lines from ``index`` on are quotes (with blanks, a signature) to the end."""
    rest = [line.rstrip("\r\n") for line in lines[index:]]
    if not any(line.startswith(">") for line in rest):
        return False
    for line in rest:
        if line == _SIGNATURE:
            return True
        if line.strip() and not line.startswith(">"):
            return False
    return True


def _start_of_blank_run(lines: list[str], offsets: list[int], index: int) -> int | None:
    """``index``'s offset, moved up over the blank lines before it; None if nothing is above."""
    while index > 0 and not lines[index - 1].strip():
        index -= 1
    return offsets[index] if index > 0 else None
