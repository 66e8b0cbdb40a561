"""The main screen: New, Claimed and Resolved panes over one list, a preview, a filter."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, Static, Tab, Tabs

from askdesk.desk.text import inert
from askdesk.desk.views import Row, RowCache
from askdesk.model import Conversation, Status
from askdesk.model.transitions import PATRON
from askdesk.tui.screens.conversation_screen import ConversationScreen
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.widgets.conversation_list import Columns, ConversationList
from askdesk.tui.widgets.fixed import show
from askdesk.tui.widgets.footer import KeysFooter

PANES = {
    Status.NEW: "New",
    Status.CLAIMED: "Claimed",
    Status.RESOLVED: "Resolved",
}
EMPTY = {
    Status.NEW: "No new questions. New ones appear here as they arrive.",
    Status.CLAIMED: "Nothing claimed. Press 1 for New and c to claim a question.",
    Status.RESOLVED: "Nothing resolved yet on this desk.",
}


def column_header(columns: Columns, width: int, position: str = "") -> str:
    """The list's column titles, with ``position`` (e.g. "1-30 of 200") at the right."""
    if not position:
        return columns.line("", "CHANNEL", "AUTHOR", "AGE", "HOLDER", "TEXT", width)
    room = max(0, width - cell_len(position) - 1)
    return columns.line("", "CHANNEL", "AUTHOR", "AGE", "HOLDER", "TEXT", room) + " " + position


class PaneTab(Tab):
    """A pane's tab, whose count changes with nearly every claim."""

    def relabel(self, text: str) -> None:
        """Show ``text``; lay the screen out again only when the label's width changed.

        ``Tab.label = …`` always asks for a layout of the whole screen (~5 ms),
        which a count going from 120 to 119 does not need. Nor does the tab
        bar then need to move its underline: ``Relabelled``, which makes it do
        so, bubbles through four widgets on the way to the frame.
        """
        if text == self.label_text:
            return
        same_width = cell_len(text) == self.label.cell_length
        self._label = Content(text)
        if not same_width:
            self.post_message(self.Relabelled(self))
        Static.update(self, self._label, layout=not same_width)


