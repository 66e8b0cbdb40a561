"""Textual's footer, rebuilt only when the keys it shows have changed.

Textual's ``Footer`` recomposes (new key widgets, their CSS, a layout) each
time bindings *may* have changed: every ``refresh_bindings``, every screen
resume, e.g. when the resolve dialog closes. That is 20-50 ms on the event
loop here, and it starves the worker that is writing the store meanwhile.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    _shown: Hashable = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        # As Footer.bindings_changed, but through the check below.
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        shown = tuple(
            (
                key,
                binding.action,
                binding.description,
                enabled,
                tooltip,
                self.app.get_key_display(binding),
            )
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show
        )
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
