"""Help that cannot drift from the keys: the live bindings of the screen below, plus a text."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown

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


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help_close")]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        rows = ["| key | what it does |", "|---|---|"]
        seen: set[str] = set()
        for key, active in self.below.active_bindings.items():
            binding = active.binding
            if binding.action in seen or not binding.description:
                continue
            seen.add(binding.action)
            keys = self.app.get_key_display(binding)
            what = binding.tooltip or binding.description
            rows.append(f"| `{_key_name(key, keys)}` | {what} |")
        with VerticalScroll(classes="dialog help"):
            yield Markdown(
                GUIDE + "\n## Keys here\n\n" + "\n".join(rows) + "\n\n*esc closes this help*"
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
