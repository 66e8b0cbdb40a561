"""What staff can do to the conversation under the cursor, on any screen that has one.

The desk screen and the detail screen both subclass this, so a key means the
same thing wherever it is pressed and the footer offers only what applies.
"""

from __future__ import annotations

import webbrowser
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from textual.binding import Binding
from textual.screen import Screen

from askdesk.desk.templates import Template
from askdesk.desk.triage import flagging, noting, unchanged_since
from askdesk.desk.views import listed_author
from askdesk.model import Conversation, Status, transitions
from askdesk.tui.screens.confirm import Choice
from askdesk.tui.screens.prompts import ResolveChoice, ResolveDialog, TextPrompt
from askdesk.tui.screens.templates import TemplatePicker

if TYPE_CHECKING:
    from askdesk.tui.app import AskdeskApp


class ConversationScreen(Screen[None]):
    BINDINGS = [
        Binding(
            "r",
            "reply",
            "Reply",
            id="reply",
            tooltip="Write a reply (claims the conversation if nobody has it)",
        ),
        Binding(
            "t",
            "reply_from_template",
            "Template",
            id="reply_template",
            tooltip="Reply starting from a template; its quick key picks it",
        ),
        Binding(
            "c",
            "claim",
            "Claim",
            id="claim",
            tooltip="Take this conversation (a colleague's: take it over, after asking)",
        ),
        Binding(
            "u", "release", "Release", id="release", tooltip="Give it back to New for someone else"
        ),
        Binding(
            "d",
            "resolve",
            "Resolve",
            id="resolve",
            tooltip="Done: record question type, READ level, outcome, minutes spent "
            "and your library's own fields",
        ),
        Binding(
            "exclamation_mark",
            "flag",
            "Flag",
            id="flag",
            tooltip="Flag for review (hostile, doubtful, off-limits); again to clear",
        ),
        Binding("n", "note", "Note", id="note", tooltip="Add an internal note staff can see"),
        Binding(
            "a",
            "hand_off",
            "Hand off",
            id="hand_off",
            tooltip="Hand this conversation to a colleague",
        ),
        Binding("U", "reopen", "Reopen", id="reopen", tooltip="Reopen a resolved conversation"),
        Binding(
            "o",
            "open_original",
            "Open post",
            id="open_original",
            tooltip="Open the original post in your browser",
            show=False,
        ),
    ]

    _bindings_state: tuple[bool | None, ...] | None = None
    """What ``check_action`` said for each key when the footer was last refreshed."""

    @property
    def desk_app(self) -> AskdeskApp:
        return cast("AskdeskApp", self.app)

    def current(self) -> Conversation | None:
        """The conversation the keys act on."""
        raise NotImplementedError

    def refresh_desk(self) -> None:
        """The desk changed: redraw what this screen shows."""

    def follow(self, conversation: Conversation) -> None:
        """Staff acted on ``conversation`` and it is theirs to go on with: keep it under
        the cursor, wherever the action moved it (the desk's panes)."""

    def refused(self, key: str) -> None:
        """The store refused this desk's action on ``key``: what it showed is undone."""

    def refresh_bindings_if_changed(self) -> None:
        """``refresh_bindings``, but only when a key's availability has changed.

        Moving the cursor to a row in the same state changes nothing the
        footer shows, and a refresh of the bindings is not free.
        """
        state = tuple(
            self.check_action(binding.action, ())
            for binding in ConversationScreen.BINDINGS
            if isinstance(binding, Binding) and binding.show  # the footer shows only these
        )
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # None, not False: the key exists here but not for this row, so the footer
        # leaves it out and help still lists it (Textual's meaning of None).
        return self._applies(action) or None

    def _applies(self, action: str) -> bool:
        """Whether ``action`` can be done to the conversation under the cursor."""
        c = self.current()
        desk = self.desk_app.desk
        mine_or_free = c is not None and (c.holder is None or desk.is_me(c.holder))
        match action:
            case "claim":  # a colleague's conversation: offers to take it over
                return c is not None and (c.status is Status.NEW or not mine_or_free)
            case "release":
                return c is not None and desk.holds(c)
            case "resolve" | "hand_off":
                return (
                    c is not None
                    and c.status is not Status.RESOLVED
                    and (c.status is Status.NEW or mine_or_free)
                )
            case "reopen":
                return c is not None and c.status is Status.RESOLVED
            case "reply" | "reply_from_template":
                return (
                    c is not None
                    and c.status is not Status.RESOLVED
                    and mine_or_free
                    and self.desk_app.outbox is not None
                    and (action == "reply" or bool(self.desk_app.reply_settings.templates))
                )
            case "flag" | "note":
                return c is not None
            case "open_original":
                return c is not None  # without a link it says so, rather than doing nothing
        return True

    def _key(self) -> str | None:
        c = self.current()
        return c.key if c else None

    def action_reply(self) -> None:
        if key := self._key():
            self.desk_app.open_composer(key)

    def action_reply_from_template(self) -> None:
        c = self.current()
        if c is None:
            return
        key = c.key

        def picked(template: Template | None) -> None:
            if template is not None:
                self.desk_app.open_composer(key, template)

        app = self.desk_app
        proposed = app.reply_settings.proposed(c, app.clock.now())
        picker = TemplatePicker(proposed.templates, proposed.why_first, for_whom=listed_author(c))
        self.app.push_screen(picker, picked)

    def action_claim(self) -> None:
        c = self.current()
        if c is None:
            return
        key, seen, holder = c.key, c.version, c.holder
        if c.status is not Status.CLAIMED or holder is None or self.desk_app.desk.is_me(holder):
            self.desk_app.act(key, transitions.claim, "claimed", follow=True)
            return

        def decided(answer: str | None) -> None:
            if answer == "y":
                take_over = unchanged_since(seen, transitions.take_over, "taken over")
                self.desk_app.act(key, take_over, f"taken over from {holder}", follow=True)

        self.app.push_screen(
            Choice(
                f"Take over {naming(c)} from {holder}?",
                [f"{holder} holds it now; the history will say that you took it over."],
                {"y": "take it over"},
            ),
            decided,
        )

    def action_release(self) -> None:
        if c := self.current():
            released = unchanged_since(c.version, transitions.release, "released")
            self.desk_app.act(c.key, released, "released to New")

    def action_reopen(self) -> None:
        if key := self._key():
            self.desk_app.act(key, transitions.reopen, "reopened", follow=True)

    def action_resolve(self) -> None:
        c = self.current()
        if c is None:
            return
        key, seen, app = c.key, c.version, self.desk_app

        def resolved(choice: ResolveChoice) -> None:
            app.time_spent.forget(key)  # a later question in it starts from nothing
            app.act(key, unchanged_since(seen, choice.step(), "resolved"), f"resolved ({choice})")

        self.app.push_screen(
            ResolveDialog(
                key,
                minutes=app.minutes_spent(key),
                fields=app.stats_fields,
                on_choice=resolved,
                patron=listed_author(c),
            )
        )

    def action_flag(self) -> None:
        c = self.current()
        if c is None:
            return
        key = c.key
        if c.flag is not None:
            self.desk_app.act(key, transitions.unflag, f"flag cleared (was: {c.flag})")
            return

        def flagged(reason: str | None) -> None:
            if reason:
                self.desk_app.act(key, flagging(reason), "flagged for review")

        self.app.push_screen(
            TextPrompt(
                f"Flag {naming(c)} for review",
                "Why? e.g. hostile, sarcastic, off-limits, check policy",
                verb="flag",
                required="Type why it needs a review",
                suggestions=[
                    "hostile",
                    "sarcastic",
                    "off-limits",
                    "check policy",
                    "needs a colleague's review",
                ],
            ),
            flagged,
        )

    def action_note(self) -> None:
        c = self.current()
        if c is None:
            return
        key = c.key

        def noted(text: str | None) -> None:
            if text:
                self.desk_app.act(key, noting(text), "note added")

        self.app.push_screen(
            TextPrompt(
                f"Note on {naming(c)}",
                "Visible to staff only",
                verb="add the note",
                required="Type the note",
            ),
            noted,
        )

    def action_hand_off(self) -> None:
        c = self.current()
        if c is None:
            return
        key, seen = c.key, c.version

        def handed(name: str | None) -> None:
            if name:
                self.desk_app.hand_off(key, name, seen)

        self.app.push_screen(
            TextPrompt(
                f"Hand {naming(c)} to",
                "Colleague's name",
                suggestions=self.desk_app.desk.colleagues(),
                verb="hand it over",
                required="Type a colleague's name",
            ),
            handed,
        )

    def action_open_original(self) -> None:
        c = self.current()
        if c is None:
            return
        url = c.latest.url
        if not url:
            self.notify(
                f"{c.key} has no original post to open: its channel gives no link",
                severity="warning",
            )
            return
        if not is_web_link(url):
            # The link comes from outside: a file:, javascript: or "-option" is never opened.
            self.notify(
                f"{c.key}'s link is not a web address, so it is not opened: {url}",
                severity="warning",
                timeout=10,
            )
            return
        if not _has_browser():
            # Over SSH there is no browser to open; the link still reaches the staff member.
            self.app.copy_to_clipboard(url)
            self.notify(
                f"No web browser on this machine. The link, also copied: {url}",
                severity="warning",
                timeout=15,
            )
            return
        self.app.open_url(url)
        self.notify(f"Opened in your browser: {url}", timeout=4)


def naming(c: Conversation) -> str:
    """The conversation as a dialog title names it: who asked, as the list shows them, and
    its key. A dialog covers the row it acts on."""
    return f"{listed_author(c)} · {c.key}"


def is_web_link(url: str) -> bool:
    """Whether ``url`` is an http(s) address with a host: the only kind handed to a browser."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[" : an unbalanced IPv6 bracket
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _has_browser() -> bool:
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True
