"""Patron text made inert for a terminal.

A message may carry ANSI escapes, other control characters or bidi
overrides, by accident or on purpose. Everything shown on the screen or
printed by the command line goes through ``inert`` first, which replaces
each such character with a visible stand-in; Rich markup is never parsed
because callers build ``Text`` objects, not markup strings.
"""

from __future__ import annotations

import functools
import unicodedata

from rich.cells import cell_len, set_cell_size

# Bidi embeddings, overrides and isolates reorder what follows them on screen.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
_REPLACEMENT = "\ufffd"


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
    return category == "Cc" or (category == "Cf" and char not in "\u200d\u200c")


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


@functools.lru_cache(maxsize=4096)
def one_line(text: str, limit: int = 200) -> str:
    """A single inert line for a list row: whitespace folded, cut at ``limit`` characters.

    Cached: every redraw of a pane asks again for each row's line.
    """
    flat = " ".join(inert(text[: limit * 4], keep_newlines=False).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def fit(text: str, width: int) -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` terminal cells."""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    return set_cell_size(text, max(0, width - 1)) + "…" if width else ""
