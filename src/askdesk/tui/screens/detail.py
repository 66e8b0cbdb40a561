"""One conversation in full: every message, its notes and its history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from askdesk.desk.text import inert_text
from askdesk.model import Conversation, Reply, ReplyStatus
from askdesk.tui.screens.composer import ComposerScreen, Draft
from askdesk.tui.screens.conversation_screen import ConversationScreen
from askdesk.tui.widgets.conversation_view import ConversationView
from askdesk.tui.widgets.footer import KeysFooter


class DetailScreen(ConversationScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("j,down", "scroll('down')", "Scroll", id="scroll_down", show=False),
        Binding("k,up", "scroll('up')", "Scroll", id="scroll_up", show=False),
        Binding(
            "y",
            "retry_reply",
            "Send again",
            id="retry_reply",
            tooltip="Send the failed or uncertain reply again",
        ),
        Binding(
            "e",
            "edit_reply",
            "Edit reply",
            id="edit_reply",
            tooltip="Change the text of a reply that has not gone out",
        ),
        Binding(
            "x",
            "cancel_reply",
            "Cancel reply",
            id="cancel_reply",
            tooltip="Never send the reply that has not gone out",
        ),
        Binding(
            "m",
            "confirm_sent",
            "It was sent",
            id="confirm_sent",
            tooltip="You checked the platform: the uncertain reply did go out",
        ),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def current(self) -> Conversation | None:
        return self.desk_app.conversations.get(self.key) or self.desk_app.desk.get(self.key)

    def compose(self) -> ComposeResult:
        conversation = self.current()
        if conversation is None:
            yield Static(inert_text(f"{self.key} is no longer on the desk."))
        else:
            yield ConversationView(
                conversation, self.desk_app.clock.now(), self.desk_app.tz, id="conversation"
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(ConversationView).focus()
        # Open here is time spent on it: what the resolve dialog proposes.
        self.desk_app.time_spent.opened(self.key, self.desk_app.clock.now())

    def on_unmount(self) -> None:
        self.desk_app.time_spent.closed(self.key, self.desk_app.clock.now())

    def refresh_desk(self) -> None:
        conversation = self.current()
        if conversation is not None:
            self.query_one(ConversationView).show(conversation, self.desk_app.clock.now())
        self.refresh_bindings()

    def _stuck_reply(self, *statuses: ReplyStatus) -> Reply | None:
        """The latest reply in one of ``statuses``: the one the reply keys act on."""
        c = self.current()
        if c is None:
            return None
        return next((r for r in reversed(c.replies) if r.status in statuses), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        stuck = {
            "retry_reply": (ReplyStatus.FAILED, ReplyStatus.UNCERTAIN),
            "edit_reply": (ReplyStatus.PENDING, ReplyStatus.FAILED),
            "cancel_reply": (ReplyStatus.PENDING, ReplyStatus.FAILED, ReplyStatus.UNCERTAIN),
            "confirm_sent": (ReplyStatus.UNCERTAIN,),
        }
        if action in stuck:
            return (
                self.desk_app.outbox is not None and self._stuck_reply(*stuck[action]) is not None
            )
        return super().check_action(action, parameters)

    def _on_reply(self, statuses: tuple[ReplyStatus, ...], act: str) -> None:
        reply, outbox = self._stuck_reply(*statuses), self.desk_app.outbox
        if reply is None or outbox is None:
            return
        key, reply_id = self.key, reply.id
        match act:
            case "retry":
                self.desk_app.retry_reply(key, reply_id)
            case "cancel":
                self.desk_app.run_desk(lambda d: outbox.cancel(key, reply_id), "reply cancelled")
            case "confirm":
                self.desk_app.run_desk(
                    lambda d: outbox.confirm_sent(key, reply_id), "reply recorded as sent"
                )

    def action_retry_reply(self) -> None:
        self._on_reply((ReplyStatus.FAILED, ReplyStatus.UNCERTAIN), "retry")

    def action_cancel_reply(self) -> None:
        self._on_reply((ReplyStatus.PENDING, ReplyStatus.FAILED, ReplyStatus.UNCERTAIN), "cancel")

    def action_confirm_sent(self) -> None:
        self._on_reply((ReplyStatus.UNCERTAIN,), "confirm")

    def action_edit_reply(self) -> None:
        reply, outbox = (
            self._stuck_reply(ReplyStatus.PENDING, ReplyStatus.FAILED),
            self.desk_app.outbox,
        )
        c = self.current()
        if reply is None or outbox is None or c is None:
            return
        key, reply_id = self.key, reply.id

        def edited(draft: Draft | None) -> None:
            if draft is not None:
                self.desk_app.run_desk(
                    lambda d: outbox.edit(key, reply_id, draft.text, draft.private), "reply edited"
                )

        app = self.desk_app
        # The composer starts on the reply's route if the channel has it, else on
        # one it has: a reply that failed for want of a private route can go.
        composer = ComposerScreen(
            c,
            app.reply_settings,
            app.desk.staff,
            initial_text=reply.text,
            private=reply.private,
            clock=app.clock,
        )
        self.app.push_screen(composer, edited)

    def action_scroll(self, direction: str) -> None:
        view = self.query_one(ConversationView)
        if direction == "down":
            view.scroll_down(animate=False)
        else:
            view.scroll_up(animate=False)
