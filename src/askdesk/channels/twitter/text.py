"""The words of a post on X: the ``@handle`` a public reply starts with, and how X counts.

``public_reply_text`` is also what the composer shows and measures, so the
count staff see is the count X makes.
"""

from __future__ import annotations

import html
import re

TWEET_LIMIT = 280

_URL = re.compile(r"https?://\S+")


def public_reply_text(text: str, handle: str) -> str:
    """What a public reply posts: the text, led by the patron's ``@handle``.

    With ``in_reply_to_tweet_id`` X threads the reply but does not mention
    the patron by itself, so ``@handle `` goes in front, unless the text
    already mentions them anywhere (a template's ``Hi {patron}!`` does).
    """
    if not handle.startswith("@"):
        return text
    if re.search(rf"(?<![\w@]){re.escape(handle)}(?!\w)", text, re.IGNORECASE):
        return text
    return f"{handle} {text}"


def weighted_length(text: str) -> int:
    """The length X counts, by the twitter-text rules (URLs 23, CJK and emoji 2)."""
    from twitter_text import parse_tweet

    return int(parse_tweet(text).weightedLength)


def same_text(posted: str, ours: str) -> bool:
    """Whether X's copy is our text: X escapes &<> and turns links into t.co ones."""

    def plain(text: str) -> str:
        return " ".join(_URL.sub("<link>", html.unescape(text)).split())

    return plain(posted) == plain(ours)
