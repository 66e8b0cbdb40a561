"""The askdesk application: wires the desk to the screens and runs the workers.

Workers do the I/O (store reads, polls, transitions) and report with
messages; only handlers here change what the screens show.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, tzinfo

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from askdesk.clock import Clock
from askdesk.config import StatsField
from askdesk.desk import Desk
from askdesk.desk.answering import SEND_WAIT_S, ReplyNotSent, send_then_resolve
from askdesk.desk.compose import ReplySettings
from askdesk.desk.health import summary
from askdesk.desk.live import ON_SHIFT_WITHIN, LiveRunner
from askdesk.desk.outbox import Outbox
from askdesk.desk.retention import Forget, RetentionPolicy, purge
from askdesk.desk.shift import Shift, shift_of
from askdesk.desk.sync import ChannelHealth, Poller, worker_id
from askdesk.desk.templates import Template
from askdesk.desk.text import inert
from askdesk.desk.time_spent import TimeOnConversations
from askdesk.desk.triage import Step, handing_to, unchanged_since
from askdesk.desk.views import listed_author
from askdesk.errors import AskdeskError, Collision, StoreError
from askdesk.model import Conversation, ReplyStatus, Resolution
from askdesk.model.opening_hours import OpeningHours
from askdesk.tui.collector import IdleCollector
from askdesk.tui.messages import (
    ActionRefused,
    ChannelsChanged,
    ChannelsPolled,
    ColleagueLooked,
    ConversationChanged,
    DeskChanged,
    PatronDetailsRemoved,
    RepliesSent,
    ReplyCollided,
    ReplyQueued,
    ReplyRefused,
    SendAndResolveSettled,
    ShiftChanged,
)
from askdesk.tui.screens.channels import ChannelsScreen
from askdesk.tui.screens.composer import ComposerScreen, Draft
from askdesk.tui.screens.confirm import Choice
from askdesk.tui.screens.conversation_screen import ConversationScreen, naming
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.screens.handover import HandoverScreen
from askdesk.tui.screens.prompts import ResolveChoice, ResolveDialog

log = logging.getLogger(__name__)

BACKGROUND = frozenset({"refresh", "poll", "live", "shift", "retention", "outbox"})
"""The worker groups that run on a timer, not because staff pressed a key."""
WRITES = frozenset({"desk", "handover"})
"""The worker groups that write what staff did; quitting waits for them."""
HEARTBEAT_SECONDS = 5.0
"""How often the desk tells the store it is open (``ON_SHIFT_WITHIN`` forgets it)."""


class AskdeskApp(App[None]):
    CSS_PATH = "askdesk.tcss"
    TITLE = "askdesk"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave askdesk (your claims stay yours)"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Keys and how the desk works"),
        Binding(
            "i",
            "channels",
            "Channels",
            id="channels",
            tooltip="Each channel's health: last poll, next poll, rate limit, last error",
            show=False,
        ),
    ]

    def __init__(
        self,
        desk: Desk,
        *,
        clock: Clock,
        poller: Poller | None = None,
        live: LiveRunner | None = None,
        library: str = "the library",
        target_minutes: float = 60.0,
        demo: bool = False,
        keymap: Mapping[str, str] | None = None,
        refresh_seconds: float = 0.5,
        tz: tzinfo = UTC,
        retention: RetentionPolicy | None = None,
        retention_elsewhere: Sequence[Forget] = (),
        outbox: Outbox | None = None,
        reply_settings: ReplySettings | None = None,
        stats_fields: Sequence[StatsField] = (),
        opening_hours: OpeningHours | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.clock = clock
        self.poller = poller
        self.live = live
        """Holds the chat connections while no other askdesk on the store does."""
        self.library = library
        self.target_minutes = target_minutes
        self.demo = demo
        self._keymap = dict(keymap or {})
        self.refresh_seconds = refresh_seconds
        self.tz = tz
        """The zone statistics count days and hours in."""
        self.retention = retention
        """Anonymize what is due when the desk starts; ``None``: leave it to ``askdesk purge``."""
        self.retention_elsewhere = tuple(retention_elsewhere)
        """What retention cleans outside the store too (drop files, log records)."""
        self.outbox = outbox
        """Sends replies; ``None`` when the desk is only looked at (tests, read-only)."""
        self.reply_settings = reply_settings or ReplySettings(library=library)
        self.stats_fields = tuple(stats_fields)
        """The library's own ``[[stats.fields]]``, asked for when resolving."""
        self.opening_hours = opening_hours
        """``[library] hours``: statistics split the first response by them; ``None``: none."""
        self.time_spent = TimeOnConversations()
        """How long each conversation has been open here: what "minutes spent" proposes."""
        self.conversations: dict[str, Conversation] = {}
        self.store_problem: str | None = None
        """Shown in the status bar while the store (a database server) cannot be reached."""
        self.drafts: dict[str, str] = {}
        """This staff member's unsent replies kept with ``esc``, by conversation key."""
        self._seen_version: object = None
        self._collector = IdleCollector()
        self._previews: dict[str, Conversation] = {}
        """What ``act`` shows while its store write is on its way, by key."""
        self.on_shift = Shift()
        """The other desks open on the store right now: colleagues', and this staff member's."""
        self._desk_id = worker_id()
        self._channels_shown = ""
        """The status bar's channel words as last drawn, so it is redrawn when they change."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Textual's notification, shown as plain inert text whatever ``markup`` says.

        Nearly every notification names a key, a colleague or a platform's
        error, all from outside; Textual would parse the message as markup
        (``Widget.notify`` asks it to by default), so ``[@click=app.quit]`` in
        a key would become an action and ``[/b]`` would raise.
        """
        super().notify(
            inert(message),
            title=inert(title, keep_newlines=False),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def on_mount(self) -> None:
        self.set_keymap(self._keymap)
        # The first frame already shows the desk: the hot file is small by design.
        self._seen_version = self.desk.version()
        self.conversations = {c.key: c for c in self.desk.live()}
        self.drafts = self.desk.drafts()
        self.push_screen(DeskScreen())
        self.set_interval(self.refresh_seconds, self.check_store)
        self.set_interval(30, self._redraw)  # ages move on
        if self.poller is not None:
            self.poll_channels()
            self.set_interval(1.0, self.poll_channels)
        if self.live is not None:
            self.hold_live_channels()
            self.set_interval(1.0, self.hold_live_channels)
        self.heartbeat()
        self.set_interval(HEARTBEAT_SECONDS, self.heartbeat)
        if self.retention is not None:
            self.purge_expired(self.retention)
        if self.outbox is not None:
            self.send_replies()
            self.set_interval(2.0, self.send_replies)
            self.warm_up_composer()
        # Full garbage collections wait for a quiet moment, not for a key's frame.
        self.call_after_refresh(self._collector.start)
        self.set_interval(self._collector.every, self._collector.tick)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._collector.key_pressed()
            self.time_spent.key_pressed(self.clock.now())
        await super().on_event(event)

    # -- workers: I/O off the event loop ------------------------------------------

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def check_store(self) -> None:
        version = self.desk.version()
        if version != self._seen_version:
            conversations, problem = self.desk.live(), self.desk.store_problem()
            try:
                drafts: dict[str, str] | None = self.desk.drafts()
            except AskdeskError:
                drafts = None  # the store is away (``problem`` says so): keep the marks shown
            self.post_message(DeskChanged(conversations, version, problem, drafts))

    # Not exclusive: cancelling cannot stop a thread, it would only hide a running
    # fetch from the app. The Poller passes over a channel whose fetch still runs.
    @work(thread=True, group="poll", exit_on_error=False)
    def poll_channels(self) -> None:
        assert self.poller is not None
        results = self.poller.poll_due()
        if results:
            self.post_message(ChannelsPolled(results))

    @work(thread=True, exclusive=True, group="live", exit_on_error=False)
    def hold_live_channels(self) -> None:
        """Take the chat connections when no other askdesk holds them; keep them renewed."""
        assert self.live is not None
        self.live.tick()
        shown = self.channel_summary()
        if shown != self._channels_shown:
            self._channels_shown = shown
            self.post_message(ChannelsChanged())

    @work(thread=True, exclusive=True, group="shift", exit_on_error=False)
    def heartbeat(self) -> None:
        """Tell the store this desk is open, and learn who else is on shift."""
        store, now = self.desk.store, self.clock.now()
        store.heartbeat(self.desk.staff, self._desk_id, now)
        shift = shift_of(store.on_shift(now, ON_SHIFT_WITHIN), self._desk_id, self.desk.is_me)
        if shift != self.on_shift:
            self.post_message(ShiftChanged(shift))

    @work(thread=True, exclusive=True, group="retention", exit_on_error=False)
    def purge_expired(self, policy: RetentionPolicy) -> None:
        """Anonymize resolved conversations past their retention time, off the event loop."""
        result = purge(
            self.desk.store, policy, self.clock.now(), elsewhere=self.retention_elsewhere
        )
        if result.keys or result.elsewhere():
            self.post_message(PatronDetailsRemoved(result))

    def act(self, key: str, step: Step, done: str, *, follow: bool = False) -> None:
        """Apply a staff action (a model transition) to ``key``.

        What it will make of the conversation is shown at once, so the row
        moves in the next frame rather than after the store write. The store
        still decides, as a compare-and-set: if it refuses (a colleague was
        quicker), the refusal is shown and the desk reloads the store's truth.

        ``follow``: the action makes the conversation the staff member's to go
        on with (claim, take over, reopen), so the cursor goes with it to its
        new pane. Without it (resolve, release, hand off: it leaves their
        hands) the cursor stays in the pane, on the row that takes its place.
        """
        on_screen = self.conversations.get(key)
        if on_screen is not None:
            try:
                shown = self.desk.preview(on_screen, step)
            except AskdeskError:
                pass  # the store meets the same refusal and says it in words
            else:
                self.conversations[key] = shown
                self._previews[key] = shown
                if follow:
                    self._follow(shown)
                self._redraw()
                # Paint first, then write: the store write is CPU work too, and
                # beside the frame on the event loop it makes both slower.
                self.call_after_refresh(self.run_desk, lambda d: d.apply(key, step), done, key)
                return
        self.run_desk(lambda d: d.apply(key, step), done, key)

    @work(thread=True, group="desk", exit_on_error=False)
    def run_desk(
        self, change: Callable[[Desk], Conversation], done: str, key: str | None = None
    ) -> None:
        """Apply one staff action; the store makes it a compare-and-set."""
        try:
            conversation = change(self.desk)
        except AskdeskError as error:
            self.post_message(ActionRefused(str(error), key))
        else:
            self.post_message(ConversationChanged(conversation, done))

    @work(thread=True, group="desk", exit_on_error=False)
    def queue_reply(self, key: str, draft: Draft) -> None:
        """Store the reply as pending (no network yet); the outbox worker sends it."""
        if self.outbox is None:
            self.post_message(ActionRefused("this desk cannot send replies"))
            return
        try:
            conversation, reply = self.outbox.queue(
                key,
                draft.text,
                templates=draft.templates,
                private=draft.private,
                expected_version=draft.expected_version,
            )
        except Collision as collision:
            self.post_message(ReplyCollided(key, draft, collision.changes))
        except AskdeskError as error:
            self.post_message(ReplyRefused(key, draft, str(error)))
        else:
            self.post_message(ReplyQueued(conversation, draft, reply.id))

    @work(thread=True, group="desk", exit_on_error=False)
    def resolve_after_send(
        self, key: str, reply_id: str, version: int, choice: ResolveChoice
    ) -> None:
        """Resolve once the outbox reports the reply sent; a reply that did not go out
        leaves the conversation claimed."""
        assert self.outbox is not None
        step = choice.step()
        done = f"answered and resolved ({choice.question_type}, READ {choice.read})"
        try:
            conversation = send_then_resolve(self.outbox, key, reply_id, step, version)
        except ReplyNotSent as error:
            self.post_message(SendAndResolveSettled(key, None, done, str(error), True))
        except AskdeskError as error:
            self.post_message(SendAndResolveSettled(key, None, done, str(error)))
        else:
            self.post_message(SendAndResolveSettled(key, conversation, done))

    @work(thread=True, group="desk", exit_on_error=False)
    def look_up_colleague(self, key: str, name: str, version: int) -> None:
        """Whether anyone called ``name`` has worked here; the first time, the archive too.

        With a team list the list decides: the name as listed, or refused.
        """
        if self.desk.team:
            try:
                listed = self.desk.colleague(name)
            except AskdeskError as error:
                self.post_message(ActionRefused(str(error), key))
                return
            self.post_message(ColleagueLooked(key, listed, version, known=True))
            return
        known = name in self.desk.known_staff(with_history=True)
        self.post_message(ColleagueLooked(key, name, version, known))

    @work(thread=True, group="warm-up", exit_on_error=False)
    def warm_up_composer(self) -> None:
        self.reply_settings.warm_up()

    @work(thread=True, group="desk", exit_on_error=False)
    def retry_reply(self, key: str, reply_id: str) -> None:
        """``y``: what may have reached the platform is looked up before it is queued again."""
        assert self.outbox is not None
        try:
            result = self.outbox.retry(key, reply_id)
        except AskdeskError as error:
            self.post_message(ActionRefused(str(error), key))
            return
        if result.conversation is not None:
            self.post_message(
                ConversationChanged(result.conversation, f"reply {reply_id[:8]}: {result.detail}")
            )

    @work(thread=True, exclusive=True, group="outbox", exit_on_error=False)
    def send_replies(self) -> None:
        assert self.outbox is not None
        results = self.outbox.run_due()
        if results:
            self.post_message(RepliesSent(results))

    # -- handlers: the only place screens change ----------------------------------

    def open_composer(
        self, key: str, template: Template | None = None, text: str | None = None
    ) -> None:
        conversation = self.conversations.get(key) or self.desk.get(key)
        if conversation is None:
            self.notify(f"{key} is no longer on the desk", severity="warning")
            return

        def drafted(draft: Draft | None) -> None:
            if draft is not None:
                self.queue_reply(key, draft)

        self.push_screen(
            ComposerScreen(
                conversation,
                self.reply_settings,
                self.desk.staff,
                template,
                initial_text=self.drafts.get(key) if text is None else text,
                on_leave=lambda words: self.keep_draft(key, words),
                clock=self.clock,
            ),
            drafted,
        )

    def keep_draft(self, key: str, text: str | None) -> None:
        """Keep ``text`` as this staff member's draft reply to ``key`` (``None``: none)."""
        if self.drafts.get(key) == text:
            return
        if text is None:
            self.drafts.pop(key, None)
        else:
            self.drafts[key] = text
        self._redraw()  # the row's ✎ now; the store write follows in a worker
        self.save_draft(key, text)

    @work(thread=True, group="desk", exit_on_error=False)
    def save_draft(self, key: str, text: str | None) -> None:
        """Write the draft to the store, where it outlives this desk."""
        try:
            self.desk.save_draft(key, text)
        except AskdeskError as error:
            self.post_message(ActionRefused(f"the draft to {key} was not kept: {error}", key))

    def hand_off(self, key: str, name: str, version: int) -> None:
        """Hand ``key`` to ``name``, asking first when nobody of that name has worked here."""
        self.look_up_colleague(key, name, version)

    @on(ColleagueLooked)
    def _colleague_looked(self, message: ColleagueLooked) -> None:
        key, name = message.key, message.name

        def hand() -> None:
            step = unchanged_since(message.version, handing_to(name), "handed on")
            self.act(key, step, f"handed to {name}")

        if message.known:
            hand()
            return

        def decided(answer: str | None) -> None:
            if answer == "y":
                hand()

        shown = self.conversations.get(key)
        self.push_screen(
            Choice(
                f"Hand {naming(shown) if shown else key} to {name}?",
                [
                    f"Nobody called {name} has used this desk: only someone working as "
                    f"{name} will see it as theirs. Check the spelling."
                ],
                {"y": f"hand it to {name}"},
            ),
            decided,
        )

    @on(ReplyQueued)
    def _reply_queued(self, message: ReplyQueued) -> None:
        c, draft = message.conversation, message.draft
        self.conversations[c.key] = c
        if not draft.resolve:  # a reply claims the question: the next key is for it
            self._follow(c)
        self.keep_draft(c.key, None)  # sent: the draft has done its work
        self._redraw()
        if self.outbox is not None:
            self.send_replies()
        if not draft.resolve:
            return
        defaults = draft.template_defaults

        def resolved(choice: ResolveChoice) -> None:
            self.time_spent.forget(c.key)
            self.resolve_after_send(c.key, message.reply_id, c.version, choice)

        self.push_screen(
            ResolveDialog(
                c.key,
                question_type=defaults.question_type if defaults else None,
                read=defaults.read if defaults else None,
                minutes=self.minutes_spent(c.key),
                fields=self.stats_fields,
                proposed=defaults.fields if defaults else None,
                on_choice=resolved,
                after_send=True,
                patron=listed_author(c),
            )
        )

    def minutes_spent(self, key: str) -> int | None:
        """What the resolve dialog proposes: the minutes ``key`` was open here (``None``: never)."""
        return self.time_spent.minutes(key, self.clock.now()) or None

    @on(SendAndResolveSettled)
    def _send_and_resolve_settled(self, message: SendAndResolveSettled) -> None:
        key = message.key
        for screen in self.screen_stack:
            if isinstance(screen, ResolveDialog) and screen.key == key and screen.waiting:
                screen.settled()
        if message.conversation is not None:
            self._conversation_changed(ConversationChanged(message.conversation, message.done))
            return
        self.notify(message.refusal or "", title="Not resolved", severity="error", timeout=12)
        if message.reply_failed and (shown := self.conversations.get(key)) is not None:
            self._follow(shown)  # still claimed: the desk's cursor goes to it, under its view
        self._seen_version = None
        self.check_store()
        on_top = self.screen
        if message.reply_failed and not (isinstance(on_top, DetailScreen) and on_top.key == key):
            self.push_screen(DetailScreen(key))  # the failed reply, with its keys

    @on(ReplyRefused)
    def _reply_refused(self, message: ReplyRefused) -> None:
        """The words come back: the composer had closed as if the reply were on its way."""
        key, text = message.key, message.draft.text
        self.notify(f"Reply to {key} not sent: {message.reason}", severity="warning", timeout=8)
        if isinstance(self.screen, ConversationScreen):
            self.open_composer(key, text=text)  # to send again, or esc to keep them
        else:
            self.keep_draft(key, text)  # staff went on elsewhere: a draft, marked ✎ on its row

    @on(ReplyCollided)
    def _reply_collided(self, message: ReplyCollided) -> None:
        key, draft = message.key, message.draft

        def decided(answer: str | None) -> None:
            if answer == "s":
                self.queue_reply(key, replace(draft, expected_version=None))
            elif answer == "d":
                self.keep_draft(key, None)
                self.notify(f"Reply to {key} discarded", timeout=3)
            else:
                self.open_composer(key, text=draft.text)

        self.check_store()
        self.push_screen(
            Choice(
                f"{key} changed while you were writing",
                message.changes,
                {"s": "send anyway", "d": "discard the reply"},
            ),
            decided,
        )

    @on(RepliesSent)
    def _replies_sent(self, message: RepliesSent) -> None:
        for result in message.results:
            if result.status is ReplyStatus.SENT:
                continue
            retrying = result.status is ReplyStatus.PENDING
            self.notify(
                str(result),
                title="Reply not sent yet" if retrying else "Reply not sent: check it",
                severity="warning" if retrying else "error",
                timeout=10,
            )
        self.check_store()

    @on(DeskChanged)
    def _desk_changed(self, message: DeskChanged) -> None:
        self._seen_version = message.version
        conversations = {c.key: c for c in message.conversations}
        # A store read that began before our own write must not undo what we
        # show for it; the write's own answer settles it a moment later.
        conversations.update(self._previews)
        # After our own action the store hands back the very objects we already
        # show: nothing to redraw (a redraw rebuilds every row of the pane).
        unchanged = conversations.keys() == self.conversations.keys() and all(
            self.conversations[key] is c for key, c in conversations.items()
        )
        for c in message.conversations:
            # Said wherever the cursor is: a patron now waits on this staff member,
            # or no longer does (a reply half written to them is now a colleague's).
            if moved := self.desk.colleague_moved(self.conversations.get(c.key), c):
                who = f"{listed_author(c)} · {c.key}"
                if moved.action == "hand-off":
                    self.notify(f"{moved.staff} handed you {who} (2: Claimed)", timeout=8)
                else:
                    self.notify(f"{moved.staff} took over {who} from you", timeout=8)
        if message.drafts is not None and message.drafts != self.drafts:
            self.drafts = message.drafts
            unchanged = False
        self.conversations = conversations
        if message.store_problem != self.store_problem:
            self.store_problem = message.store_problem
            unchanged = False
        if not unchanged:
            self._redraw()

    @on(ConversationChanged)
    def _conversation_changed(self, message: ConversationChanged) -> None:
        c = message.conversation
        self._previews.pop(c.key, None)
        shown = self.conversations.get(c.key)
        self.conversations[c.key] = c
        if shown is None or not _looks_the_same(shown, c):
            self._redraw()  # not when the screen already shows it (``act``'s preview)
        now = self.clock.now()
        if self.outbox is not None and any(r.due(now) for r in c.open_replies):
            self.send_replies()  # an edited or retried reply goes now, not at the next tick
        if message.done != "claimed":  # a claim shows itself: the row moves
            self.notify(f"{c.key} {message.done}", timeout=3)

    @on(ActionRefused)
    def _refused(self, message: ActionRefused) -> None:
        self.notify(message.reason, severity="warning", timeout=6)
        if message.key is not None:
            self._previews.pop(message.key, None)
            for screen in self.screen_stack:
                if isinstance(screen, ConversationScreen):
                    screen.refused(message.key)
        self._seen_version = None  # reload even if the store did not change: undo what we showed
        self.check_store()

    @on(ChannelsPolled)
    def _polled(self, message: ChannelsPolled) -> None:
        for result in message.results:
            if result.error:
                self.notify(result.summary(), title="Channel problem", severity="error", timeout=10)
            for problem in result.problems[:3]:
                self.notify(f"{result.channel}: skipped {problem}", severity="warning", timeout=10)
        self.check_store()
        self._redraw()

    @on(ChannelsChanged)
    def _channels_changed(self) -> None:
        self._refresh_status()

    @on(ShiftChanged)
    def _shift_changed(self, message: ShiftChanged) -> None:
        self.on_shift = message.shift
        self._refresh_status()

    def _refresh_status(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, DeskScreen):
                screen.refresh_status()

    @on(PatronDetailsRemoved)
    def _purged(self, message: PatronDetailsRemoved) -> None:
        result = message.result
        said = [result.summary()] if result.keys else []
        self.notify("Retention: " + "; ".join(said + result.elsewhere()), timeout=6)
        self.check_store()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            if (
                event.worker.group in BACKGROUND
                and isinstance(error, StoreError)
                and self.desk.store_problem() is not None
            ):
                # The header says the store is away; the heartbeat, poll and outbox
                # failing on it every second would bury the desk in red toasts.
                log.warning("worker %s: %s", event.worker.name, error)
                return
            log.error("worker %s failed", event.worker.name, exc_info=error)
            text = str(error) if isinstance(error, AskdeskError) else f"unexpected error: {error!r}"
            self.notify(text, title="Something went wrong", severity="error", timeout=10)
            # Show the store's truth again, not what a failed action hoped for.
            self._previews.clear()
            self._seen_version = None
            self.check_store()

    def _follow(self, conversation: Conversation) -> None:
        """Keep ``conversation`` under the cursor of every screen, at their next redraw."""
        for screen in self.screen_stack:
            if isinstance(screen, ConversationScreen):
                screen.follow(conversation)

    def _redraw(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, ConversationScreen):
                screen.refresh_desk()

    # -- shown in the status bar ----------------------------------------------------

    def channel_health(self) -> list[ChannelHealth]:
        """Every channel's health: the polled ones', then the live ones'."""
        healths = list(self.poller.health.values()) if self.poller is not None else []
        if self.live is not None:
            healths += self.live.health.values()
        return healths

    def channel_summary(self) -> str:
        now = self.clock.now()
        return " · ".join(summary(h, now) for h in self.channel_health())

    def action_channels(self) -> None:
        if self.channel_health() and not isinstance(self.screen, ChannelsScreen):
            self.push_screen(ChannelsScreen())

    async def action_quit(self) -> None:
        """Leave once the store has every change already shown as made.

        A claim is drawn first and written just after that frame (``act``), so
        a ``q`` pressed at once must not end the desk, and close the store,
        before the write: the claim would be lost behind a screen that said it
        was made. Called behind the callbacks already queued, the writes they
        start are counted too.
        """
        self.call_after_refresh(self._quit_when_written)

    @work(exclusive=True, group="quit", exit_on_error=False)
    async def _quit_when_written(self) -> None:
        writing = [w for w in self.workers if w.group in WRITES and not w.is_finished]
        if writing:
            self.notify("Saving your last change, then askdesk closes…", timeout=SEND_WAIT_S)
            # A write that fails is reported by its own worker; leave all the same.
            await asyncio.gather(*(w.wait() for w in writing), return_exceptions=True)
        self.exit()

    def on_unmount(self) -> None:
        self._collector.stop()
        if self.poller is not None:
            self.poller.release()
        if self.live is not None:
            self.live.stop()  # another askdesk on the store takes the chat over at once
        try:
            self.desk.store.end_shift(self._desk_id)
        except AskdeskError:
            log.warning("could not say this desk closed", exc_info=True)

    def action_statistics(self) -> None:
        # Imported when first wanted: plotting and Markdown cost ~0.1 s of every start.
        from askdesk.tui.screens.stats import StatsScreen

        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen())

    def action_handover(self) -> None:
        if not isinstance(self.screen, HandoverScreen):
            self.push_screen(HandoverScreen())

    def action_help(self) -> None:
        from askdesk.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))


def _looks_the_same(shown: Conversation, stored: Conversation) -> bool:
    """Whether the desk would draw ``stored`` as it drew ``shown``: the same
    change, only stamped a few milliseconds later by the store."""
    return (
        shown.status is stored.status
        and shown.holder == stored.holder
        and shown.flag == stored.flag
        and [(e.staff, e.action) for e in shown.events]
        == [(e.staff, e.action) for e in stored.events]
        and shown.messages == stored.messages
        and shown.replies == stored.replies
        and [_what(r) for r in shown.resolutions] == [_what(r) for r in stored.resolutions]
    )


def _what(resolution: Resolution) -> tuple[object, ...]:
    r = resolution
    return (r.staff, r.outcome, r.question_type, r.read_level)
