"""One conversation in full: every message, its notes and its history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from askdesk.model import Conversation
from askdesk.tui.screens.conversation_screen import ConversationScreen
from askdesk.tui.widgets.conversation_view import ConversationView


class DetailScreen(ConversationScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("j,down", "scroll('down')", "Scroll", show=False),
        Binding("k,up", "scroll('up')", "Scroll", show=False),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def current(self) -> Conversation | None:
        return self.desk_app.conversations.get(self.key) or self.desk_app.desk.get(self.key)

    def compose(self) -> ComposeResult:
        conversation = self.current()
        if conversation is None:
            yield Static(f"{self.key} is no longer on the desk.")
        else:
            yield ConversationView(conversation, self.desk_app.clock.now(), id="conversation")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ConversationView).focus()

    def refresh_desk(self) -> None:
        conversation = self.current()
        if conversation is not None:
            self.query_one(ConversationView).show(conversation, self.desk_app.clock.now())
        self.refresh_bindings()

    def action_scroll(self, direction: str) -> None:
        view = self.query_one(ConversationView)
        if direction == "down":
            view.scroll_down(animate=False)
        else:
            view.scroll_up(animate=False)
