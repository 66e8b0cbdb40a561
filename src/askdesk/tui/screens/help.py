"""Help that cannot drift from the keys: the live bindings of the screen below, plus a text."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown, Static

GUIDE = """\
## How the desk works

New questions arrive in **New**. Claim one (`c`) and it moves to **Claimed**
with your name on it, and the cursor goes with it: the next key (`r`, `d`)
is for that patron. Colleagues on the same store see the claim at once and
cannot claim it too (`c` on it asks whether to take it over while you are
away). Resolve it (`d`) with a question type, a READ level, an outcome, the
minutes you spent (proposed from how long you had it open) and any fields your
library asks for (patron type, branch…); it moves to **Resolved** and counts
in the statistics, and the cursor goes back to New, on the next question (so
too after release `u` and hand-off `a`).

A follow-up from the patron joins its conversation: it stays with whoever
holds it, or reopens it if it was resolved. Rows marked **LATE** have waited
longer than the desk's target; **⚑** marks a conversation flagged for review,
**✎** one with your draft reply (`esc` in the composer keeps one).

Anything on this screen can be done from the shell too: `askdesk --help`.
"""


# Inherited from Textual's scroll and screen classes; not part of the desk.
_NOT_OURS = ("scroll_", "page_left", "page_right", "screen.copy", "copy")


@dataclass
class _Entry:
    """One action in the list: every key bound to it, and whether it applies now."""

    keys: list[str]
    binding: Binding
    enabled: bool
    ours_first: bool


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark", "dismiss", "Close", id="help_close"),
        # Help says q quits, so it does here too (a modal screen hides the app's keys).
        Binding("q", "app.quit", "Quit", id="quit", show=False),
    ]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below

    def _entries(self) -> list[_Entry]:
        """The keys of the screen below, one entry per action, in the order they are bound."""
        entries: dict[str, _Entry] = {}
        for active in self.below.active_bindings.values():
            binding = active.binding
            # Textual's own widgets (scroll bars, inputs) bring keys of their own.
            ours = isinstance(active.node, (Screen, App)) or type(
                active.node
            ).__module__.startswith("askdesk.")
            if not ours or binding.action.startswith(_NOT_OURS):
                continue
            name = self.app.get_key_display(binding)
            entry = entries.get(binding.action)
            if entry is not None and binding.id and not entry.binding.id:
                entry.binding = binding  # ours says it in the desk's words (Textual's ctrl+q)
            if entry is None:
                # What staff do comes first; moving around (the list's own keys) after it.
                first = isinstance(active.node, (Screen, App))
                entries[binding.action] = _Entry([name], binding, active.enabled, first)
            elif name not in entry.keys:
                entry.keys.append(name)
        return sorted(entries.values(), key=lambda e: not e.ours_first)

    def compose(self) -> ComposeResult:
        entries = self._entries()
        with VerticalScroll(classes="dialog help"):
            yield Static(Text("Keys here", style="bold"))
            yield Static(_table([e for e in entries if e.enabled]))
            later = [e for e in entries if not e.enabled]
            if later:
                yield Static(Text("\nNot for this row (move to one they fit)", style="bold"))
                yield Static(_table(later))
            yield Static(Text("\nesc closes this help · q quits askdesk\n", style="italic"))
            yield Markdown(GUIDE)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def _table(entries: list[_Entry]) -> Table:
    """Keys, what they do and the longer why, the last column wrapping on its own."""
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(style="dim", ratio=1)
    for entry in entries:
        binding = entry.binding
        tooltip = binding.tooltip
        if tooltip.casefold() == binding.description.casefold():
            tooltip = ""
        table.add_row(" ".join(entry.keys), binding.description, tooltip)
    return table
