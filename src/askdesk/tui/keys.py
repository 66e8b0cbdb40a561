"""The binding ids staff may remap in ``[keys]``, checked before the app starts.

The ids are read from the ``BINDINGS`` of every screen and widget in this
package, so a key added to any screen can be remapped without a second list
to keep up to date.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode

from askdesk.errors import ConfigError


def _tui_modules() -> None:
    """Import every module of the TUI, so that each screen class exists."""
    import askdesk.tui

    for module in pkgutil.walk_packages(askdesk.tui.__path__, "askdesk.tui."):
        importlib.import_module(module.name)


def _subclasses(cls: type[DOMNode]) -> Iterator[type[DOMNode]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def bindings() -> Iterator[tuple[type[DOMNode], Binding]]:
    """Every binding that an askdesk screen, widget or the app declares, with its owner."""
    _tui_modules()
    owners = {cls for cls in _subclasses(DOMNode) if cls.__module__.startswith("askdesk.")}
    for owner in sorted(owners, key=lambda cls: (cls.__module__, cls.__qualname__)):
        for binding in owner.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding):
                yield owner, binding


def binding_ids() -> dict[str, str]:
    """Every remappable binding id with its description."""
    return {binding.id: binding.description for _, binding in bindings() if binding.id}


def check_keymap(keys: Mapping[str, str], source: Path | None) -> None:
    if not keys:
        return  # nothing to check, and no need to import every screen before the desk opens
    known = binding_ids()
    for action in keys:
        if action not in known:
            raise ConfigError(
                f"{source or 'config'}: keys.{action} is not an action "
                f"(known: {', '.join(sorted(known))})"
            )
