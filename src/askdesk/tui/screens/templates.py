"""Pick a reply template: type to filter, a digit picks by quick key, enter takes it."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from askdesk.desk.templates import Template
from askdesk.desk.text import fit, inert_text, one_line


class TemplatePicker(ModalScreen[Template | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(
        self,
        templates: tuple[Template, ...],
        why_first: str | None = None,
        *,
        for_whom: str | None = None,
    ) -> None:
        """``why_first``: why the first template leads the list, said in the title.
        ``for_whom``: the patron the reply is to (the picker hides their row)."""
        super().__init__()
        self.templates = templates
        self.shown: list[Template] = list(templates)
        self.why_first = why_first
        self.for_whom = for_whom

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            title = "Template"
            if self.for_whom:  # one line: at 80x24 the list and its hint fill the rest
                title += f" · reply to {one_line(self.for_whom, 24)}"
            if self.why_first:
                title += f" · {self.why_first}"
            yield Label(inert_text(title, keep_newlines=False), classes="dialog-title")
            yield Input(placeholder="type to filter · 1-9 picks by quick key", id="template-filter")
            yield OptionList(id="template-list")
            yield Label("enter: use · ↑↓: choose · esc: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, needle: str) -> None:
        needle = needle.casefold()
        self.shown = [
            t for t in self.templates if needle in t.name.casefold() or needle in t.body.casefold()
        ]
        options = self.query_one(OptionList)
        options.clear_options()
        # The longest name sets the column (within reason), so a body never runs into it.
        width = min(32, max((cell_len(t.name) for t in self.templates), default=0)) + 2
        for template in self.shown:
            line = Text.assemble(
                (f"{template.key or ' '}  ", "bold"),
                (fit(one_line(template.name, width - 2), width), "bold"),
                (one_line(template.body, 60), "dim"),
            )
            options.add_option(Option(line))
        if self.shown:
            options.highlighted = 0

    @on(Input.Changed)
    def _filtered(self, event: Input.Changed) -> None:
        value = event.value.strip()
        quick = next((t for t in self.templates if value and t.key == value), None)
        if quick is not None:
            self.dismiss(quick)
            return
        self._fill(value)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and self.shown:
            self.dismiss(self.shown[options.highlighted])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown[event.option_index])

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.shown) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
