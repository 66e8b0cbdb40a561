"""HTML to the plain text staff read: what Mastodon statuses and HTML-only emails arrive as.

Paragraphs and block elements become blank-line-separated paragraphs, ``<br>``
a line break, list items lines of their own; entities are decoded; a link is
its URL (or its words and the URL, when the words say something else); a
mention or hashtag link stays ``@name`` / ``#tag``; scripts and styles are
dropped. The result is literal text: it is never parsed as markup again.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main",
        "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED = frozenset({"head", "script", "style", "template", "title"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
_LINKED = ("http://", "https://", "mailto:")


def html_to_text(markup: str) -> str:
    """``markup`` (a fragment or a whole document) as plain text, trimmed."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    """Collects lines of text; ``_breaks`` is how many line breaks are owed before the next word."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._breaks = 0
        self._space = False
        self._skip = 0
        self._pre = 0
        self._link: tuple[str, list[str]] | None = None  # href, the words inside the link

    # -- structure -------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag == "br":
            self._line_break(1)
        elif tag == "li":
            self._line_break(1)
            self._word("- ")
        elif tag in ("td", "th"):
            self._space = True
        elif tag == "a":
            self._close_link()
            self._link = (dict(attrs).get("href") or "", [])
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.handle_data(f"[{alt}]")
        elif tag in _BLOCKS:
            self._line_break(2)
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag == "a":
            self._close_link()
        elif tag in _BLOCKS:
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
            self._line_break(2)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._link is not None:
            self._link[1].append(data)
            return
        self._words(data)

    # -- output ----------------------------------------------------------------------------

    def _close_link(self) -> None:
        if self._link is None:
            return
        href, parts = self._link
        self._link = None
        words = _SPACE.sub(" ", "".join(parts)).strip()
        self._words(_link_text(href.strip(), words))

    def _words(self, data: str) -> None:
        if self._pre:
            for number, line in enumerate(data.split("\n")):
                if number:
                    self._line_break(1)
                if line:
                    self._word(line)
            return
        if data[:1].isspace():
            self._space = True
        for number, word in enumerate(data.split()):
            if number:
                self._space = True
            self._word(word)
        if data[-1:].isspace():
            self._space = True

    def _word(self, word: str) -> None:
        if self._out:
            if self._breaks:
                self._out.append("\n" * self._breaks)
            elif self._space:
                self._out.append(" ")
        self._out.append(word)
        self._breaks, self._space = 0, False

    def _line_break(self, count: int) -> None:
        """Owe ``count`` line breaks (the most asked for since the last word wins)."""
        if not self._out:
            return
        if count == 1 and self._breaks >= 1:
            self._breaks += 1  # <br><br> is a blank line, as on screen
        else:
            self._breaks = max(self._breaks, count)
        self._breaks = min(self._breaks, 2)
        self._space = False

    def text(self) -> str:
        self._close_link()
        return "".join(self._out)


def _link_text(href: str, words: str) -> str:
    """What a link reads as: its URL, its words (a mention, a hashtag), or both."""
    if not href.lower().startswith(_LINKED):
        return words
    if not words or words.startswith(("@", "#")):
        return words or href
    plain = words.rstrip("…").removesuffix("...")
    bare = re.sub(r"^(?:https?://|mailto:)", "", href, flags=re.IGNORECASE)
    shown = re.sub(r"^(?:https?://|mailto:)", "", plain, flags=re.IGNORECASE)
    if shown and (bare.startswith(shown) or href.startswith(plain)):
        return href  # the words are the URL, whole or shortened (Mastodon hides its middle)
    return f"{words} ({href})"
