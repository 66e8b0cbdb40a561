"""A pane's list of conversations that renders only the lines in view.

Textual's ``DataTable`` measures and re-renders every cell when one row
changes (74 ms for a claim at 300 rows). This list keeps its own rows and
draws each visible line through the line API, caching the drawn strip per
row, and repaints only the lines whose row changed (for a claim, those from
the row that left down; their strips come from the cache).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
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

CHANNEL_W = 16
AUTHOR_W = 20
HOLDER_W = 10
NARROW = 100
"""Below this many columns, CHANNEL and AUTHOR give the words more room."""
NARROW_CHANNEL_W = 12
NARROW_AUTHOR_W = 14


REPLY_MARKS = {"failed": "✉!", "pending": "✉…", "draft": "✎ ", "": "  "}


@dataclass(frozen=True, slots=True)
class Columns:
    """How wide each column is: as wide as what the rows hold, up to a limit.

    A column nobody in the pane needs (no one holds a New question, none is
    LATE) takes no room at all, and the words of the question get it.
    """

    flag: int
    late: int
    reply: int
    channel: int
    author: int
    age: int
    holder: int

    @classmethod
    def fitting(cls, rows: Sequence[Row], width: int) -> Columns:
        # Once over the rows, measuring each distinct value once: this runs on
        # every claim (~0.1 ms for 300 rows).
        channels = {r.channel for r in rows}
        authors = {r.author for r in rows}
        holders = {r.holder for r in rows} - {""}
        narrow = width < NARROW
        return cls(
            flag=1 if any(r.flag for r in rows) else 0,
            late=4 if any(r.overdue for r in rows) else 0,
            reply=2 if any(r.reply_state for r in rows) else 0,
            channel=_widest(channels, NARROW_CHANNEL_W if narrow else CHANNEL_W, "CHANNEL"),
            author=_widest(authors, NARROW_AUTHOR_W if narrow else AUTHOR_W, "AUTHOR"),
            age=3,
            holder=_widest(holders, HOLDER_W, "HOLDER") if holders else 0,
        )

    @property
    def marks(self) -> int:
        present = [size for size in (self.flag, self.late, self.reply) if size]
        return sum(present) + len(present) - 1 if present else 0

    def line(
        self, marks: str, channel: str, author: str, age: str, holder: str, text: str, width: int
    ) -> str:
        """One line of the list (or its header), ``text`` taking what the others leave."""
        cells = [
            (marks, self.marks),
            (channel, self.channel),
            (author, self.author),
            (age, self.age),
            (holder, self.holder),
        ]
        shown = [fit(value, size) for value, size in cells if size]
        used = sum(size + 1 for _, size in cells if size)
        return fit(" ".join([*shown, fit(text, max(0, width - used))]), width)

    def marks_of(self, row: Row) -> str:
        """Marks that do not rely on colour: ⚑ flagged, LATE overdue, ✉! a reply needs
        you, ✎ your draft reply waits."""
        marks = []
        if self.flag:
            marks.append("⚑" if row.flag else " ")
        if self.late:
            marks.append("LATE" if row.overdue else "    ")
        if self.reply:
            marks.append(REPLY_MARKS[row.reply_state])
        return " ".join(marks)


def _widest(values: Iterable[str], limit: int, title: str) -> int:
    """The width of the widest value (at least its title's), up to ``limit``."""
    widest = max((cell_len(value) for value in values), default=0)
    return min(limit, max(widest, len(title)))


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

    class ColumnsChanged(Message):
        """The columns' widths changed with the rows or the width: redraw the header."""

    class Chosen(Message):
        """Enter on a row: open it."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, empty_text: str = "Nothing here.", id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self.empty_text = empty_text
        self.columns = Columns.fitting([], 0)
        self._strips: LRUCache[tuple[Row, int, bool, bool, Columns], Strip] = LRUCache(2048)

    # -- the rows --------------------------------------------------------------

    @property
    def current(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def set_rows(self, rows: list[Row], *, keep: str | None = None, at: int | None = None) -> None:
        """Show ``rows``; the cursor stays on ``keep`` if it is still there, else on line
        ``at`` (by default the line it is on)."""
        shown = self.rows
        self.rows = rows
        self._set_height(len(rows))
        index = next((i for i, r in enumerate(rows) if r.key == keep), None) if keep else None
        if index is None:
            index = min(self.cursor if at is None else at, max(0, len(rows) - 1))
        if not self._fit_columns(self.size.width):  # every line moves; the header follows
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
        key = (row, width, selected, self.has_focus, self.columns)
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
        c = self.columns
        line = c.line(
            c.marks_of(row),
            row.channel,
            row.author,
            row.age,
            row.holder,
            row.preview + count,
            width,
        )
        return Strip([Segment(line, base)], width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def on_focus(self) -> None:
        self.refresh_line(self.cursor)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows))
        self._fit_columns(event.size.width)

    def _fit_columns(self, width: int) -> bool:
        """Size the columns for the rows and ``width``; repaint every line if they moved."""
        columns = Columns.fitting(self.rows, width)
        if columns == self.columns:
            return False
        self.columns = columns
        self.refresh()
        self.post_message(self.ColumnsChanged())
        return True

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
