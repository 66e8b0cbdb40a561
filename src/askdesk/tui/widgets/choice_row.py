"""One of the library's own fields as one line of choices, answered by a digit or first letters.

``patron type*  1 adult  2 teen  3 child`` : a digit picks by place, letters
pick the first choice that starts with them (typed on, they narrow it:
"e", "ea"; a letter that fits nothing starts again), ← → move, backspace
clears an answer.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from askdesk.config import StatsField
from askdesk.desk.fields import pick
from askdesk.desk.text import inert

LABEL_WIDTH = 16
"""The label column, as wide as "Minutes spent" and the usual field names."""

TYPED_KEYS = "abcdefghijklmnopqrstuvwxyz0123456789"
"""Answered through bindings rather than ``on_key``: a binding acts on the field that has
the focus when the key is handled, so "t", tab, "e" typed in one burst (or while the
desk is busy) answer two fields, where ``on_key`` would give all three to the first."""


class ChoiceRow(Widget, can_focus=True):
    """A ``[[stats.fields]]`` question: ``value`` is the chosen answer, or ``None``."""

    BINDINGS = [
        Binding("right", "move(1)", "Next choice", id="field_next", show=False),
        Binding("left", "move(-1)", "Previous choice", id="field_previous", show=False),
        Binding(
            "backspace",
            "clear",
            "Clear",
            id="field_clear",
            show=False,
            tooltip="Leave this field unanswered",
        ),
        Binding("enter", "submit", "Resolve", id="field_submit", show=False),
        # Typing, not commands: no ids, as the READ digits of the dialog.
        *(Binding(key, f"type_key({key!r})", show=False) for key in TYPED_KEYS),
    ]

    value: reactive[str | None] = reactive(None)

    class Submitted(Message):
        """Enter on a field: resolve, as enter on the READ level does."""

    def __init__(
        self, field: StatsField, value: str | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.field = field
        self.set_reactive(ChoiceRow.value, value if value in field.choices else None)
        self._typed = ""

    def render(self) -> Text:
        label = self.field.label + ("*" if self.field.required else "")
        line = Text(inert(label, keep_newlines=False)[:LABEL_WIDTH].ljust(LABEL_WIDTH))
        if self.has_focus:
            line.stylize("bold", 0, LABEL_WIDTH)
        parts = self._parts()
        start = self._window_start(parts, self.size.width - LABEL_WIDTH)
        if start:
            line.append("< ", style="dim")  # earlier choices are off to the left
        for text, chosen in parts[start:]:
            line.append(text, style="reverse bold" if chosen else "")
            line.append("  ")
        return line

    def _parts(self) -> list[tuple[str, bool]]:
        """Each choice as shown ("2 teen"; past the ninth, no digit) and whether it is chosen."""
        shown = (inert(c, keep_newlines=False) for c in self.field.choices)
        return [
            (f"{n} {text}" if n <= 9 else text, choice == self.value)
            for n, (text, choice) in enumerate(zip(shown, self.field.choices, strict=True), 1)
        ]

    @staticmethod
    def _window_start(parts: list[tuple[str, bool]], width: int) -> int:
        """The first choice shown: 0, or a later one so that the chosen one is in view."""
        chosen = next((i for i, (_, on) in enumerate(parts) if on), 0)

        def needed(first: int) -> int:
            return 2 + sum(cell_len(text) + 2 for text, _ in parts[first : chosen + 1])

        start = 0
        while start < chosen and needed(start) > width:
            start += 1
        return start

    def on_key(self, event: events.Key) -> None:
        # Any other character typed (a capital, an accented letter) answers too, as
        # typing fills an Input; ``TYPED_KEYS`` and named keys are bindings.
        typed = event.character
        if not event.is_printable or typed is None or typed == " " or typed in TYPED_KEYS:
            return  # a binding's, or not typing at all
        event.stop()
        event.prevent_default()
        self.action_type_key(typed)

    def action_type_key(self, typed: str) -> None:
        """A digit picks by place; letters pick by first letters, narrowing as they go on."""
        if typed.isdigit():
            self._typed = ""
            choice = pick(self.field, typed)
        else:
            choice = pick(self.field, self._typed + typed)
            if choice is not None:
                self._typed += typed
            else:
                self._typed = typed
                choice = pick(self.field, typed)
        if choice is None:
            self.app.bell()
            return
        self.value = choice

    def action_move(self, step: int) -> None:
        self._typed = ""
        choices = self.field.choices
        if self.value is None:  # nothing chosen yet: right starts at the first, left at the last
            index = 0 if step > 0 else len(choices) - 1
        else:
            index = choices.index(self.value) + step
        self.value = choices[max(0, min(len(choices) - 1, index))]

    def action_clear(self) -> None:
        self._typed = ""
        self.value = None

    def action_submit(self) -> None:
        self.post_message(self.Submitted())

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self._typed = ""
        self.refresh()
