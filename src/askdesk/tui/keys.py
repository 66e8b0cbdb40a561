"""The binding ids staff may remap in ``[keys]``, checked before the app starts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from textual.binding import Binding

from askdesk.errors import ConfigError


def binding_ids() -> dict[str, str]:
    """Every remappable binding id with its description."""
    from askdesk.tui.app import AskdeskApp
    from askdesk.tui.screens.desk import DeskScreen
    from askdesk.tui.screens.detail import DetailScreen
    from askdesk.tui.screens.handover import HandoverScreen
    from askdesk.tui.screens.prompts import ResolveDialog
    from askdesk.tui.screens.stats import StatsScreen
    from askdesk.tui.widgets.conversation_list import ConversationList

    ids: dict[str, str] = {}
    owners = (AskdeskApp, DeskScreen, DetailScreen, ConversationList, ResolveDialog)
    for owner in (*owners, StatsScreen, HandoverScreen):
        for cls in owner.__mro__:
            for b in cls.__dict__.get("BINDINGS", []):
                if isinstance(b, Binding) and b.id:
                    ids[b.id] = b.description
    return ids


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
