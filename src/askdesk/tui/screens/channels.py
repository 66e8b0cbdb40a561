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
from askdesk.desk.text import inert

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
        if app.poller is None:
            return
        now = app.clock.now()
        table = Table(box=None, pad_edge=False, header_style="bold")
        rows = [health_fields(h, now) for h in app.poller.health.values()]
        for column in rows[0] if rows else ():
            table.add_column(column.upper(), overflow="fold")
        for row in rows:
            table.add_row(*(Text(inert(value, keep_newlines=False)) for value in row.values()))
        self.query_one("#channel-table", Static).update(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
