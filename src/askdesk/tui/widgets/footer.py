"""The keys that apply where the cursor is, drawn as one line of text.

Textual's ``Footer`` is a widget per key (eleven on the desk), recomposed
(new widgets, their CSS, a layout: 20-50 ms here) whenever the bindings may
have changed, e.g. each time a dialog closes. This footer is one widget: a
change of keys is a repaint of one line, and repainting the whole screen
after a dialog costs ~1 ms less. askdesk is used from the keyboard, so the
footer's keys need not be clickable.
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from askdesk.tui.widgets.fixed import show

KEPT_ACTIONS = ("quit", "help")
"""The app's ``q`` and ``?``: kept on screen however narrow the terminal is."""

KEPT_KEYS = ("escape",)
"""``esc`` (back, discard, cancel), kept on screen too: the way out of anything."""


class KeysFooter(Static):
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    """

    _due = False
    """A redraw is scheduled for after the next refresh."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._show()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # After the frame that shows the key's effect, and once however many
        # changes came in it: working out the active keys takes ~0.5 ms.
        if self.is_attached and screen is self.screen and not self._due:
            self._due = True
            self.call_after_refresh(self._show)

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        self._due = False
        if not self.is_attached:
            return
        keys: list[Text] = []
        kept: list[Text] = []
        shown: set[str] = set()
        for key, (_, binding, enabled, _) in self.screen.active_bindings.items():
            if not binding.show or not enabled or binding.action in shown:
                # One entry per action, as Textual's footer has it; a key that does
                # not apply here right now (check_action None) is for help to list.
                continue
            shown.add(binding.action)
            entry = Text()
            entry.append(f" {self.app.get_key_display(binding)} ", style="bold reverse")
            entry.append(f" {binding.description} ")
            if binding.action in KEPT_ACTIONS or key in KEPT_KEYS:
                kept.append(entry)
            else:
                keys.append(entry)
        # A narrow terminal cuts the line, but never the ways out or the key
        # that explains the rest.
        line = Text(no_wrap=True)
        room = self.size.width - sum(entry.cell_len for entry in kept)
        for entry in keys:
            if line.cell_len + entry.cell_len > room - 1:
                line.append("…")
                break
            line.append_text(entry)
        for entry in kept:
            line.append_text(entry)
        show(self, line)
