"""The desk's ``y`` on a reply that may have reached the patron: looked up before it goes again."""

from __future__ import annotations

from pathlib import Path

from tuikit import Recorder, settle

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.model import ReplyStatus
from askdesk.model import replying as r
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.detail import DetailScreen
from tests.conftest import MessageFactory


async def test_y_on_an_uncertain_reply_the_patron_got_records_it_sent_once(
    desk: Desk, clock: FixedClock, make_message: MessageFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    channel = DropFolderChannel("web", folder)
    desk.ingest([make_message("1")])
    outbox = Outbox(desk, {"web": channel})
    _, reply = outbox.queue("web:1", "We open at 9.")
    # Sent, then the process died; a desk that could not look at the time asked staff.
    taken = desk.store.update(
        "web:1", lambda c: r.take_for_sending(c, reply.id, clock.now(), "gone:1")
    )
    channel.send(taken, reply, clock.now())
    desk.store.update(
        "web:1", lambda c: r.mark_uncertain(c, reply.id, clock.now(), "could not check")
    )
    app = AskdeskApp(desk, clock=clock, outbox=outbox, refresh_seconds=3600)
    app.animation_level = "none"
    recorder = Recorder()
    async with app.run_test(size=(120, 34), message_hook=recorder) as pilot:
        await settle(pilot)
        app.push_screen(DetailScreen("web:1"))
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        app.send_replies()
        await app.workers.wait_for_complete()
        await settle(pilot)
    stored = desk.get("web:1")
    assert stored is not None
    assert stored.reply(reply.id).status is ReplyStatus.SENT  # type: ignore[union-attr]
    assert len(channel.outbox.read_text().splitlines()) == 1, "the patron got it once"
    assert any("found on the platform" in text for _, text in recorder.notifications())
