"""What writing a reply needs to know: templates, how the platform counts, what is private.

Shared by the composer on screen and ``askdesk reply``, so both refuse and
warn about the same things.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from askdesk.channels import GuardsReplies, ReplyWindow
from askdesk.channels.mastodon import addressed
from askdesk.channels.twitter import public_reply_text
from askdesk.desk.limits import Measure, measure
from askdesk.desk.privacy import personal_data
from askdesk.desk.templates import NEXT_OPEN, Template, render
from askdesk.errors import ConfigError
from askdesk.model import Conversation, Kind
from askdesk.model.opening_hours import OpeningHours, when_next
from askdesk.model.transactions import open_since

NEXT_OPEN_UNKNOWN = "soon"
"""``{next_open}`` without ``[library] hours``: true whenever the library is closed."""


def _not_known(channel: str) -> int | None:
    del channel
    return None


@dataclass(frozen=True)
class Proposal:
    """Templates in the order the picker offers them, and why the first leads, if it does."""

    templates: tuple[Template, ...]
    why_first: str | None = None


@dataclass(frozen=True)
class ReplySettings:
    templates: tuple[Template, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    library: str = "the library"
    privacy_patterns: tuple[str, ...] = ()
    mastodon_limit: int = 500
    """The Mastodon limit to count against while the instance has not said its own."""
    length_limits: Callable[[str], int | None] = _not_known
    """Channel name -> the limit its platform gave (a Mastodon instance's), None until known."""
    sms_max_segments: int = 10
    platforms: Mapping[str, str] = field(default_factory=dict)
    """Channel name -> platform ("twitter", "email", …) for counting and variants."""
    private_routes: frozenset[str] = frozenset()
    """Channel names that can answer privately (a DM)."""
    max_segments: Mapping[str, int] = field(default_factory=dict)
    """Channel name -> the most SMS segments one reply may take there (its ``max_segments``)."""
    guards: Mapping[str, GuardsReplies] = field(default_factory=dict)
    """Channel name -> the channel that says when its platform takes a reply (a window)."""
    hours: OpeningHours | None = None
    """``[library] hours``: for ``{next_open}`` and the out-of-hours template."""
    tz: tzinfo = UTC
    """The zone the hours are read in (the statistics time zone)."""

    def platform(self, conversation: Conversation) -> str:
        platform = self.platforms.get(conversation.channel, conversation.channel)
        if platform == "demo":
            # The demo imitates real platforms; count the way the one it imitates does.
            return conversation.latest.label or "chat"
        return platform

    def template(self, name: str) -> Template:
        for template in self.templates:
            if template.name.casefold() == name.casefold():
                return template
        known = ", ".join(t.name for t in self.templates) or "none configured"
        raise ConfigError(f"no template named {name!r} (known: {known})")

    def by_key(self, key: str) -> Template | None:
        return next((t for t in self.templates if t.key == key), None)

    def render(
        self, template: Template, conversation: Conversation, staff: str, now: datetime
    ) -> str:
        """``template`` filled in for ``conversation``, written at ``now``."""
        return render(
            template,
            self.platform(conversation),
            patron=conversation.author,
            staff=staff,
            library=self.library,
            variables={NEXT_OPEN: self.next_open(now), **self.variables},
        )

    def next_open(self, now: datetime) -> str:
        """When the library next opens after ``now``, in words for a patron."""
        opens = self.hours.next_open(now, self.tz) if self.hours is not None else None
        return when_next(opens, now, self.tz) if opens is not None else NEXT_OPEN_UNKNOWN

    def asked_while_closed(self, conversation: Conversation, now: datetime) -> bool:
        """The open question arrived while the library was closed, and it is closed still.

        Once the library has opened, staff answer it as in the day: the
        out-of-hours reply would tell the patron something no longer true.
        """
        if self.hours is None:
            return False
        asked = open_since(conversation, now) or conversation.waiting_since
        return not self.hours.is_open(asked, self.tz) and not self.hours.is_open(now, self.tz)

    def proposed(self, conversation: Conversation, now: datetime) -> Proposal:
        """The templates in the order to offer them: the out-of-hours ones first for a
        question ``asked_while_closed``. Only offered: staff choose, nothing is sent."""
        first = tuple(t for t in self.templates if t.out_of_hours)
        if not first or not self.asked_while_closed(conversation, now):
            return Proposal(self.templates)
        rest = tuple(t for t in self.templates if not t.out_of_hours)
        return Proposal(first + rest, "asked while the library is closed")

    def measure(self, text: str, conversation: Conversation, private: bool = False) -> Measure:
        """``text``'s length as the platform counts what will really be posted.

        A public reply on X goes out led by the patron's @handle (unless the
        text names them already), and X counts that too; so does every reply
        on Mastodon (a direct one too), against the instance's own limit once
        the channel has heard it. A Bluesky chat message (a chat, or a private
        reply) holds 1000 graphemes where a post holds 300.
        """
        platform = self.platform(conversation)
        if platform == "twitter" and self.is_public(conversation, private):
            text = public_reply_text(text, conversation.latest.author)
        if platform == "mastodon":
            text = addressed(text, conversation.latest.author)
        return measure(
            text,
            platform,
            chat=not self.is_public(conversation, private),
            mastodon_limit=self.length_limits(conversation.channel) or self.mastodon_limit,
            sms_max_segments=self.max_segments.get(conversation.channel, self.sms_max_segments),
        )

    def warm_up(self) -> None:
        """Load the counting rules now (twitter-text takes most of a second to import)."""
        if any(p in ("twitter", "mastodon", "demo") for p in self.platforms.values()):
            measure("", "twitter")

    def is_public(self, conversation: Conversation, private: bool) -> bool:
        return conversation.kind is Kind.MENTION and not private

    def can_go_private(self, conversation: Conversation) -> bool:
        return conversation.channel in self.private_routes

    def privacy_warnings(self, text: str, conversation: Conversation, private: bool) -> list[str]:
        """Personal data in a public reply, in words; empty when there is nothing to fear."""
        if not self.is_public(conversation, private):
            return []
        return personal_data(text, self.privacy_patterns, known=list(self.variables.values()))

    def window(self, conversation: Conversation, now: datetime) -> ReplyWindow | None:
        """Whether the platform takes a reply now (Messenger's 24 hours, an SMS opt-out)."""
        guard = self.guards.get(conversation.channel)
        return guard.reply_window(conversation, now) if guard is not None else None

    def refusal(
        self, text: str, conversation: Conversation, private: bool, now: datetime
    ) -> str | None:
        """Why ``text`` cannot go to ``conversation`` now, or ``None``: the platform's rules."""
        window = self.window(conversation, now)
        if window is not None and window.refusal:
            return window.refusal
        return self.too_long(text, conversation, private)

    def too_long(self, text: str, conversation: Conversation, private: bool = False) -> str | None:
        """Why the platform would refuse ``text``, or ``None``."""
        counted = self.measure(text, conversation, private)
        if counted.over:
            return (
                f"too long for {self.platform(conversation)}: {counted.label()}; "
                "shorten it before sending"
            )
        return None
