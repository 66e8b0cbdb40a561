"""Calls to a Mastodon instance through Mastodon.py, with its answers turned into askdesk's errors.

Mastodon.py is imported the first time a request is made, so a desk without
a mastodon channel never loads it. Its default ``ratelimit_method="throw"``
sleeps inside the call until the limit resets; here it is ``"throw"``, and a
429 is ``RateLimited(reset_at)`` read from the answer's ``X-RateLimit-Reset``.
A failing network or server is ``PlatformUnavailable``; a refused token
``CredentialsRejected``; a token without a needed scope ``AccessLevelTooLow``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from askdesk.channels.mastodon.credentials import SCOPES
from askdesk.channels.mastodon.text import DEFAULT_LIMIT, URL_LENGTH
from askdesk.channels.redaction import guard_logs
from askdesk.errors import (
    AccessLevelTooLow,
    ChannelError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    RefusedByPlatform,
    UnexpectedPayload,
)

TIMEOUT = 30.0
"""Seconds to wait for an answer: a send ends well inside the outbox's 120 s."""
LOGGERS = ("urllib3.connectionpool", "mastodon")
"""Loggers that may write a request to the instance."""
USER_AGENT = "askdesk"


class MastodonClient:
    """One account's requests to its instance, and the quota the instance reported.

    The poller's fetch and the outbox's send run in different threads on one
    channel; the lock keeps the Mastodon.py object made once and the quota whole.
    """

    def __init__(self, instance: str, token: str, token_variable: str, source: str) -> None:
        self.instance = instance.rstrip("/")
        self.host = urlsplit(self.instance).hostname or self.instance
        self._token = token
        self._token_variable = token_variable
        self._source = source
        self._api: Any = None
        self._lock = threading.Lock()
        self._answers = threading.local()  # each thread's last response headers
        self._rate_limit: tuple[int | None, datetime | None] = (None, None)
        self._limits: tuple[int, int] | None = None
        guard_logs([token], LOGGERS)

    # -- the quota ---------------------------------------------------------------------

    @property
    def rate_limit(self) -> tuple[int | None, datetime | None]:
        """The lowest quota left since ``count_rate_limit``: (remaining, reset time)."""
        return self._rate_limit

    def count_rate_limit(self) -> None:
        """Start over: the next answers' headers say what is left."""
        with self._lock:
            self._rate_limit = (None, None)

    def used_up(self, reset_at: datetime | None) -> None:
        with self._lock:
            self._rate_limit = (0, reset_at)

    def _noted(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """requests' response hook: keep the rate-limit headers of every answer."""
        del args, kwargs
        headers = response.headers
        self._answers.response = response
        remaining = _whole(headers.get("X-RateLimit-Remaining"))
        if remaining is not None:
            reset_at = reset_time(headers.get("X-RateLimit-Reset"))
            with self._lock:
                current = self._rate_limit[0]
                if current is None or remaining <= current:
                    self._rate_limit = (remaining, reset_at)
        return response

    # -- requests ----------------------------------------------------------------------

    def call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One Mastodon.py call: its answer, or our error for what went wrong."""
        errors = _errors()
        api = self._mastodon()
        self._answers.response = None
        try:
            return getattr(api, method)(*args, **kwargs)
        except errors.MastodonRatelimitError:
            answer = self._answers.response
            reset_at = reset_time(
                answer.headers.get("X-RateLimit-Reset") if answer is not None else None
            )
            self.used_up(reset_at)
            until = f"until {reset_at:%H:%M:%S} UTC" if reset_at else "for now"
            raise RateLimited(
                f"{self.host}'s rate limit for {what} is used up; askdesk waits {until}", reset_at
            ) from None
        except errors.MastodonUnauthorizedError:
            raise CredentialsRejected(
                f"{self.host} refused the access token (401): check {self._token_variable} "
                f"in {self._source}; a token deleted or regenerated under Preferences → "
                "Development must be replaced there"
            ) from None
        except errors.MastodonServerError as error:
            raise PlatformUnavailable(
                f"{self.host} is having trouble ({_status(error)}) while {what}; "
                "askdesk tries again later"
            ) from None
        except errors.MastodonNetworkError:
            raise PlatformUnavailable(
                f"could not reach {self.host} while {what} (is the network up, is the "
                "instance option right?); askdesk tries again later"
            ) from None
        except errors.MastodonNotFoundError:
            raise RefusedByPlatform(
                f"{self.host} could not find what {what} needs (404){self._said()}"
            ) from None
        except errors.MastodonAPIError as error:
            raise self._refused(what, error) from None

    def _refused(self, what: str, error: Exception) -> ChannelError:
        if not _from_server(error):
            return UnexpectedPayload(
                f"{self.host} answered {what} with something that is not Mastodon's JSON; "
                "askdesk tries again later"
            )
        said = self._said()
        if error.args[1] == 403 and "scope" in said.lower():
            return AccessLevelTooLow(
                f"the access token may not do {what}: make one with the scopes {SCOPES} "
                f"and put it in {self._token_variable}"
            )
        return RefusedByPlatform(f"{self.host} refused {what} ({_status(error)}){said}")

    def _said(self) -> str:
        """The instance's own words for an error (the ``error`` of Mastodon's Error entity)."""
        answer = self._answers.response
        try:
            body = answer.json() if answer is not None else None
        except ValueError:
            return ""
        said = body.get("error") if isinstance(body, dict) else None
        return f": {said[:200]}" if isinstance(said, str) and said else ""

    def remember(self, limits: tuple[int, int]) -> None:
        """Limits heard before (kept in the cursor): a send need not ask them again."""
        if self._limits is None:
            self._limits = limits

    def limits(self, *, refresh: bool = False) -> tuple[int, int]:
        """The instance's own (characters per status, characters a URL counts as).

        ``/api/v2/instance``, else ``/api/v1/instance`` (before Mastodon 4.0),
        else Mastodon's 500 and 23. Asked once per process unless ``refresh``.
        """
        if self._limits is not None and not refresh:
            return self._limits
        found: Any = None
        for method in ("instance_v2", "instance_v1"):
            try:
                found = self.call("reading the instance's limits", method)
            except RefusedByPlatform:
                continue  # 404: an older server without this version of the endpoint
            break
        limits = _status_limits(found)
        self._limits = limits
        return limits

    def _mastodon(self) -> Any:
        with self._lock:
            if self._api is None:
                import requests
                from mastodon import Mastodon

                session = requests.Session()
                session.hooks["response"].append(self._noted)
                self._api = Mastodon(
                    access_token=self._token,
                    api_base_url=self.instance,
                    # Never sleep in a worker: RateLimited says until when.
                    ratelimit_method="throw",
                    request_timeout=TIMEOUT,
                    session=session,
                    version_check_mode="none",
                    user_agent=USER_AGENT,
                )
            return self._api


def reset_time(value: Any) -> datetime | None:
    """``X-RateLimit-Reset``: ISO 8601 on Mastodon, seconds since 1970 on GoToSocial."""
    if not isinstance(value, str) or not value.strip():
        return None
    seconds = _whole(value)
    try:
        if seconds is not None:
            return datetime.fromtimestamp(seconds, UTC)
        at = datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError, OSError):
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _status_limits(instance: Any) -> tuple[int, int]:
    configuration = instance.get("configuration") if isinstance(instance, dict) else None
    statuses = configuration.get("statuses") if isinstance(configuration, dict) else None
    statuses = statuses if isinstance(statuses, dict) else {}
    limit = _positive(statuses.get("max_characters"))
    if limit is None and isinstance(instance, dict):
        limit = _positive(instance.get("max_toot_chars"))  # Pleroma, glitch-soc's v1
    url_length = _positive(statuses.get("characters_reserved_per_url"))
    return (limit or DEFAULT_LIMIT, url_length or URL_LENGTH)


def _positive(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10_000_000:
        return value
    return None


def _whole(value: Any) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isascii() and text.isdigit() else None


def _from_server(error: Exception) -> bool:
    """Whether Mastodon.py raised it for an HTTP error: (text, status, reason, error message)."""
    return len(error.args) >= 4 and isinstance(error.args[1], int)


def _status(error: Exception) -> str:
    if not _from_server(error):
        return "no status"
    return f"{error.args[1]} {error.args[2] or ''}".strip()


def _errors() -> Any:
    import mastodon.errors

    return mastodon.errors
