"""Small dialogs: resolve (outcome, question type, READ level, minutes spent, the library's
own fields) and one-line prompts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from askdesk.config import StatsField
from askdesk.desk.answering import SEND_WAIT_S
from askdesk.desk.fields import missing
from askdesk.desk.text import inert_text
from askdesk.desk.triage import Step, resolving
from askdesk.model import Outcome, QuestionType
from askdesk.model.message import MAX_MINUTES_SPENT, READ_LEVELS
from askdesk.tui.widgets.choice_row import ChoiceRow

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal dialog that is taken down only after the frame that shows what it did.

    Textual removes a popped screen at once: pruning the dialog's widgets and
    moving focus off them took ~1 ms of the frame that shows the resolve (or
    note, or flag) the dialog asked for. An installed screen survives its pop,
    so a closing dialog installs itself and is removed once that frame is out.
    Keys already on their way to it by then find it ``closed`` and do nothing.
    """

    @property
    def closed(self) -> bool:
        """Off the screen stack: dismissed already (or not shown yet)."""
        return self not in self.app.screen_stack

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        # Two enters typed in one burst both reach the dialog before it closes.
        # Textual pops whatever screen is on top, so a second dismiss would
        # close the desk itself.
        if self.closed:
            return AwaitComplete()  # nothing to wait for
        if not self.app.is_screen_installed(self):
            self.app.install_screen(self, f"closing-dialog-{id(self)}")
        # The app handles this after the pop below, when the screen under the
        # dialog is current: it runs after that screen's next refresh.
        self.app.call_after_refresh(self._remove_closed)
        return super().dismiss(result)

    def _remove_closed(self) -> None:
        if not self.closed or not self.app.is_screen_installed(self):
            return  # still shown (dismissed while not on top), or already removed
        self.app.uninstall_screen(self)
        self.remove()


@dataclass(frozen=True)
class ResolveChoice:
    outcome: Outcome
    question_type: QuestionType
    read: int
    time_spent_min: int | None = None
    fields: Mapping[str, str] = field(default_factory=dict)

    def step(self) -> Step:
        """The resolve this choice asks for."""
        return resolving(
            self.outcome,
            self.question_type,
            self.read,
            time_spent_min=self.time_spent_min,
            fields=self.fields,
        )

    def __str__(self) -> str:
        """``answered, policy, READ 2, 12 min`` for the notice that says it is done."""
        spent = f", {self.time_spent_min} min" if self.time_spent_min is not None else ""
        return f"{self.outcome}, {self.question_type}, READ {self.read}{spent}"


HINT = "enter: next / resolve · 1-6: READ · tab: next box · esc: cancel"


