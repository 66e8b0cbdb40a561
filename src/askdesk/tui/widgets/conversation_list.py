"""A pane's list of conversations that renders only the lines in view.

Textual's ``DataTable`` measures and re-renders every cell when one row
changes (74 ms for a claim at 300 rows). This list keeps its own rows and
draws each visible line through the line API, caching the drawn strip per
row, and repaints only the lines whose row changed (for a claim, those from
the row that left down; their strips come from the cache).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from askdesk.desk.text import fit
from askdesk.desk.views import Row

MARKS_W = 10
CHANNEL_W = 16
AUTHOR_W = 20
AGE_W = 5
HOLDER_W = 10


REPLY_MARKS = {"failed": "✉!", "pending": "✉…", "": "  "}


def marks(row: Row) -> str:
    """Marks that do not rely on colour: ⚑ flagged, LATE overdue, ✉! a reply needs you."""
    return (
        ("⚑ " if row.flag else "  ")
        + ("LATE " if row.overdue else "     ")
        + REPLY_MARKS[row.reply_state]
    )


class ConversationList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("pagedown", "page_down", "Page down", id="page_down", show=False),
        Binding("pageup", "page_up", "Page up", id="page_up", show=False),
        Binding("home,g", "first", "First", id="first", show=False),
        Binding("end,G", "last", "Last", id="last", show=False),
        Binding(
            "enter", "choose", "Open", id="open", tooltip="Open the whole conversation", show=False
        ),
    ]

    # Every line is cut to the width, so nothing ever scrolls sideways. No
    # scrollbar either: drawing one cost ~1.7 ms of each frame that moved the
    # list; the desk shows which rows are in view ("31-60 of 200") instead.
    DEFAULT_CSS = """
    ConversationList {
        overflow-x: hidden;
        scrollbar-size-vertical: 0;
    }
    """

    COMPONENT_CLASSES = {
        "conversation-list--cursor",
        "conversation-list--overdue",
        "conversation-list--flagged",
        "conversation-list--empty",
    }

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

    class Chosen(Message):
        """Enter on a row: open it."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, empty_text: str = "Nothing here.", id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self.empty_text = empty_text
        self._strips: LRUCache[tuple[Row, int, bool, bool], Strip] = LRUCache(2048)

    # -- the rows --------------------------------------------------------------

    @property
    def current(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def set_rows(self, rows: list[Row], *, keep: str | None = None) -> None:
        """Show ``rows``; the cursor stays on ``keep`` if it is still there, else on its line."""
        shown = self.rows
        self.rows = rows
        self._set_height(len(rows))
        index = next((i for i, r in enumerate(rows) if r.key == keep), None) if keep else None
        if index is None:
            index = min(self.cursor, max(0, len(rows) - 1))
        self._refresh_changed_lines(shown, rows)
        self.cursor = index

    def _refresh_changed_lines(self, shown: list[Row], rows: list[Row]) -> None:
        """Repaint only the lines in view whose row is not the one they show.

        Each repainted line goes through Textual's styles pipeline (~50 µs a
        line in a frame); a claim or resolve changes one row, and the lines
        above it stay as they are. A scroll that the new height forces
        repaints the whole view by itself (``ScrollView.watch_scroll_y``).
        """
        if not shown or not rows:
            self.refresh()  # the empty text comes or goes
            return
        top = self.scroll_offset.y
        # (first line, count): the lines below a row that left all move up,
        # and one refresh of a run costs what one of a line does.
        runs: list[tuple[int, int]] = []
        for index in range(top, top + self.scrollable_content_region.height):
            before = shown[index] if index < len(shown) else None
            after = rows[index] if index < len(rows) else None
            if before == after:
                continue
            if runs and sum(runs[-1]) == index:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((index, 1))
        for first, count in runs:
            self.refresh_lines(first, count)

    def _set_height(self, lines: int) -> None:
        size = Size(self.size.width, lines)
        if size == self.virtual_size:
            return
        # With no scrollbar, a new height moves no other widget: set it without
        # the layout of the whole screen that assigning ``virtual_size`` costs
        # (~5 ms a claim), and update the scroll limits as Textual does after a
        # resize (Widget._size_updated).
        self.set_reactive(ConversationList.virtual_size, size)
        self._scroll_update(size)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
        row = self.current
        self.post_message(self.Highlighted(row.key if row else None))

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    # -- drawing ---------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        if not self.rows:
            if y == 1:
                style = self.get_component_rich_style("conversation-list--empty")
                return Strip([Segment(fit("  " + self.empty_text, width), style)])
            return Strip.blank(width, self.rich_style)
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        selected = index == self.cursor
        key = (row, width, selected, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._draw(row, width, selected)
            self._strips[key] = strip
        return strip.crop(scroll_x, scroll_x + width)

    def _draw(self, row: Row, width: int, selected: bool) -> Strip:
        base = self.rich_style
        if row.overdue:
            base += self.get_component_rich_style("conversation-list--overdue")
        if row.flag:
            base += self.get_component_rich_style("conversation-list--flagged")
        if selected:
            base += self.get_component_rich_style("conversation-list--cursor")
            if not self.has_focus:
                base += Style(dim=True)
        count = f" ({row.messages})" if row.messages > 1 else ""
        fixed = MARKS_W + CHANNEL_W + AUTHOR_W + AGE_W + HOLDER_W + 5
        rest = max(0, width - fixed)
        line = " ".join(
            (
                fit(marks(row), MARKS_W),
                fit(row.channel, CHANNEL_W),
                fit(row.author, AUTHOR_W),
                fit(row.age, AGE_W),
                fit(row.holder, HOLDER_W),
                fit(row.preview + count, rest),
            )
        )
        return Strip([Segment(fit(line, width), base)], width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def on_focus(self) -> None:
        self.refresh_line(self.cursor)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows))

    # -- moving ----------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += max(1, self.size.height - 1)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.size.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.rows) - 1

    def on_click(self, event: events.Click) -> None:
        index = event.y + self.scroll_offset.y
        if 0 <= index < len(self.rows):
            if index == self.cursor and event.chain == 2:
                self.post_message(self.Chosen(self.rows[index].key))
            self.cursor = index

    def action_choose(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Chosen(row.key))
