"""Text in a widget whose size never changes: the status line, the preview, the footer.

``Static.update`` repaints, and by default lays out the whole screen (~5 ms
here). These widgets have fixed heights, so new text needs no layout, and the
same text (as on most key presses) needs not even a repaint.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def show(widget: Static, text: Text | str) -> None:
    """Put ``text`` in ``widget``: a repaint when it changed, never a layout."""
    if text != widget.content:
        widget.update(text, layout=False)
