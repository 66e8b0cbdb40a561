"""Strings from outside made inert for a terminal: the one rule for showing them.

A message may carry ANSI escapes, other control characters or bidi
overrides, by accident or on purpose, and so may every other string that
came from outside: message ids, conversations, urls, channel labels,
authors, drop-file names, platform errors, and what staff type (holder
names, flag reasons, notes). Everything shown on the screen, printed by the
command line or written to the log goes through ``inert`` (or ``one_line``)
first, which replaces each such character with a visible stand-in. Markup is
never parsed: widgets get ``inert_text`` (a Rich ``Text``, which Textual
shows as it is), never a markup string built by f-string.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from rich.cells import cell_len, set_cell_size
from rich.style import StyleType
from rich.text import Text

# Bidi embeddings, overrides and isolates reorder what follows them on screen.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
_REPLACEMENT = "\ufffd"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _stand_in(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␇ for BEL
    if code == 0x7F:
        return "\u2421"  # ␡
    return _REPLACEMENT


def _dangerous(char: str) -> bool:
    if char in _BIDI:
        return True
    category = unicodedata.category(char)
    # Cs: a lone surrogate (JSON's "\\ud800" decodes to one) cannot be encoded
    # to UTF-8, so printing it would crash; Zl/Zp break lines where Python's
    # ``splitlines`` looks, though a terminal does not.
    return category in ("Cc", "Cs", "Zl", "Zp") or (category == "Cf" and char not in "\u200d\u200c")


def well_formed(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so it can be stored at all.

    JSON's ``"\\ud83d"`` (half an emoji, cut by a platform) reads as a lone
    surrogate, which UTF-8 cannot encode: kept, it fails every write it is in.
    """
    if text.isascii() or _LONE_SURROGATE.search(text) is None:
        return text
    return _LONE_SURROGATE.sub(_REPLACEMENT, text)


def inert(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with every control, escape and bidi character made visible."""
    # Fast paths, checked in C: every character ``_dangerous`` or rewritten
    # below is non-printable, and most patron text is printable apart from
    # newlines. Building rows char by char cost ~0.2 ms a row on each redraw.
    if text.isprintable():
        return text
    if text.replace("\n", "").isprintable():
        return text if keep_newlines else text.replace("\n", " ")
    out: list[str] = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char == "\t":
            out.append("    " if keep_newlines else " ")
        elif char in "\n\r" and not keep_newlines:
            out.append(" ")
        elif _dangerous(char):
            out.append(_stand_in(char))
        else:
            out.append(char)
    return "".join(out)


def inert_text(text: str, style: StyleType = "", *, keep_newlines: bool = True) -> Text:
    """``text`` made inert, as a Rich ``Text`` for a widget, a notification or the console.

    A ``Text`` is never parsed as markup: ``[@click=app.quit]`` in a patron's
    name stays those characters, and an unbalanced ``[/b]`` cannot raise.
    """
    return Text(inert(text, keep_newlines=keep_newlines), style=style)


@functools.lru_cache(maxsize=4096)
def one_line(text: str, limit: int = 200) -> str:
    """A single inert line for a list row: whitespace folded, cut at ``limit`` characters.

    Cached: every redraw of a pane asks again for each row's line.
    """
    flat = " ".join(inert(text[: limit * 4], keep_newlines=False).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def fit(text: str, width: int) -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` terminal cells.

    Quick for long text: ``askdesk list`` fits 100,000 previews of 200
    characters, and Rich's grapheme-by-grapheme cut of a whole preview cost
    half a millisecond each.
    """
    if text.isascii() and text.isprintable():  # one cell a character, checked in C
        if len(text) <= width:
            return text + " " * (width - len(text))
        return text[: width - 1] + "…" if width else ""
    head = text[: 2 * width + 8]
    if len(head) < len(text) and cell_len(head) > width:
        text = head  # the cut falls inside the head: cutting it gives the same line
    size = cell_len(text)
    if size <= width:
        return text + " " * (width - size)
    return set_cell_size(text, max(0, width - 1)) + "…" if width else ""
