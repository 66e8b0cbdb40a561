"""The errors askdesk shows to people: each carries one plain sentence.

The CLI prints ``str(error)`` and exits non-zero; the app shows it as a
notification. Anything that is not an ``AskdeskError`` is a bug and keeps its
traceback in the log.
"""

from __future__ import annotations

from datetime import datetime


class AskdeskError(Exception):
    """Something went wrong that a person can understand and act on."""


class ConfigError(AskdeskError):
    """The configuration file or environment holds a bad value."""


class StoreError(AskdeskError):
    """The store cannot be read or written."""


class NotFound(AskdeskError):
    """No conversation has that key."""


class TransitionError(AskdeskError):
    """The state machine refused a change (e.g. claiming a claimed message)."""


class AlreadyClaimed(TransitionError):
    """Somebody else won the claim; ``holder`` says who."""

    def __init__(self, key: str, holder: str) -> None:
        super().__init__(f"{key} is already claimed by {holder}")
        self.key = key
        self.holder = holder


class ChannelError(AskdeskError):
    """A channel could not fetch or send; ``permanent``: trying the same again cannot help."""

    permanent = False


class RateLimited(ChannelError):
    """The platform asked us to wait until ``reset_at``."""

    def __init__(self, message: str, reset_at: datetime | None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class Collision(TransitionError):
    """The conversation changed after staff looked at it; ``changes`` says how.

    ``stopped`` names what was not done (``"resolved"``, ``"handed on"``);
    without it the sentence is the composer's: it changed while you were writing.
    """

    def __init__(self, key: str, changes: list[str], stopped: str | None = None) -> None:
        what = "; ".join(changes)
        super().__init__(
            f"{key} was not {stopped}: meanwhile {what}"
            if stopped
            else f"{key} changed while you were writing: {what}"
        )
        self.key = key
        self.changes = changes
        self.stopped = stopped


class RepeatedReply(TransitionError):
    """The same words went to the same conversation a few minutes ago: an accident, most likely."""

    def __init__(self, key: str, staff: str, minutes_ago: int, reply_id: str, status: str) -> None:
        ago = "less than a minute ago" if minutes_ago < 1 else f"{minutes_ago} min ago"
        super().__init__(
            f"{key} got the same reply from {staff} {ago} (reply {reply_id[:8]}, {status})"
        )
        self.key = key


class CredentialsRejected(ChannelError):
    """The platform refused the channel's credentials; nothing works until they are fixed."""

    permanent = True


class AccessLevelTooLow(ChannelError):
    """The endpoint is outside the account's API access level (tier); retrying cannot help."""

    permanent = True


class RefusedByPlatform(ChannelError):
    """The platform understood the request and said no (a duplicate post, closed DMs)."""

    permanent = True


class PlatformUnavailable(ChannelError):
    """The network or the platform's servers failed; the same request may work later."""

    permanent = False


class UnexpectedPayload(ChannelError):
    """The platform answered with something its API does not document (not JSON, wrong shape)."""

    permanent = False
