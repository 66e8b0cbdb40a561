"""The words of a Bluesky post: how Bluesky counts them, and a post's text made readable.

Bluesky counts graphemes (a flag or a family emoji is one), up to 300 in a
post and 1000 in a chat message, the way ``desk.limits`` counts for the
composer. Links and mentions are marked by facets over UTF-8 *byte* ranges;
a post's text often shows a link shortened ("example.org/hours/holi...")
while the facet holds the whole address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import regex  # type: ignore[import-untyped, unused-ignore]  # stubs are the optional types-regex

POST_LIMIT = 300
"""The graphemes an ``app.bsky.feed.post`` may hold (its lexicon's ``maxGraphemes``)."""
POST_BYTES = 3000
"""And its UTF-8 bytes (the lexicon's ``maxLength``)."""
CHAT_LIMIT = 1000
"""The graphemes a chat message may hold (``chat.bsky.convo.defs#messageInput``)."""
CHAT_BYTES = 10000
"""And its UTF-8 bytes."""

_GRAPHEME = regex.compile(r"\X")
_LINK = "app.bsky.richtext.facet#link"


def graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def with_full_links(text: str, facets: Sequence[Any]) -> str:
    """``text`` with each link facet's span replaced by its whole address.

    Facets that do not fit the text (ranges out of bounds, overlapping, or
    cutting a character in two) leave the text as it is: it is still what
    the patron wrote.
    """
    if not isinstance(facets, list):
        return text  # a chat message is not checked against its lexicon
    data = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in facets:
        index = facet.get("index") if isinstance(facet, dict) else None
        features = facet.get("features") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not isinstance(features, list):
            return text
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data)):
            return text
        for feature in features:
            uri = feature.get("uri") if isinstance(feature, dict) else None
            if isinstance(feature, dict) and feature.get("$type") == _LINK and isinstance(uri, str):
                spans.append((start, end, uri))
    spans.sort()
    pieces: list[bytes] = []
    at = 0
    for start, end, uri in spans:
        if start < at:
            return text  # overlapping facets: not one of Bluesky's own
        pieces += [data[at:start], uri.encode("utf-8")]
        at = end
    pieces.append(data[at:])
    try:
        for start, end, _ in spans:
            data[:start].decode("utf-8")
            data[start:end].decode("utf-8")
        return b"".join(pieces).decode("utf-8")
    except UnicodeDecodeError:
        return text
