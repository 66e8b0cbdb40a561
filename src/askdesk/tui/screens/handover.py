"""End of shift: everything you hold in one list; keep, release or hand on each, then confirm.

Space (or enter) cycles a row through keep → release → hand to NAME; ``n``
leaves a note with it. ``ctrl+s`` applies every choice in one pass and shows
the shift summary with what the next shift acts on (``desk.handover``), which
``w`` saves to a file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static

from askdesk.desk.handover import (
    KEEP,
    Choice,
    Decision,
    apply,
    held,
    shift_summary,
    summary_text,
)
from askdesk.desk.stats import day_start
from askdesk.desk.text import fit, inert, inert_text, one_line
from askdesk.desk.views import format_age
from askdesk.errors import AskdeskError
from askdesk.model import Conversation
from askdesk.tui.screens.conversation_screen import naming
from askdesk.tui.screens.prompts import TextPrompt
from askdesk.tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from askdesk.tui.app import AskdeskApp

_NEXT = {Choice.KEEP: Choice.RELEASE, Choice.RELEASE: Choice.HAND, Choice.HAND: Choice.KEEP}


class HandoverScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding(
            "space",
            "cycle",
            "Keep/release/hand",
            id="handover_cycle",
            tooltip="Cycle this row: keep → release to New → hand to a colleague",
        ),
        Binding("k", "choose('keep')", "Keep", id="handover_keep", show=False),
        Binding("r", "choose('release')", "Release", id="handover_release", show=False),
        Binding("a", "choose('hand')", "Hand to…", id="handover_hand", show=False),
        Binding("n", "note", "Note", id="handover_note", tooltip="Leave a note with this one"),
        Binding(
            "ctrl+s",
            "confirm",
            "Apply all",
            id="handover_confirm",
            tooltip="Apply every choice and show the shift summary",
        ),
        Binding("w", "save", "Save summary", id="handover_save", tooltip="Save the summary"),
    ]

    @dataclass
    class Done(Message):
        """The handover went through (or partly): here is the summary."""

        bubble = False
        text: str

    @dataclass
    class Saved(Message):
        """The summary is in this file."""

        bubble = False
        path: Path

    def __init__(self) -> None:
        super().__init__()
        self.conversations: list[Conversation] = []
        self.decisions: dict[str, Decision] = {}
        self.summary: str | None = None
        self._last_colleague: str | None = None

    @property
    def desk_app(self) -> AskdeskApp:
        return cast("AskdeskApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="handover-title")
        yield OptionList(id="handover-list")
        with VerticalScroll(id="handover-summary"):  # longer than 24 lines on a busy desk
            yield Static(id="handover-summary-text")
        yield KeysFooter()

    def on_mount(self) -> None:
        app = self.desk_app
        self.conversations = held(app.conversations.values(), app.desk.staff, app.desk.team)
        self.decisions = {c.key: KEEP for c in self.conversations}
        count = len(self.conversations)
        self.query_one("#handover-title", Static).update(
            Text.assemble(
                ("Handover", "bold"),
                f" · you hold {count}"
                + (" · space: keep / release / hand to… · ctrl+s: apply all" if count else ""),
            )
        )
        option_list = self.query_one(OptionList)
        option_list.set_options(self._prompt(c) for c in self.conversations)
        option_list.highlighted = 0 if count else None
        option_list.focus()
        self.query_one("#handover-summary").display = False
        if not count:  # nothing to decide: an empty list and a key to press said nothing
            self.action_confirm()

    def _prompt(self, c: Conversation) -> Text:
        decision = self.decisions[c.key]
        now = self.desk_app.clock.now()
        style = {"keep": "", "release": "bold yellow", "hand": "bold cyan"}
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(fit(decision.describe(), 22), style=style[decision.choice.value] or None)
        text.append(f" {fit(one_line(c.key), 24)} {fit(one_line(c.channel), 10)} ")
        text.append(fit(format_age(now - c.waiting_since), 4))
        text.append(f"  {one_line(c.latest.text, 80)}")
        if decision.note:
            text.append(f"\n{' ' * 23}note: {one_line(decision.note, 80)}", style="italic")
        return text

    def _current(self) -> tuple[int, Conversation] | None:
        index = self.query_one(OptionList).highlighted
        if index is None or not 0 <= index < len(self.conversations):
            return None
        return index, self.conversations[index]

    def _set(self, index: int, decision: Decision) -> None:
        c = self.conversations[index]
        self.decisions[c.key] = decision
        self.query_one(OptionList).replace_option_prompt_at_index(index, self._prompt(c))

    # -- keys -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        done = self.summary is not None
        match action:
            case "cycle" | "choose" | "note":
                return not done and self._current() is not None
            case "confirm":
                return not done
            case "save":
                return done
        return True

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.action_cycle()

    def action_cycle(self) -> None:
        current = self._current()
        if current is not None:
            _, c = current
            self.action_choose(_NEXT[self.decisions[c.key].choice].value)

    def action_choose(self, choice: str) -> None:
        current = self._current()
        if current is None:
            return
        index, c = current
        note = self.decisions[c.key].note
        if choice != Choice.HAND:
            self._set(index, Decision(Choice(choice), note=note))
            return

        def named(name: str | None) -> None:
            if name:
                try:
                    name = self.desk_app.desk.colleague(name)
                except AskdeskError as error:  # a team list without it: refused, not stored
                    self.notify(str(error), severity="warning", timeout=6)
                    name = None
            if name:
                self._last_colleague = name
                self._set(index, Decision(Choice.HAND, to=name, note=note))
            else:
                self._set(index, Decision(Choice.KEEP, note=note))

        colleagues = self.desk_app.desk.colleagues()
        if self._last_colleague in colleagues:
            colleagues.remove(self._last_colleague)
        if self._last_colleague:
            colleagues.insert(0, self._last_colleague)
        self.app.push_screen(
            TextPrompt(
                f"Hand {naming(c)} to",
                "Colleague's name",
                suggestions=colleagues,
                verb="choose",
            ),
            named,
        )

    def action_note(self) -> None:
        current = self._current()
        if current is None:
            return
        index, c = current

        def noted(text: str | None) -> None:
            self._set(index, replace(self.decisions[c.key], note=text or None))

        self.app.push_screen(
            TextPrompt(
                f"Note on {naming(c)} for whoever picks it up",
                "Visible to staff only (empty: no note)",
                initial=self.decisions[c.key].note or "",
            ),
            noted,
        )

    def action_confirm(self) -> None:
        self.query_one("#handover-title", Static).update(Text("Handing over…", style="bold"))
        self.hand_over(dict(self.decisions), {c.key: c.version for c in self.conversations})

    @work(thread=True, exclusive=True, group="handover", exit_on_error=False)
    def hand_over(self, decisions: dict[str, Decision], seen: dict[str, int]) -> None:
        app = self.desk_app
        result = apply(app.desk, decisions, seen)
        now = app.clock.now()
        since = day_start(now.astimezone(app.tz).date(), app.tz)
        summary = shift_summary(
            app.desk.store.history(since),
            app.desk.live(),
            staff=app.desk.staff,
            since=since,
            now=now,
            result=result,
            target=timedelta(minutes=app.target_minutes),
            team=app.desk.team,
        )
        # Shown and saved for people: inert, like everything else on the screen.
        self.post_message(self.Done(inert(summary_text(summary, app.tz))))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.summary = message.text
        self.query_one(OptionList).display = False
        self.query_one("#handover-summary-text", Static).update(inert_text(message.text))
        summary = self.query_one("#handover-summary", VerticalScroll)
        summary.display = True
        summary.focus()  # the arrows and page keys scroll it
        done = "Handover done" if self.conversations else "Nothing to hand over"
        self.query_one("#handover-title", Static).update(
            Text.assemble((done, "bold"), " · w saves the summary · esc goes back")
        )
        self.refresh_bindings()
        self.desk_app.check_store()

    def action_save(self) -> None:
        if self.summary is None:
            return
        now = self.desk_app.clock.now().astimezone(self.desk_app.tz)
        default = f"~/askdesk-shift-{self.desk_app.desk.staff}-{now:%Y-%m-%d-%H%M}.txt"

        def chosen(path: str | None) -> None:
            if path and self.summary is not None:
                self.save(Path(path).expanduser(), self.summary)

        self.app.push_screen(
            # Filled in: an enter on an empty field, the default only a grey
            # placeholder, closed the prompt and saved nothing.
            TextPrompt(
                "Save the summary to",
                "a file name",
                initial=default,
                verb="save",
                required="Type a file name",
            ),
            chosen,
        )

    @work(thread=True, group="handover-save", exit_on_error=False)
    def save(self, path: Path, text: str) -> None:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise AskdeskError(f"could not save the summary to {path}: {error}") from error
        self.post_message(self.Saved(path))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.notify(f"Summary saved to {message.path}", timeout=4)