class DeskScreen(ConversationScreen):
    BLANK = True
    """The panes cover the whole screen, so its own background is never seen.

    Closing a dialog repaints the screen in full, and a screen drawn through
    the styles pipeline costs ~0.8 ms of that frame (40 lines of background
    under the panes); a blank one is a single blank strip.
    """

    BINDINGS = [
        Binding("1", "pane('new')", "New", id="pane_new", show=False),
        Binding("2", "pane('claimed')", "Claimed", id="pane_claimed", show=False),
        Binding("3", "pane('resolved')", "Resolved", id="pane_resolved", show=False),
        Binding("tab", "next_pane", "Next pane", id="next_pane", show=False, priority=True),
        Binding(
            "shift+tab",
            "previous_pane",
            "Previous pane",
            id="previous_pane",
            show=False,
            priority=True,
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="filter",
            tooltip="Show only conversations whose words, author, channel, kind or holder match",
        ),
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter", show=False),
        Binding("s", "app.statistics", "Stats", id="statistics", tooltip="Reference statistics"),
        Binding("h", "app.handover", "Handover", id="handover", tooltip="End of shift: hand over"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pane = Status.NEW
        self.filter_text = ""
        self.hidden = 0
        """How many of the pane's conversations the filter hides."""
        self._cursor_keys: dict[Status, str | None] = {}
        self._following: str | None = None
        """The key the next redraw puts the cursor on (``follow``), if any."""
        self._came_from: _CameFrom | None = None
        """Where the cursor was before it followed a conversation, to go back once it is done."""
        self._row_cache = RowCache()

    def compose(self) -> ComposeResult:
        yield Static(id="status-bar")
        if self.desk_app.demo:
            yield Static(
                "DEMO FEED: these questions are made up. To answer real ones, copy "
                "config.example.toml to your config file and add your channels.",
                id="demo-banner",
            )
        tabs = (PaneTab(label, id=status.value) for status, label in PANES.items())
        yield Tabs(*tabs, id="panes")
        yield Static(id="column-header")
        yield ConversationList(id="list")
        yield Static(id="preview")
        yield Input(
            placeholder="Filter: words, author, channel, kind, holder · enter keeps · esc clears",
            id="filter",
        )
        yield KeysFooter()

    @property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one(Tabs).can_focus = False
        self.conversation_list.focus()
        self.refresh_desk()
        self.watch(self.conversation_list, "scroll_y", self._show_position, init=False)

    def on_resize(self) -> None:
        self._show_position()

    def _show_position(self) -> None:
        """Which rows are in view, e.g. "31-60 of 200": the list has no scrollbar.

        A scrollbar cost ~1.7 ms of every frame that moved the list (it is
        drawn through Rich); this line tells more, and a screen reader reads it.
        """
        rows = len(self.conversation_list.rows)
        view = self.conversation_list.scrollable_content_region.height
        first = int(self.conversation_list.scroll_y)
        position = ""
        if rows > view > 0:
            position = f"{first + 1}-{min(rows, first + view)} of {rows}"
        if self.hidden and rows:
            position = " · ".join(filter(None, (position, f"{self.hidden} hidden by the filter")))
        header = Text(column_header(self.conversation_list.columns, self.size.width, position))
        show(self.query_one("#column-header", Static), header)

    # -- what is shown -----------------------------------------------------------

    def current(self) -> Conversation | None:
        row = self.conversation_list.current
        return self.desk_app.conversations.get(row.key) if row else None

    def _rows(self, status: Status) -> list[Row]:
        """The pane's rows that the filter lets through; ``self.hidden`` counts the others."""
        app = self.desk_app
        now = app.clock.now()
        target = timedelta(minutes=app.target_minutes)
        needle = self.filter_text.casefold()
        in_pane = [c for c in app.conversations.values() if c.status is status]
        shown = [c for c in in_pane if not needle or _matches(c, needle)]
        self.hidden = len(in_pane) - len(shown)
        drafts = app.drafts
        rows = [self._row_cache.row(c, now, target, c.key in drafts) for c in shown]
        # New and Claimed: longest waiting first. Resolved: latest first.
        rows.sort(key=lambda r: r.sort_at, reverse=status is Status.RESOLVED)
        return rows

    def _show_rows(self, keep: str | None, at: int | None = None) -> None:
        """Fill the list with the pane's rows, the cursor on ``keep`` (else on line ``at``);
        say so when the filter hides them all."""
        rows = self._rows(self.pane)
        self.conversation_list.empty_text = (
            f"{self.hidden} hidden by the filter (esc clears)" if self.hidden else EMPTY[self.pane]
        )
        self.conversation_list.set_rows(rows, keep=keep, at=at)

    def refresh_desk(self) -> None:
        counts = {s: 0 for s in PANES}
        for c in self.desk_app.conversations.values():
            counts[c.status] += 1
        self._row_cache.keep_only(self.desk_app.conversations.keys())
        tabs = self.query_one(Tabs)
        for status, label in PANES.items():
            tab = tabs.query_one(f"#{status.value}", PaneTab)
            tab.relabel(f"{label} ({counts[status]})")
        current = self.conversation_list.current
        keep = self._following or (current.key if current else None)
        self._following = None
        back = self._back_when_done()
        if back is not None:
            self._show_pane(back.pane)
            self._show_rows(keep=back.key, at=back.line)
        else:
            self._show_rows(keep=keep)
            if current is not None and current.key == keep:
                self._say_if_taken_away(current)
        self._show_status()
        self._show_preview()
        self._show_position()
        self.refresh_bindings_if_changed()

    def follow(self, conversation: Conversation) -> None:
        """Put the cursor on ``conversation`` in the pane it is now in, at the next redraw.

        After a claim the next key is for the patron just claimed: ``c`` then
        ``d`` must resolve that one, not the question that moved up into its
        line in New.
        """
        self._following = conversation.key
        pane = conversation.status
        if pane is self.pane:
            return
        current = self.conversation_list
        line = current.cursor if current.current and current.current.key == conversation.key else 0
        self._came_from = _CameFrom(conversation.key, self.pane, line, pane)
        self._show_pane(pane)  # the redraw that follows fills the list with it

    def _show_pane(self, pane: Status) -> None:
        """Make ``pane`` the one shown; the caller fills the list.

        Its tab is marked a frame later: moving the tab bar's highlight
        restyles two tabs and scrolls the bar (~3 ms), and the list the claim
        moved is what staff look at first. The app's queue, not this screen's:
        a callback asked for here can run before the frame (the screen may be
        idle before the list has said it needs a repaint), and with it the
        store write ``act`` queued behind it.
        """
        self.pane = pane
        self.app.call_after_refresh(self._mark_tab)

    def _mark_tab(self) -> None:
        self.query_one(Tabs).active = self.pane.value  # ``_pane_changed`` finds it shown

    def refused(self, key: str) -> None:
        if self._came_from is not None and self._came_from.key == key:
            # The claim did not happen (a colleague was quicker, the store is away):
            # back to where it was made once the store's truth is shown.
            self._came_from = replace(self._came_from, refused=True)

    def _back_when_done(self) -> _CameFrom | None:
        """Where to go back to, now that the conversation the cursor followed is done.

        Claim a question in New, answer and resolve it (or release it, or hand
        it on) and the desk is back in New on the question that took its
        place: ``c`` ``r`` ``d`` down the queue. Only for the staff member's
        own action, and only while the pane it followed to is shown.
        """
        back = self._came_from
        if back is None or self.pane is not back.followed_to:
            return None
        c = self.desk_app.conversations.get(back.key)
        desk = self.desk_app.desk
        if (
            c is not None
            and c.status is back.followed_to
            and (c.status is not Status.CLAIMED or desk.is_me(c.holder))
        ):
            return None  # still where it was followed to, and not handed on: not done
        self._came_from = None
        if back.refused or (c is not None and c.events and desk.is_me(c.events[-1].staff)):
            return back
        return None  # a colleague's doing: stay, and ``_say_if_taken_away`` says so

    def _say_if_taken_away(self, row: Row) -> None:
        """Say so when the conversation under the cursor left the pane by someone else's hand.

        The cursor is then on the next row, and a ``c`` or ``d`` meant for the
        one that left would act on another patron. Our own resolve, release or
        hand-off moves it too, and is said by its own notification.
        """
        shown = self.conversation_list.current
        c = self.desk_app.conversations.get(row.key)
        if (shown is not None and shown.key == row.key) or c is None or c.status is row.status:
            return  # still there, gone from the desk, or only hidden by the filter
        by = c.events[-1].staff if c.events else None
        desk = self.desk_app.desk
        if desk.is_me(by) or desk.colleague_moved(None, c):
            return  # our own doing, or a colleague's hand-off to us, which the app says
        if c.status is Status.CLAIMED and c.holder:
            now = f"claimed by {c.holder}"
        elif by == PATRON:
            now = f"{c.status.value} again: the patron wrote again"
        else:
            now = c.status.value + (f" by {by}" if by else "")
        self.notify(f"{c.key}, the one you were on, is now {now}", timeout=6)

    def refresh_status(self) -> None:
        """Redraw the status bar alone (who is on shift changed)."""
        self._show_status()

    def _show_status(self) -> None:
        app = self.desk_app
        text = Text.assemble(("askdesk", "bold"))
        if app.store_problem:  # first: the one thing staff must see on a narrow terminal
            problem = inert(app.store_problem, keep_newlines=False)
            text.append(f" · {problem}, showing what the desk had", "bold red")
        if self.filter_text:  # before what a narrow terminal cuts: it changes what is listed
            text.append(f" · filter: {inert(self.filter_text, keep_newlines=False)}", "bold")
            text.append(" (esc clears)")
        text.append(inert(f" · {app.library} · you are ", keep_newlines=False))
        text.append(inert(app.desk.staff, keep_newlines=False), "bold")
        if mine := app.on_shift.my_desks_words():
            text.append(f" ({mine})")
        if colleagues := app.on_shift.colleague_words():
            text.append(" · on shift: ")
            text.append(inert(colleagues, keep_newlines=False))
        health = app.channel_summary()
        if health:
            text.append(inert(f" · {health}", keep_newlines=False))
        show(self.query_one("#status-bar", Static), text)

    def _show_preview(self) -> None:
        c = self.current()
        preview = self.query_one("#preview", Static)
        if c is None:
            show(preview, "")
            return
        latest = c.latest
        text = Text.assemble(
            (inert(latest.author, keep_newlines=False), "bold"),
            inert(
                f" · {_where(c)} · {c.status.value}"
                + (f" by {c.holder}" if c.holder else "")
                + (f" · {len(c.messages)} messages" if len(c.messages) > 1 else ""),
                keep_newlines=False,
            ),
        )
        if c.flag:
            text.append(f"\n⚑ flagged: {inert(c.flag, keep_newlines=False)}", style="bold")
        if c.patron_left_at is not None:
            text.append(f"\npatron left at {c.patron_left_at.astimezone(self.desk_app.tz):%H:%M}")
        # No more than the pane can show: wrapping the rest costs ~1 ms a key.
        shown = max(400, preview.content_size.width * preview.content_size.height)
        text.append("\n" + inert(latest.text[:shown]))
        show(preview, text)

    @on(ConversationList.Highlighted)
    def _highlighted(self) -> None:
        self._cursor_keys[self.pane] = (
            self.conversation_list.current.key if self.conversation_list.current else None
        )
        self._show_preview()
        self.refresh_bindings_if_changed()

    @on(ConversationList.ColumnsChanged)
    def _columns_changed(self) -> None:
        self._show_position()

    @on(ConversationList.Chosen)
    def _chosen(self, event: ConversationList.Chosen) -> None:
        self.app.push_screen(DetailScreen(event.key))

    # -- panes and filter --------------------------------------------------------

    def action_pane(self, name: str) -> None:
        self._came_from = None  # staff chose where to be
        self._switch_to(Status(name))

    @on(Tabs.TabActivated)
    def _pane_changed(self, event: Tabs.TabActivated) -> None:
        if event.tab.id is not None:  # a click on a tab
            self._switch_to(Status(event.tab.id))

    def _switch_to(self, pane: Status) -> None:
        """Show ``pane``, the cursor where it was when the pane was last shown.

        Not through the tab bar's message: a key pressed before ``follow``
        marked its tab would find the bar still on the pane it left.
        """
        if pane is self.pane:
            return  # shown already (by ``follow``, or the tab's own message coming back)
        self.pane = pane
        self._show_rows(keep=self._cursor_keys.get(pane))
        self._show_preview()
        self._show_position()
        self.refresh_bindings()
        self.query_one(Tabs).active = pane.value

    def _step_pane(self, step: int) -> None:
        order = list(PANES)
        self.action_pane(order[(order.index(self.pane) + step) % len(order)].value)

    def action_next_pane(self) -> None:
        if self.focused is self.conversation_list:
            self._step_pane(1)

    def action_previous_pane(self) -> None:
        if self.focused is self.conversation_list:
            self._step_pane(-1)

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.value = self.filter_text
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.refresh_desk()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = bool(self.filter_text)
        self.conversation_list.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        if field.display:
            field.value = ""
            field.display = False
            self.filter_text = ""
            self.refresh_desk()
            self.conversation_list.focus()


@dataclass(frozen=True, slots=True)
class _CameFrom:
    """The pane and line the cursor left when it followed ``key`` to ``followed_to``."""

    key: str
    pane: Status
    line: int
    followed_to: Status
    refused: bool = False
    """The store refused the action the cursor followed."""


def _matches(c: Conversation, needle: str) -> bool:
    """Whether ``needle`` is in what the row shows: channel and its label, kind,
    author, holder, or the words of any message in the conversation."""
    shown = (c.channel, c.latest.label or "", c.kind.value, c.holder or "")
    return any(needle in field.casefold() for field in shown) or any(
        needle in m.text.casefold() or needle in m.author.casefold() for m in c.messages
    )


def _where(c: Conversation) -> str:
    """Channel and kind, without "email email" when they are the same word."""
    return c.channel if c.channel == c.kind.value else f"{c.channel} {c.kind.value}"
