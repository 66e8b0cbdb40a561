"""Requests to the Graph API with ``requests``, and Meta's answers as askdesk's errors.

There is no maintained official Python SDK for the Graph API; ``requests``
(already here for tweepy) does the HTTP. The Page token goes in an
``Authorization`` header, never in a URL, and is masked in every log line.
A call never sleeps: error codes 4, 17, 32 and 613 (and the business use
case limits 80001-80014) are ``RateLimited``; 190 says the token expired or
was revoked; the usage headers are kept so the channel can slow down first.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any

from askdesk.channels.facebook.payloads import error_of, usage
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

TIMEOUT = (10.0, 30.0)
"""Connect and read timeouts in seconds: a send ends well inside the outbox's 120 s."""
RATE_LIMIT_REST = timedelta(minutes=15)
"""How long a rate-limited Page rests when Meta does not say (its limits are per rolling hour)."""
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
"""Graph error codes that mean "too many calls": app, user, page, custom, business use case."""
PERMISSION_CODES = frozenset({10, 200, 230, 294, 298})
LOGGERS = ("urllib3.connectionpool", "requests")


class GraphRefusal(RefusedByPlatform):
    """Meta understood the request and said no; ``code``/``subcode`` say which refusal."""

    def __init__(self, message: str, code: int | None, subcode: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.subcode = subcode


class GraphClient:
    """One Page's calls to ``graph_url``/``api_version``, and the highest usage they reported.

    The poller's fetch and the outbox's send run in different threads: the
    lock keeps the session made once and the usage figure whole.
    """

    def __init__(self, graph_url: str, api_version: str, token: str, env_prefix: str) -> None:
        self.base = f"{graph_url.rstrip('/')}/{api_version}"
        self._token = token
        self._env_prefix = env_prefix
        self._session: Any = None
        self._lock = threading.Lock()
        self._usage: int | None = None
        guard_logs([token], LOGGERS)

    @property
    def usage(self) -> int | None:
        """The highest share (%) of Meta's hourly call limits used, since ``count_usage``."""
        return self._usage

    def count_usage(self) -> None:
        with self._lock:
            self._usage = None

    def get(self, what: str, now: datetime, path: str, **params: Any) -> dict[str, Any]:
        """``GET {graph_url}/{api_version}/{path}``; ``now``: from when a rate limit counts."""
        return self._call(what, now, "GET", path, params=params)

    def post(self, what: str, now: datetime, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(what, now, "POST", path, json=body)

    def _call(
        self, what: str, now: datetime, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any]:
        import requests

        session = self._requests_session()
        try:
            response = session.request(
                method, f"{self.base}/{path}", timeout=TIMEOUT, allow_redirects=False, **kwargs
            )
        except requests.ReadTimeout:
            # The request went; Meta may have delivered the message before the answer was lost.
            after = (
                "it may have gone out, so askdesk looks for it in the conversation before "
                "sending it again"
                if method == "POST"
                else "askdesk tries again later"
            )
            raise PlatformUnavailable(
                f"Facebook did not answer within {TIMEOUT[1]:.0f} seconds while {what}; {after}"
            ) from None
        except requests.Timeout:
            raise PlatformUnavailable(
                f"could not reach Facebook within {TIMEOUT[0]:.0f} seconds while {what}; "
                "askdesk tries again later"
            ) from None
        except requests.ConnectionError:
            raise PlatformUnavailable(
                f"could not connect to Facebook while {what} (is the network up?); "
                "askdesk tries again later"
            ) from None
        except requests.RequestException as error:
            raise PlatformUnavailable(
                f"the request to Facebook failed while {what} ({type(error).__name__}); "
                "askdesk tries again later"
            ) from None
        self._note_usage(response.headers)
        try:
            payload = response.json()
        except (ValueError, RecursionError):  # RecursionError: arrays nested 1,000 deep
            payload = None
        if response.status_code >= 400 or (isinstance(payload, dict) and "error" in payload):
            raise self._error(what, now, response, payload)
        if not isinstance(payload, dict):
            raise UnexpectedPayload(
                f"Facebook answered {what} with something that is not a JSON object; "
                "askdesk tries again later"
            )
        return payload

    def _error(self, what: str, now: datetime, response: Any, payload: Any) -> ChannelError:
        code, subcode, said = error_of(payload)
        status = response.status_code
        if code == 190 or (code is None and status == 401):
            return CredentialsRejected(
                f"Facebook rejected the Page access token (error 190: it expired or was "
                f"revoked, or the password of the person who made it changed): make a new "
                f"long-lived Page token and set {self._env_prefix}PAGE_TOKEN"
            )
        if code in RATE_LIMIT_CODES or status == 429:
            reset_at = now + _regain_access(response.headers)
            return RateLimited(
                f"Facebook's call limit is used up (error {code or status}) while {what}; "
                f"askdesk waits until {reset_at:%H:%M:%S} UTC",
                reset_at,
            )
        if code in PERMISSION_CODES and subcode != 2018278:
            return AccessLevelTooLow(
                f"the Page token lacks a permission {what} needs (error {code}: {said}); "
                "it needs pages_messaging, pages_read_engagement and pages_manage_metadata"
            )
        if status >= 500 and code in (None, 1, 2):
            return PlatformUnavailable(
                f"Facebook is having trouble ({status}) while {what}; askdesk tries again later"
            )
        return GraphRefusal(
            f"Facebook refused {what} (error {code or status}): {said or 'no reason given'}",
            code,
            subcode,
        )

    def _note_usage(self, headers: Any) -> None:
        found = [usage(headers.get(name)) for name in ("X-App-Usage", "X-Page-Usage")]
        found.append(_business_usage(headers.get("X-Business-Use-Case-Usage")))
        highest = max((u for u in found if u is not None), default=None)
        if highest is None:
            return
        with self._lock:
            self._usage = max(self._usage or 0, highest)

    def _requests_session(self) -> Any:
        with self._lock:
            if self._session is None:
                import requests

                session = requests.Session()
                session.headers["Authorization"] = f"Bearer {self._token}"
                self._session = session
            return self._session


def _business_usage(value: str | None) -> int | None:
    """The highest percentage in ``X-Business-Use-Case-Usage`` (per business, per type)."""
    entries = _business_entries(value)
    numbers = [
        v
        for entry in entries
        for k, v in entry.items()
        if k != "estimated_time_to_regain_access" and isinstance(v, int | float)
    ]
    return int(max(numbers)) if numbers else None


def _regain_access(headers: Any) -> timedelta:
    """How long until Meta says calls work again (``estimated_time_to_regain_access``, min)."""
    minutes = [
        entry.get("estimated_time_to_regain_access")
        for entry in _business_entries(headers.get("X-Business-Use-Case-Usage"))
    ]
    known = [m for m in minutes if isinstance(m, int) and m > 0]
    return timedelta(minutes=max(known)) if known else RATE_LIMIT_REST


def _business_entries(value: str | None) -> list[dict[str, Any]]:
    if not value:
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    return [
        entry
        for entries in data.values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