class ResolveDialog(Dialog[ResolveChoice | None]):
    """Type, READ level, outcome, minutes spent and the library's fields, all by keyboard.

    Enter on the question type moves to the READ level; a digit 1-6 picks the
    level; enter on the READ level or a field (or ctrl+s anywhere) resolves. The
    outcome defaults to "answered"; tab reaches it, then the minutes (proposed:
    how long this staff member had the conversation open) and the fields, where
    a digit or the first letters choose. A required field left open stops the
    resolve and takes the focus.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
        Binding("ctrl+s", "confirm", "Resolve", id="dialog_confirm"),
        *(
            Binding(str(level), f"read({level})", f"READ {level}", show=False)
            for level in READ_LEVELS
        ),
    ]

    def __init__(
        self,
        key: str,
        question_type: str | None = None,
        read: int | None = None,
        *,
        minutes: int | None = None,
        fields: Sequence[StatsField] = (),
        proposed: Mapping[str, str] | None = None,
        on_choice: Callable[[ResolveChoice], None] | None = None,
        after_send: bool = False,
        patron: str = "",
    ) -> None:
        super().__init__()
        self.key = key
        self.patron = patron
        """Who asked, as the desk lists them: the dialog hides the row it acts on."""
        self.defaults = {"type": question_type, "read": str(read) if read else None}
        self.minutes = minutes
        """What "minutes spent" proposes: how long the conversation was open on this desk."""
        self.fields = tuple(fields)
        self.proposed = dict(proposed or {})
        """Answers a template proposes to the fields."""
        self.on_choice = on_choice
        """Called with the choice before the dialog closes, so that the desk
        shows the resolve in the same frame that the dialog disappears from
        (a ``push_screen`` callback runs a message later, often a frame later)."""
        self.after_send = after_send
        """Send and resolve: once chosen, the dialog stays up and says it waits
        for the reply to go out, until the app calls ``settled``."""
        self.waiting = False
        self._settled = False

    def compose(self) -> ComposeResult:
        with Vertical(id="resolve-dialog", classes="dialog"):
            title = f"Resolve {self.patron} · {self.key}" if self.patron else f"Resolve {self.key}"
            yield Label(inert_text(title, keep_newlines=False), classes="dialog-title")
            with Horizontal():
                with Vertical(id="type-column"):
                    yield Label("Question type")
                    yield OptionList(
                        *(Option(t.value, id=t.value) for t in QuestionType), id="type"
                    )
                with Vertical():
                    yield Label("READ level (1-6)")
                    yield OptionList(
                        *(
                            Option(inert_text(f"{n}  {text}"), id=str(n))
                            for n, text in READ_LEVELS.items()
                        ),
                        id="read",
                    )
                with Vertical(id="outcome-column"):
                    yield Label("Outcome")
                    yield OptionList(*(Option(o.value, id=o.value) for o in Outcome), id="outcome")
            with Vertical(id="resolve-record"):
                with Horizontal(id="minutes-row"):
                    yield Label("Minutes spent", classes="record-label")
                    yield Input(
                        "" if self.minutes is None else str(self.minutes),
                        type="integer",
                        restrict=r"[0-9]*",
                        max_length=4,
                        id="minutes",
                    )
                    yield Label(
                        "not open here: type them or leave empty"
                        if self.minutes is None
                        else "time it was open here: type to correct",
                        classes="record-note",
                    )
                for stats_field in self.fields:
                    yield ChoiceRow(stats_field, self.proposed.get(stats_field.name))
            yield Label(HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        for option_list in self.query(OptionList):
            option_list.highlighted = 0
            default = self.defaults.get(option_list.id or "")
            if default:
                option_list.highlighted = option_list.get_option_index(default)
        # With a template's type proposed, the READ level is the next thing to check.
        self.query_one("#read" if self.defaults["type"] else "#type", OptionList).focus()

    def _chosen(self, list_id: str) -> str:
        option_list = self.query_one(f"#{list_id}", OptionList)
        index = option_list.highlighted or 0
        return option_list.get_option_at_index(index).id or ""

    def _focus_read(self) -> None:
        # Now, not at the next turn of the loop as ``Widget.focus`` does: staff
        # type "2" and enter in one go, and that enter must reach the READ list.
        self.set_focus(self.query_one("#read", OptionList))

    @on(OptionList.OptionSelected, "#type")
    def _type_chosen(self) -> None:
        # Only if the focus is still on the type: this message comes after the
        # keys typed in the same burst, and "enter 3 tab tab 5" must leave the
        # 5 in minutes spent, not pull the focus back to READ (where 5 is READ 5).
        if self.focused is self.query_one("#type", OptionList):
            self._focus_read()

    @on(OptionList.OptionSelected, "#read")
    @on(OptionList.OptionSelected, "#outcome")
    @on(Input.Submitted, "#minutes")
    @on(ChoiceRow.Submitted)
    def _done(self) -> None:
        self.action_confirm()

    def action_read(self, level: int) -> None:
        self.query_one("#read", OptionList).highlighted = level - 1
        self._focus_read()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While it waits for the send, the choice is made: nothing to change or cancel.
        return not self.waiting

    def _answers(self) -> dict[str, str]:
        return {row.field.name: row.value for row in self.query(ChoiceRow) if row.value}

    def _refuse(self, widget: Widget, why: str) -> None:
        """Not resolved yet: say why in the hint line and put the focus where it is fixed."""
        self.query_one(".dialog-hint", Label).update(inert_text(why, keep_newlines=False))
        self.set_focus(widget)

    def action_confirm(self) -> None:
        if self.closed or self.waiting:
            return  # a second enter of a burst: resolved (or waiting) already
        box = self.query_one("#minutes", Input)
        minutes = int(box.value) if box.value.strip() else None  # empty: not recorded
        if minutes is not None and minutes > MAX_MINUTES_SPENT:
            self._refuse(box, f"Minutes spent: at most {MAX_MINUTES_SPENT} (a day)")
            return
        answers = self._answers()
        unanswered = missing(self.fields, answers)
        if unanswered:
            first = unanswered[0]
            row = next(r for r in self.query(ChoiceRow) if r.field is first)
            self._refuse(row, f"{first.label} is required: press its digit or first letters")
            return
        choice = ResolveChoice(
            outcome=Outcome(self._chosen("outcome")),
            question_type=QuestionType(self._chosen("type")),
            read=int(self._chosen("read")),
            time_spent_min=minutes,
            fields=answers,
        )
        if self.on_choice is not None:
            self.on_choice(choice)
        if not self.after_send:
            self.dismiss(choice)
            return
        self.waiting = True
        for widget in self.query("OptionList, Input, ChoiceRow"):
            widget.disabled = True
        self.query_one(".dialog-hint", Label).update(
            inert_text(
                f"Sending the reply… {self.key} is resolved once it has gone "
                f"(waiting up to {SEND_WAIT_S:g} s)"
            )
        )
        self.refresh_bindings()

    def settled(self) -> None:
        """The outbox has answered and the app has acted on it: the dialog closes."""
        self.waiting = False
        self._settled = True
        if self.app.screen is self:
            self.dismiss(None)

    def on_screen_resume(self) -> None:
        if self._settled:  # settled while help was over it
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPrompt(Dialog[str | None]):
    """One line of text (a flag reason, a note, a colleague's name); enter does ``verb``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel")]

    def __init__(
        self,
        title: str,
        placeholder: str,
        suggestions: list[str] | None = None,
        initial: str = "",
        *,
        verb: str = "save",
        required: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.suggestions = suggestions or []
        self.initial = initial
        self.verb = verb
        """What enter does, in the hint: "flag", "hand it over"."""
        self.required = required
        """What to type, said when enter finds nothing typed; ``None``: empty is an answer."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog prompt"):
            yield Label(inert_text(self.title_text, keep_newlines=False), classes="dialog-title")
            yield Input(
                value=self.initial,
                placeholder=self.placeholder,
                suggester=SuggestFromList(self.suggestions, case_sensitive=False)
                if self.suggestions
                else None,
            )
            yield Label(inert_text(self._hint(), keep_newlines=False), classes="dialog-hint")

    def _hint(self) -> str:
        hint = f"enter: {self.verb} · esc: cancel"
        if self.suggestions:
            # The suggestion shows once its first letters are typed, not before.
            shown = ", ".join(self.suggestions[:5])
            return f"e.g. {shown} · type the first letters, → completes · {hint}"
        return hint

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text and self.required:
            # Closing on an empty enter did nothing staff could see.
            hint = self.query_one(".dialog-hint", Label)
            hint.update(inert_text(f"{self.required}, or esc to cancel", keep_newlines=False))
            return
        self.dismiss(text or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
