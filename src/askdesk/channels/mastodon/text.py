"""The words of a Mastodon reply: who it is addressed to, and how Mastodon counts them.

``status_length`` is Mastodon's own ``StatusLengthValidator``: grapheme
clusters, every URL as the instance's ``characters_reserved_per_url``
(23 on Mastodon itself), a remote mention ``@user@example.social`` as its
local part ``@user``. The composer counts with it too, so the count staff
see is the count the instance makes.
"""

from __future__ import annotations

import re

import regex  # type: ignore[import-untyped, unused-ignore]  # stubs are the optional types-regex

DEFAULT_LIMIT = 500
"""Mastodon's limit when the instance does not say its own."""
URL_LENGTH = 23
"""What a link costs on Mastodon unless the instance says otherwise."""

_GRAPHEME = regex.compile(r"\X")
# Account::MENTION_RE: a mention starts a word; a remote one counts as its @user.
_REMOTE_MENTION = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@\w+(?:[.-]+\w+)*", re.IGNORECASE
)

_LEADING_MENTIONS = re.compile(r"^(?:@[\w.-]+\s+)+")


def status_length(text: str, url_length: int = URL_LENGTH) -> int:
    """How many characters Mastodon counts in ``text``."""
    from twitter_text import (  # type: ignore[import-untyped, unused-ignore]
        extract_urls_with_indices,
    )

    pieces: list[str] = []
    start = 0
    # Mastodon finds URLs with the twitter-text rules too (Extractor.extract_urls_with_indices).
    for url in extract_urls_with_indices(text, extract_urls_without_protocol=False):
        begin, end = url["indices"]
        pieces.append(text[start:begin])
        pieces.append("x" * url_length)
        start = end
    pieces.append(text[start:])
    countable = _REMOTE_MENTION.sub(r"@\1", "".join(pieces))
    return len(_GRAPHEME.findall(countable))


def posted_words(text: str) -> str:
    """The words of a reply as ``find_sent`` compares them, typed or as the instance shows them.

    Mastodon shows a remote mention as its local part and links it, and its
    HTML turns line breaks into paragraphs: so the leading @-mentions (the
    address ``addressed`` adds) go, every mention keeps only its local part,
    and whitespace is one space.
    """
    local = _REMOTE_MENTION.sub(r"@\1", text)
    return " ".join(_LEADING_MENTIONS.sub("", local.strip()).split())


def addressed(text: str, acct: str) -> str:
    """The reply's text led by the patron's ``@acct``, unless it names them already.

    Mastodon delivers a status to the accounts its text mentions, so the
    patron's handle must be in it; nobody else from their status is added.
    """
    if not acct.startswith("@"):
        return text
    if re.search(rf"(?<![\w@]){re.escape(acct)}(?![\w@.-]*\w)", text, re.IGNORECASE):
        return text
    return f"{acct} {text}"
