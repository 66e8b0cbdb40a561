"""A question with a few lettered answers: privacy warnings and send collisions."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from askdesk.desk.text import inert_text


class Choice(ModalScreen[str | None]):
    """Shows ``lines`` and offers ``answers`` (s, p, d, k or y -> label); dismisses with the key."""

    BINDINGS = [
        Binding("escape", "answer('')", "Back", id="dialog_cancel"),
        Binding("s", "answer('s')", "Send", show=False),
        Binding("p", "answer('p')", "Private", show=False),
        Binding("d", "answer('d')", "Discard", show=False),
        Binding("k", "answer('k')", "Keep", show=False),
        Binding("y", "answer('y')", "Yes", show=False),
    ]

    def __init__(self, title: str, lines: list[str], answers: dict[str, str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.answers = answers

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog choice"):
            yield Label(inert_text(self.title_text, keep_newlines=False), classes="dialog-title")
            for line in self.lines:
                yield Static(inert_text(f"• {line}"))
            hint = " · ".join(f"{key}: {label}" for key, label in self.answers.items())
            yield Label(inert_text(f"{hint} · esc: back"), classes="dialog-hint")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer" and parameters and parameters[0]:
            return parameters[0] in self.answers
        return True

    def action_answer(self, key: str) -> None:
        self.dismiss(key or None)
