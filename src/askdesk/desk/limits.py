"""How long a reply may be, counted the way each platform counts.

Twitter/X weighs text with the official twitter-text rules (URLs 23, CJK and
emoji 2), which the ``twitter-text-parser`` package implements; Bluesky and
Mastodon count grapheme clusters, which the ``regex`` package's ``\\X`` finds;
SMS counts GSM-7 septets or UTF-16 units per segment (``channels.sms.segments``,
which the sms channel checks again before sending).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from askdesk.channels.sms.segments import Segments, segments

PLATFORMS = ("twitter", "mastodon", "bluesky", "facebook", "sms", "email", "chat", "drop")
"""The platforms askdesk knows how to measure and how to address in template variants."""

TWITTER_LIMIT = 280
BLUESKY_LIMIT = 300
BLUESKY_CHAT_LIMIT = 1000
"""A Bluesky chat message holds more than a post (``chat.bsky.convo.defs#messageInput``)."""
FACEBOOK_LIMIT = 2000
URL_LENGTH = 23
"""What a link costs on Twitter/X (t.co) and on Mastodon, however long it is."""


@dataclass(frozen=True)
class Measure:
    """How much of a platform's allowance a text uses.

    ``used`` and ``limit`` are in ``unit``: "characters" (Twitter's weighted
    characters, Mastodon's, Facebook's, or plain ones where nothing limits the
    text), "graphemes" (Bluesky) or "segments" (SMS). For SMS, ``characters``
    is the septets (GSM-7) or UTF-16 units (UCS-2) counted, ``segment_size``
    what one segment holds at this length and ``encoding`` which of the two.
    """

    used: int
    limit: int | None
    unit: str
    characters: int | None = None
    segment_size: int | None = None
    encoding: str | None = None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.used > self.limit

    def label(self) -> str:
        """A short reading for the composer, e.g. "212/280" or "1,204 characters"."""
        if self.unit == "segments" and self.segment_size is not None:
            return self._sms_label()
        if self.limit is None:
            return f"{self.used:,} {_plural(self.used, self.unit)}"
        return f"{self.used:,}/{self.limit:,}"

    def _sms_label(self) -> str:
        counted = Segments(
            self.used, self.characters or 0, self.segment_size or 0, self.encoding or "GSM-7"
        )
        return counted.label(self.limit if self.limit is not None else self.used)


def _plural(count: int, unit: str) -> str:
    return unit[:-1] if count == 1 and unit.endswith("s") else unit


def measure(
    text: str,
    platform: str,
    *,
    chat: bool = False,
    mastodon_limit: int = 500,
    sms_max_segments: int = 10,
) -> Measure:
    """How long ``text`` is on ``platform``, against that platform's limit.

    ``chat``: the text goes as a direct message, which Bluesky allows longer
    than a post. An unknown platform (email, chat, the drop folder, anything new) has no
    limit and counts plain characters.
    """
    if platform == "twitter":
        return Measure(_twitter_length(text), TWITTER_LIMIT, "characters")
    if platform == "mastodon":
        return Measure(_mastodon_length(text), mastodon_limit, "characters")
    if platform == "bluesky":
        limit = BLUESKY_CHAT_LIMIT if chat else BLUESKY_LIMIT
        return Measure(graphemes(text), limit, "graphemes")
    if platform == "sms":
        return _sms(text, sms_max_segments)
    if platform == "facebook":
        return Measure(len(text), FACEBOOK_LIMIT, "characters")
    return Measure(len(text), None, "characters")


def graphemes(text: str) -> int:
    """The user-perceived characters in ``text``: a flag or a family emoji is one."""
    return len(_grapheme().findall(text))


@cache
def _grapheme() -> Any:
    """``regex``'s ``\\X``, compiled when first counted: a command that measures no reply
    (``stats``, which checks the templates' config) starts without the package."""
    import regex  # type: ignore[import-untyped, unused-ignore]  # stubs: optional types-regex

    return regex.compile(r"\X")


def _twitter_length(text: str) -> int:
    # Imported on first use: compiling its emoji pattern takes most of a second.
    from twitter_text import parse_tweet  # type: ignore[import-untyped, unused-ignore]

    return int(parse_tweet(text).weightedLength)


def _mastodon_length(text: str) -> int:
    """Mastodon's StatusLengthValidator, as the mastodon channel counts: a link is 23."""
    from askdesk.channels.mastodon.text import status_length

    return status_length(text, URL_LENGTH)


def _sms(text: str, max_segments: int) -> Measure:
    counted = segments(text)
    return Measure(
        counted.count,
        max_segments,
        "segments",
        counted.characters,
        counted.segment_size,
        counted.encoding,
    )
