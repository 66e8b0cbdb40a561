"""Help that cannot drift from the keys: the live bindings of the screen below, plus a text."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown, Static

GUIDE = """\
## The desk

New questions arrive in **New**. Claim one (`c`) and it moves to **Claimed**
with your name on it; colleagues on the same store see that at once and
cannot claim it too. Resolve it (`d`) with an outcome, a question type and a
READ level; it moves to **Resolved** and counts in the statistics.

A follow-up from the patron joins its conversation: it stays with whoever
holds it, or reopens it if it was resolved. Rows marked **LATE** have waited
longer than the desk's target; **⚑** marks a conversation flagged for review.

Anything on this screen can be done from the shell too: `askdesk --help`.
"""


def _key_name(key: str, display: str | None) -> str:
    names = {"exclamation_mark": "!", "question_mark": "?", "slash": "/", "tab": "tab"}
    return display or names.get(key, key)


# Inherited from Textual's scroll and screen classes; not part of the desk.
_NOT_OURS = ("scroll_", "page_left", "page_right", "screen.copy", "copy")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help_close")]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        lines = Text()
        seen: set[str] = set()
        # What staff do comes first; moving around (the list's own keys) after it.
        ordered = sorted(
            self.below.active_bindings.items(),
            key=lambda item: not isinstance(item[1].node, (Screen, App)),
        )
        for key, active in ordered:
            binding = active.binding
            # Textual's own widgets (scroll bars, inputs) bring keys of their own.
            ours = isinstance(active.node, (Screen, App)) or type(
                active.node
            ).__module__.startswith("askdesk.")
            if not ours or binding.action in seen or binding.action.startswith(_NOT_OURS):
                continue
            seen.add(binding.action)
            keys = _key_name(key, self.app.get_key_display(binding))
            lines.append(f"  {keys:<11}", style="bold")
            lines.append(f"{binding.description:<12}")
            if binding.tooltip and binding.tooltip.casefold() != binding.description.casefold():
                lines.append(f" {binding.tooltip}", style="dim")
            lines.append("\n")
        with VerticalScroll(classes="dialog help"):
            yield Markdown(GUIDE + "\n## Keys here")
            yield Static(lines)
            yield Static(Text("esc closes this help", style="italic"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
