"""A reply that fails is never recorded as answered.

On a drop-folder channel (no private route; its messages are ``direct``) the
composer offers only the route the channel has, send-and-resolve resolves
only once the outbox reports the reply sent, a reply that did not go out
leaves the conversation claimed with that reply in view, and ``e`` can move
a stuck private reply to the route the channel has.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Static, TextArea
from tuikit import Recorder, settle, type_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.answering import ReplyNotSent, send_then_resolve
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.triage import resolving
from askdesk.errors import TransitionError
from askdesk.model import Kind, Outcome, QuestionType, Reply, ReplyStatus, Status
from askdesk.model import replying as r
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.screens.prompts import ResolveDialog

SIZE = (120, 34)
KEY = "web:1"


@pytest.fixture
def seeded(desk: Desk, make_message) -> Desk:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1", "Is the Le Guin biography in?", kind=Kind.DIRECT)])
    return desk


def drop_channel(tmp_path: Path, *, broken: bool = False) -> DropFolderChannel:
    folder = tmp_path / "drop"
    folder.mkdir(exist_ok=True)
    outbox = tmp_path / "replies.jsonl"
    if broken:
        outbox.mkdir()  # a folder where the replies file should be: every send fails
    return DropFolderChannel("web", folder, outbox=outbox)


def make_app(desk: Desk, clock: FixedClock, channel: DropFolderChannel) -> AskdeskApp:
    channels = {"web": channel}
    settings = ReplySettings(platforms={"web": "drop"}, private_routes=frozenset())
    app = AskdeskApp(
        desk,
        clock=clock,
        outbox=Outbox(desk, channels),
        reply_settings=settings,
        refresh_seconds=3600,
    )
    app.animation_level = "none"
    return app


def route_line(app: AskdeskApp) -> str:
    assert isinstance(app.screen, ComposerScreen)
    return str(app.screen.query_one("#reply-meta", Static).render())


async def test_a_direct_message_on_a_drop_channel_is_answered_by_the_route_it_has(
    seeded: Desk, clock: FixedClock, tmp_path: Path
) -> None:
    channel = drop_channel(tmp_path)
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot)
        assert "private message" not in route_line(app)
        assert app.screen.check_action("toggle_private", ()) is False
        await type_text(pilot, "Yes, on the new books shelf.")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    stored = seeded.get(KEY)
    assert stored is not None and stored.status is Status.RESOLVED
    (reply,) = stored.replies
    assert (reply.status, reply.private) == (ReplyStatus.SENT, False)
    (line,) = channel.outbox.read_text().splitlines()
    assert json.loads(line)["private"] is False


async def test_send_and_resolve_leaves_it_claimed_when_the_send_fails(
    seeded: Desk, clock: FixedClock, tmp_path: Path
) -> None:
    recorder = Recorder()
    app = make_app(seeded, clock, drop_channel(tmp_path, broken=True))
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "Yes, it is in.")
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        # The failed reply is in view, with the keys that act on it.
        assert isinstance(app.screen, DetailScreen) and app.screen.key == KEY
        assert app.screen.check_action("edit_reply", ()) is True
        assert not any(isinstance(s, ResolveDialog) for s in app.screen_stack)
    stored = seeded.get(KEY)
    assert stored is not None
    assert (stored.status, stored.holder) == (Status.CLAIMED, "ana")
    assert "resolve" not in [e.action for e in stored.events]
    assert [reply.status for reply in stored.replies] == [ReplyStatus.PENDING]
    shown = [text for severity, text in recorder.notifications() if severity == "error"]
    assert any(
        text.startswith(f"{KEY} was not resolved: the reply did not go out (could not write")
        and text.endswith("it stays yours")
        for text in shown
    ), shown
    assert not any("answered and resolved" in text for _, text in recorder.notifications())


async def test_edit_moves_a_stuck_private_reply_to_the_route_the_channel_has(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, tmp_path: Path
) -> None:
    """A private reply stored before the composer knew better failed; e fixes its route."""
    channel = drop_channel(tmp_path)
    stuck = Reply(id="r1", text="Yes, it is in.", staff="ana", created_at=clock.now(), private=True)
    store.update(KEY, lambda c: r.queue_reply(c, stuck, clock.now()))
    Outbox(seeded, {"web": channel}).send(KEY, "r1")
    assert seeded.get(KEY).reply("r1").status is ReplyStatus.FAILED  # type: ignore[union-attr]
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert "private message" not in route_line(app)
        assert app.screen.query_one(TextArea).text == "Yes, it is in."
        await pilot.press("ctrl+s")
        await settle(pilot)
    reply = seeded.get(KEY).reply("r1")  # type: ignore[union-attr]
    assert reply is not None and (reply.status, reply.private) == (ReplyStatus.SENT, False)


def test_a_private_reply_on_a_channel_without_a_private_route_is_refused_before_it_is_stored(
    seeded: Desk, tmp_path: Path
) -> None:
    outbox = Outbox(seeded, {"web": drop_channel(tmp_path)})
    with pytest.raises(TransitionError, match="web has no private route"):
        outbox.queue(KEY, "Yes, it is in.", private=True)
    assert seeded.get(KEY).replies == ()  # type: ignore[union-attr]


def test_send_then_resolve_waits_for_a_send_another_worker_has_taken(
    seeded: Desk, clock: FixedClock, tmp_path: Path
) -> None:
    """Another process is mid-send: the resolve waits for its word, then goes ahead."""
    channel = drop_channel(tmp_path)
    outbox = Outbox(seeded, {"web": channel})
    queued, reply = outbox.queue(KEY, "Yes, it is in.")
    seeded.store.update(KEY, lambda c: r.take_for_sending(c, reply.id, clock.now(), "other"))
    waits: list[float] = []

    def other_process_finishes(seconds: float) -> None:
        waits.append(seconds)
        seeded.store.update(KEY, lambda c: r.record_sent(c, reply.id, clock.now(), "remote-1"))

    resolve = resolving(Outcome.ANSWERED, QuestionType.DIRECTIONAL, 1)
    resolved = send_then_resolve(
        outbox, KEY, reply.id, resolve, queued.version, sleep=other_process_finishes
    )
    assert resolved.status is Status.RESOLVED and len(waits) == 1
    assert not channel.outbox.exists()  # sent once, by the other process


def test_send_then_resolve_gives_up_on_a_send_that_does_not_finish(
    seeded: Desk, clock: FixedClock, tmp_path: Path
) -> None:
    outbox = Outbox(seeded, {"web": drop_channel(tmp_path)})
    queued, reply = outbox.queue(KEY, "Yes, it is in.")
    seeded.store.update(KEY, lambda c: r.take_for_sending(c, reply.id, clock.now(), "other"))
    resolve = resolving(Outcome.ANSWERED, QuestionType.DIRECTIONAL, 1)
    with pytest.raises(ReplyNotSent, match="was not out after 0 s; it is still sending"):
        send_then_resolve(outbox, KEY, reply.id, resolve, queued.version, wait_s=0)
    assert seeded.get(KEY).status is Status.CLAIMED  # type: ignore[union-attr]
