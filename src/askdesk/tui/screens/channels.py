"""Every channel's health: last good poll, next poll, rate limit, who polls it, last error."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from askdesk.desk.health import health_fields
from askdesk.desk.text import inert_text

if TYPE_CHECKING:
    from askdesk.tui.app import AskdeskApp


class ChannelsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,i,q", "dismiss", "Close", id="channels_close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog channels"):
            yield Label("Channels", classes="dialog-title")
            yield Static(id="channel-table")
            yield Label("esc closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self._show()
        self.set_interval(1.0, self._show)

    def _show(self) -> None:
        app = cast("AskdeskApp", self.app)
        now = app.clock.now()
        rows = [health_fields(h, now) for h in app.channel_health()]
        shown = _table(rows) if self.size.width >= WIDE else _records(rows)
        self.query_one("#channel-table", Static).update(shown)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


WIDE = 110
"""From this many columns the channels are a table; below, one block a channel,
so that "in a moment" or a host name is never wrapped down its column."""


def _table(rows: list[dict[str, str]]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in rows[0] if rows else ():
        table.add_column(column.upper(), overflow="fold")
    for row in rows:
        table.add_row(*(inert_text(value, keep_newlines=False) for value in row.values()))
    return table


def _records(rows: list[dict[str, str]]) -> Table:
    """Each channel as its name, then one "label  value" line a field."""
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(no_wrap=True, style="bold")
    table.add_column(overflow="fold")
    for number, row in enumerate(rows):
        fields = iter(row.items())
        _, name = next(fields)
        if number:
            table.add_row("", "")
        table.add_row(inert_text(name, "bold", keep_newlines=False), "")
        for label, value in fields:
            table.add_row(Text(f"  {label}", style="dim"), inert_text(value, keep_newlines=False))
    return table
