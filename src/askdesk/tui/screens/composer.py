"""Write a reply: stack templates, edit freely, see the length as the platform counts it.

ctrl+s sends, ctrl+r sends and resolves. Before anything is stored the
composer refuses a text the platform would refuse, warns about personal data
in a public reply, and the outbox stops the send if the conversation changed
since the composer opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from askdesk.clock import Clock, SystemClock
from askdesk.desk.compose import ReplySettings
from askdesk.desk.reply_parts import split_reply
from askdesk.desk.templates import Template
from askdesk.desk.text import inert, inert_text, one_line
from askdesk.model import Conversation, Kind
from askdesk.tui.screens.confirm import Choice
from askdesk.tui.screens.templates import TemplatePicker
from askdesk.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from askdesk.tui.app import AskdeskApp


@dataclass(frozen=True)
class Draft:
    """What the composer hands back to be queued."""

    text: str
    templates: tuple[str, ...]
    private: bool
    expected_version: int | None
    resolve: bool
    template_defaults: Template | None


class ComposerScreen(ModalScreen[Draft | None]):
    BINDINGS = [
        Binding("ctrl+s", "send(False)", "Send", id="send", tooltip="Send this reply"),
        Binding(
            "ctrl+r",
            "send(True)",
            "Send & resolve",
            id="send_resolve",
            tooltip="Send, then resolve the conversation",
        ),
        Binding(
            "ctrl+t", "template", "Template", id="template", tooltip="Add a template to the reply"
        ),
        Binding(
            "ctrl+p",
            "toggle_private",
            "Private",
            id="private",
            tooltip="Answer by private message instead of in public",
        ),
        Binding(
            "escape",
            "discard",
            "Close",
            id="discard",
            tooltip="Close without sending; asks whether to keep what you wrote as a draft",
        ),
    ]

    def __init__(
        self,
        conversation: Conversation,
        settings: ReplySettings,
        staff: str,
        first_template: Template | None = None,
        initial_text: str | None = None,
        private: bool | None = None,
        on_leave: Callable[[str | None], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``private``: the route to start on (an edited reply's); by default a
        private message answers a private one. Either way only a route the
        channel has: a drop folder's direct message is answered by a reply.

        ``on_leave``: where ``esc`` puts the words: kept as the conversation's
        draft (called with the text) or discarded (with ``None``); the
        composer then opens on ``initial_text`` as the kept draft. Without
        it (editing a stored reply) ``esc`` just closes.

        ``clock``: what the platform's reply window is measured against."""
        super().__init__()
        self.clock = clock or SystemClock()
        self.conversation = conversation
        self.settings = settings
        self.staff = staff
        self.templates: list[Template] = []
        wanted = conversation.kind is Kind.DIRECT if private is None else private
        self.private = wanted and settings.can_go_private(conversation)
        self.opened_version = conversation.version
        self._first = first_template
        self._initial_text = initial_text
        self.on_leave = on_leave
        self._kept = initial_text if on_leave is not None else None
        """The draft as it is kept in the store; leaving it unchanged asks nothing."""

    def compose(self) -> ComposeResult:
        c = self.conversation
        latest = c.latest
        with Vertical(classes="dialog composer"):
            yield Label(
                inert_text(f"Reply to {c.author} · {c.key}", keep_newlines=False),
                classes="dialog-title",
            )
            yield Static(inert_text(latest.text[:600]), id="replying-to")
            yield TextArea(id="reply-text", soft_wrap=True, show_line_numbers=False)
            yield Static(id="reply-meta")
        yield KeysFooter()

    def on_mount(self) -> None:
        # Writing a reply is time spent on the conversation (``desk.time_spent``).
        app = cast("AskdeskApp", self.app)
        app.time_spent.opened(self.conversation.key, app.clock.now())
        if self._initial_text:
            self.query_one(TextArea).load_text(inert(self._initial_text))
        if self._first is not None:
            self._add(self._first)
        self.query_one(TextArea).focus()
        self._show_meta()

    def on_unmount(self) -> None:
        app = cast("AskdeskApp", self.app)
        app.time_spent.closed(self.conversation.key, app.clock.now())

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def _add(self, template: Template) -> None:
        """Fill in ``template``; the cursor goes where the staff member's own words go.

        Into a reply already begun, only the template's answer goes, at the
        cursor: one greeting and one sign-off however many templates it took.
        """
        area = self.query_one(TextArea)
        # A TextArea draws what it holds as it is: the patron's name that {patron}
        # brings in (or the template itself) must not carry escapes to the screen.
        body = inert(
            self.settings.render(template, self.conversation, self.staff, self.clock.now())
        )
        parts = split_reply(body, inert(self.conversation.author), self.staff)
        if not area.text.strip():
            area.load_text(body)
            area.move_cursor(_location(body, parts.words_end))
        else:
            row, column = area.cursor_location
            before = area.document.get_line(row)[:column] if column else ""
            glue = "" if not before or before[-1].isspace() else " "
            area.insert(glue + parts.sentences, area.cursor_location)
        self.templates.append(template)

    @on(TextArea.Changed)
    def _changed(self) -> None:
        self._show_meta()

    def _show_meta(self) -> None:
        counted = self.settings.measure(self.text, self.conversation, self.private)
        route = (
            "private message"
            if self.private
            else ("public reply" if self.settings.is_public(self.conversation, False) else "reply")
        )
        line = Text.assemble(
            (counted.label(), "bold red" if counted.over else "bold"), f" · {route}"
        )
        if self.templates:
            line.append(
                " · from " + one_line(", ".join(t.name for t in self.templates)), style="dim"
            )
        if counted.over:
            line.append(" · TOO LONG: shorten before sending", style="bold red")
        window = self.settings.window(self.conversation, self.clock.now())
        if window is not None and window.refusal:
            line.append(" · " + one_line(window.refusal), style="bold red")
        elif window is not None and window.note:
            line.append(" · " + one_line(window.note))
        self.query_one("#reply-meta", Static).update(line)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_private":
            return self.settings.can_go_private(self.conversation)
        if action == "template":
            return bool(self.settings.templates)
        return True

    def action_template(self) -> None:
        def picked(template: Template | None) -> None:
            if template is not None:
                self._add(template)
            self.query_one(TextArea).focus()

        proposed = self.settings.proposed(self.conversation, self.clock.now())
        self.app.push_screen(TemplatePicker(proposed.templates, proposed.why_first), picked)

    def action_toggle_private(self) -> None:
        self.private = not self.private
        self._show_meta()

    def action_discard(self) -> None:
        text, on_leave = self.text, self.on_leave
        if on_leave is None or text == self._kept:
            self.dismiss(None)
            return
        if not text.strip():
            if self._kept:
                on_leave(None)  # the draft was emptied: nothing left to keep
            self.dismiss(None)
            return

        def decided(answer: str | None) -> None:
            if answer in ("k", "d"):
                on_leave(text if answer == "k" else None)
                self.dismiss(None)

        self.app.push_screen(
            Choice(
                "Keep this reply as a draft?",
                [one_line(text, 70)],
                {"k": "keep as draft", "d": "discard it"},
            ),
            decided,
        )

    def action_send(self, resolve: bool) -> None:
        text = self.text
        if not text.strip():
            self.notify("Write something first, or press esc to discard.", severity="warning")
            return
        refused = self.settings.refusal(text, self.conversation, self.private, self.clock.now())
        if refused:
            self.notify(refused, severity="error", timeout=8)
            return
        warnings = self.settings.privacy_warnings(text, self.conversation, self.private)
        if not warnings:
            self._done(resolve)
            return
        answers = {"s": "send publicly anyway"}
        if self.settings.can_go_private(self.conversation):
            answers = {"p": "send as a private message instead", **answers}

        def decided(answer: str | None) -> None:
            if answer == "p":
                self.private = True
                self._done(resolve)
            elif answer == "s":
                self._done(resolve)

        self.app.push_screen(
            Choice("This public reply looks like it contains personal data", warnings, answers),
            decided,
        )

    def _done(self, resolve: bool) -> None:
        self.dismiss(
            Draft(
                text=self.text,
                templates=tuple(t.name for t in self.templates),
                private=self.private,
                expected_version=self.opened_version,
                resolve=resolve,
                template_defaults=self.templates[-1] if self.templates else None,
            )
        )


def _location(text: str, index: int) -> tuple[int, int]:
    """The (row, column) of ``text[index]``, as a ``TextArea`` places its cursor."""
    row = text.count("\n", 0, index)
    return row, index - (text.rfind("\n", 0, index) + 1)
