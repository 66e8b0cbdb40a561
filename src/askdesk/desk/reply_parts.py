"""A filled-in template split into its greeting, its answer and its sign-off.

The composer puts the cursor at the end of the answer, where the staff
member's own words go (not after "- ana, Anytown Public Library"), and a
second template joins a reply as its answer alone: one greeting, one sign-off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LEAD_IN = 24
"""How far into a reply the patron's name may be for the words before it to be a greeting."""

_SIGN_OFF = 80
"""The longest tail that counts as a sign-off ("Best wishes,\\nana\\nAnytown Public Library")."""

_AFTER_NAME = re.compile(r"[,!:.]?[ \t]*\n*")
"""What follows the patron's name in a greeting: "Hi sam, ", "Dear Sam,\\n\\n"."""

_DASHES = "-\u2013\u2014^~"
"""What may lead a staff name: hyphen, en and em dash, caret, tilde."""

_SEPARATOR = re.compile(rf"\s*[{re.escape(_DASHES)}]?\s*$")
"""What stands between the answer and the staff name on one line: " - ana", " ^ana"."""

_CLOSING = re.compile(r"[^\n]{1,30},[ \t]*")
"""A closing line above the staff name: "Best wishes,"."""


@dataclass(frozen=True)
class ReplyParts:
    greeting: str
    answer: str
    sign_off: str

    @property
    def sentences(self) -> str:
        """The answer on its own, to join a reply begun already: "Hi sam, you can…" gives
        "You can…"."""
        answer = self.answer.strip()
        return answer[:1].upper() + answer[1:]

    @property
    def words_end(self) -> int:
        """Where the staff member's own words go: the end of the answer."""
        return len(self.greeting) + len(self.answer)


def split_reply(text: str, patron: str, staff: str) -> ReplyParts:
    """``text`` (a rendered template) as greeting, answer and sign-off; each may be empty."""
    greeting = ""
    at = text.find(patron) if patron else -1
    if 0 <= at <= _LEAD_IN and "\n" not in text[:at]:
        end = at + len(patron)
        after = _AFTER_NAME.match(text, end)
        greeting = text[: after.end() if after else end]
    start = _sign_off_start(text, staff, len(greeting))
    return ReplyParts(greeting, text[len(greeting) : start], text[start:])


def _sign_off_start(text: str, staff: str, after: int) -> int:
    names = (
        [m.start() for m in re.finditer(rf"(?<!\w){re.escape(staff)}(?!\w)", text)] if staff else []
    )
    at = names[-1] if names else -1
    if at < after or len(text) - at > _SIGN_OFF:
        return len(text)  # no sign-off with the staff name near the end
    line_start = text.rfind("\n", 0, at) + 1
    if text[line_start:at].strip(" " + _DASHES):
        # The name ends a line of the answer after a dash: "... hours_url}. - ana, Library".
        separator = _SEPARATOR.search(text, after, at)
        if separator is None or not separator.group().strip():
            return len(text)  # "ask Ana at the desk": the name is part of the answer
        start = separator.start()
    else:
        # The name starts its own line; a closing line just above belongs with it.
        start = line_start
        above = text.rfind("\n", 0, max(0, line_start - 1)) + 1
        if line_start and _CLOSING.fullmatch(text, above, line_start - 1):
            start = above
    return max(after, len(text[:start].rstrip()))
