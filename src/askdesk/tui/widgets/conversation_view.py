"""The whole of one conversation: what the patron wrote, its history and notes.

Every patron string is made inert and handed to Textual as ``Text``, so
markup and escapes in a message are shown, never obeyed.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from askdesk.desk.records import describe_event
from askdesk.desk.text import inert, inert_text
from askdesk.desk.views import format_ago
from askdesk.model import Conversation, Role

MAX_SHOWN_CHARS = 20_000
"""Longer texts are cut on screen (the store keeps them whole)."""


_ROLE_WORDS = {
    Role.SENT_ELSEWHERE: "· sent outside askdesk",
    Role.OPT_OUT: "· opted out: no texts until START",
    Role.OPT_IN: "· opted back in",
}
"""What a message that is not a question is, beside its author."""


def _shown(text: str) -> Text:
    if len(text) > MAX_SHOWN_CHARS:
        text = text[:MAX_SHOWN_CHARS] + f"\n… ({len(text) - MAX_SHOWN_CHARS} more characters)"
    return inert_text(text)


def heading(conversation: Conversation) -> Text:
    c = conversation
    status = c.status.value + (f" by {c.holder}" if c.holder else "")
    text = Text.assemble(
        (inert(c.key, keep_newlines=False), "bold"),
        inert(f"  {c.channel} · {c.kind.value} · {status}", keep_newlines=False),
    )
    if c.resolution:
        r = c.resolution
        text.append(f" · {r.outcome.value}, {r.question_type.value}, READ {r.read_level}")
    return text


class ConversationView(VerticalScroll):
    """Scrollable; rebuilt when the conversation changes."""

    def __init__(
        self, conversation: Conversation, now: datetime, tz: tzinfo, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.conversation = conversation
        self.now = now
        self.tz = tz
        """Times are shown in the library's zone, not UTC."""

    def compose(self) -> ComposeResult:
        yield from self._parts()

    def show(self, conversation: Conversation, now: datetime) -> None:
        self.conversation, self.now = conversation, now
        self.remove_children()
        self.mount_all(list(self._parts()))

    def _parts(self) -> list[Static]:
        c, now = self.conversation, self.now
        parts = [Static(heading(c), classes="conversation-heading")]
        if c.flag:
            parts.append(Static(inert_text(f"⚑ FLAGGED for review: {c.flag}"), classes="flag-line"))
        for m in c.messages:
            meta = Text.assemble(
                (inert(m.author, keep_newlines=False), "bold"),
                f"  {m.received_at.astimezone(self.tz):%a %d %b %H:%M}"
                f" · {format_ago(now - m.received_at)}"
                f" · {m.kind.value} · {inert(m.key, keep_newlines=False)}",
            )
            aside = _ROLE_WORDS.get(m.role)
            if aside:
                meta.append(f"  {aside}", style="bold")
            if m.url:
                meta.append(f"\n{inert(m.url, keep_newlines=False)}", style="dim")
            parts.append(Static(meta, classes="message-meta"))
            parts.append(Static(_shown(m.text), classes="message-text"))
        left = c.patron_left_at
        if left is not None:
            # Chat: the patron closed the window; an answer still reaches them later.
            parts.append(
                Static(
                    inert_text(
                        f"patron left at {left.astimezone(self.tz):%H:%M}; "
                        "a reply reaches them when they are back"
                    ),
                    classes="flag-line",
                )
            )
        if c.replies:
            parts.append(Static("Replies", classes="section-title"))
            for r in c.replies:
                when = r.sent_at or r.created_at
                via = f" from {', '.join(r.templates)}" if r.templates else ""
                route = " · private" if r.private else ""
                if r.delivery:
                    route += f" · {r.delivery}"
                head = Text.assemble(
                    (f"{r.status.value.upper()}", "bold"),
                    inert(
                        f"  {when.astimezone(self.tz):%d %b %H:%M} · {r.staff}{via}{route}",
                        keep_newlines=False,
                    ),
                )
                if r.last_error and r.status.value != "sent":
                    head.append(f"\n{inert(r.last_error, keep_newlines=False)}", style="bold")
                parts.append(Static(head, classes=f"reply-meta reply-{r.status.value}"))
                parts.append(Static(_shown(r.text), classes="message-text"))
        notes = c.notes
        if notes:
            parts.append(Static("Notes", classes="section-title"))
            for e in notes:
                note_text = str(e.details.get("text", ""))
                line = inert_text(f"{e.at.astimezone(self.tz):%d %b %H:%M}  {e.staff}: {note_text}")
                parts.append(Static(line, classes="note"))
        parts.append(Static("History", classes="section-title"))
        for e in c.events:
            parts.append(
                Static(
                    inert_text(
                        f"{e.at.astimezone(self.tz):%d %b %H:%M}  {e.staff:<10} "
                        f"{describe_event(e.action, e.details)}"
                    ),
                    classes="event",
                )
            )
        return parts
