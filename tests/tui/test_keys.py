"""Every binding id any screen declares can be remapped in ``[keys]``, and the new key works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tuikit import settle, type_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.config import StatsField
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.errors import ConfigError
from askdesk.model import ReplyStatus
from askdesk.tui.app import AskdeskApp
from askdesk.tui.keys import bindings, check_keymap
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.prompts import ResolveDialog
from askdesk.tui.widgets.choice_row import ChoiceRow


def test_every_binding_id_is_rebindable() -> None:
    ids = {binding.id for _, binding in bindings() if binding.id}
    # The composer, channels and help keys were missing from the hand-kept list.
    assert {"send", "send_resolve", "discard", "private", "channels_close", "help_close"} <= ids
    for binding_id in ids:
        check_keymap({binding_id: "f5"}, None)


def test_every_screen_is_looked_at() -> None:
    owners = {owner.__name__ for owner, _ in bindings()}
    assert {"ComposerScreen", "ChannelsScreen", "HelpScreen", "TemplatePicker"} <= owners


def test_an_unknown_id_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"keys\.sned is not an action"):
        check_keymap({"sned": "ctrl+o"}, tmp_path / "config.toml")


async def test_a_remapped_composer_key_sends(
    desk: Desk, clock: FixedClock, make_message, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    """``[keys] send = "f5"``: the config is accepted, and f5 in the composer sends the reply."""
    keymap = {"send": "f5"}
    check_keymap(keymap, None)
    desk.ingest([make_message("1", "Are you open on Monday?")])
    folder = tmp_path / "drop"
    folder.mkdir()
    channel = DropFolderChannel("web", folder)
    app = AskdeskApp(
        desk,
        clock=clock,
        outbox=Outbox(desk, {"web": channel}),
        reply_settings=ReplySettings(library="Anytown Public Library"),
        refresh_seconds=3600,
        keymap=keymap,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        await type_text(pilot, "Yes, 9 to 5.")
        await pilot.press("f5")
        await settle(pilot)
        assert not isinstance(app.screen, ComposerScreen)
    conversation = desk.get("web:1")
    assert conversation is not None
    assert [r.status for r in conversation.replies] == [ReplyStatus.SENT]


async def test_a_remapped_field_key_moves_the_choice(
    desk: Desk, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    """``[keys] field_next = "f6"``: on a field of the resolve dialog, f6 picks the next choice."""
    keymap = {"field_next": "f6"}
    check_keymap(keymap, None)
    desk.ingest([make_message("1", "Are you open on Monday?")])
    fields = (StatsField("branch", ("main", "east")),)
    app = AskdeskApp(desk, clock=clock, refresh_seconds=3600, keymap=keymap, stats_fields=fields)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        branch = app.screen.query_one(ChoiceRow)
        app.screen.set_focus(branch)
        await pilot.press("f6", "f6")
        assert branch.value == "east"


def test_the_example_config_names_every_id() -> None:
    example = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
    named = set(re.findall(r"[a-z_]+", example.split("[keys]", 1)[1]))
    assert {b.id for _, b in bindings() if b.id} - named == set()
