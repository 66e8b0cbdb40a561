"""Twilio's REST API 2010-04-01 over plain HTTP (requests), and its answers as our errors.

Three calls (the Messages list, create, fetch) with HTTP Basic auth need no
SDK: the official ``twilio`` package builds every URL on api.twilio.com, so
``api_base`` (a proxy, a stand-in) would need a custom HTTP client under it,
and it imports hundreds of modules a desk never uses. A call never sleeps:
429 is ``RateLimited``; 401 names the variables to check; 21610 says the
patron opted out.
"""

from __future__ import annotations

import threading
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from askdesk.channels.base import Problem
from askdesk.channels.redaction import guard_logs
from askdesk.channels.sms.numbers import masked
from askdesk.channels.sms.payloads import (
    BadItem,
    created_at,
    error_of,
    inbound,
    listing,
    media_count,
    media_item,
    sent_at,
    sid_of,
    status_of,
)
from askdesk.channels.sms.provider import Sent
from askdesk.errors import (
    ChannelError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    RefusedByPlatform,
    UnexpectedPayload,
)
from askdesk.model import Message

API = "2010-04-01"
TIMEOUT = (10.0, 30.0)
PAGE_SIZE = 100
MAX_PAGES = 10
SENT_PAGE_SIZE = 50
SENT_PAGES = 3
"""How far back a send cut short is looked for: the newest texts to the patron."""
RETRY_AFTER = timedelta(seconds=60)
"""How long a 429 rests when Twilio sends no ``Retry-After``."""
OPTED_OUT = 21610
LOGGERS = ("urllib3.connectionpool", "requests")


@dataclass(frozen=True)
class TwilioCredentials:
    """The account (its SID names the URLs) and who signs in: its auth token, or an API key."""

    account_sid: str
    username: str = field(repr=False)
    password: str = field(repr=False)

    def values(self) -> list[str]:
        return [self.username, self.password]


class OptedOut(RefusedByPlatform):
    """Twilio's error 21610: the number texted STOP and has not texted START since."""


class TwilioProvider:
    """One Twilio account's Messages resource at ``api_base``."""

    def __init__(self, api_base: str, credentials: TwilioCredentials, env_prefix: str) -> None:
        self.base = api_base.rstrip("/")
        self._credentials = credentials
        self._env_prefix = env_prefix
        self._session: Any = None
        self._lock = threading.Lock()
        guard_logs(credentials.values(), LOGGERS)

    @property
    def _messages(self) -> str:
        return f"/{API}/Accounts/{self._credentials.account_sid}/Messages"

    def received(
        self, number: str, since: datetime, now: datetime, channel: str, problems: list[Problem]
    ) -> list[Message]:
        # Twilio filters by day only (DateSent>=YYYY-MM-DD); the rest is sorted out here.
        path: str | None = f"{self._messages}.json"
        params: dict[str, Any] | None = {
            "To": number,
            "DateSent>": f"{since:%Y-%m-%d}",
            "PageSize": PAGE_SIZE,
        }
        found: list[Message] = []
        for number_of_page in range(MAX_PAGES):
            if path is None:
                return found
            try:
                items, path = listing(self._call("reading texts", now, "GET", path, params=params))
            except ChannelError as error:
                if number_of_page == 0:
                    raise
                problems.append(Problem("texts", f"{error}; the rest come next poll"))
                return found
            params = None  # next_page_uri carries them
            for raw in items:  # newest first
                at = sent_at(raw)
                if at is not None and at < since:
                    return found
                try:
                    count = media_count(raw)
                    media = self._media(raw, count, now) if count != 0 else []
                    message = inbound(raw, channel=channel, number=number, media=media)
                except BadItem as error:
                    problems.append(Problem(_where(raw), str(error)))
                    continue
                if message is not None:
                    found.append(message)
        problems.append(
            Problem("texts", f"more than {MAX_PAGES * PAGE_SIZE} new; the rest next poll")
        )
        return found

    def _media(self, raw: dict[str, Any], count: int | None, now: datetime) -> list[str]:
        """An MMS's media by type and address: the list is read, the media never fetched."""
        sid = sid_of(raw)
        if sid is None:
            return []
        try:
            payload = self._call(
                "listing an MMS's media", now, "GET", f"{self._messages}/{sid}/Media.json"
            )
        except (RefusedByPlatform, UnexpectedPayload) as error:
            # Media deleted in Twilio's console: the text still arrives, and so do the
            # others (failing the fetch would stop every later poll at this one text).
            how_many = "1 item" if count == 1 else f"{count} items" if count else "its items"
            return [f"{how_many} not listed: {error}"]
        items = payload.get("media_list")
        listed = [media_item(item) for item in items] if isinstance(items, list) else []
        return [f"{kind} {self.base}{path}" for kind, path in filter(None, listed)]

    def send(self, to: str, sender: str, text: str, now: datetime) -> Sent:
        payload = self._call(
            "sending a text",
            now,
            "POST",
            f"{self._messages}.json",
            data={"To": to, "From": sender, "Body": text},
            patron=to,
        )
        sid, status = sid_of(payload), status_of(payload)
        if sid is None:
            raise UnexpectedPayload("Twilio did not give the id of the text it took")
        return Sent(remote_id=sid, status=status or "queued")

    def find_sent(
        self, to: str, sender: str, text: str, since: datetime, taken: Set[str], now: datetime
    ) -> str | None:
        # No DateSent filter: a text still queued has no date_sent yet, and it is the one
        # a send cut short a moment ago most likely left. Newest first, by date_created.
        what = "checking whether a text went out"
        path: str | None = f"{self._messages}.json"
        params: dict[str, Any] | None = {"To": to, "From": sender, "PageSize": SENT_PAGE_SIZE}
        for _ in range(SENT_PAGES):
            if path is None:
                return None
            items, path = listing(self._call(what, now, "GET", path, params=params))
            params = None  # next_page_uri carries them
            for raw in items:
                made = created_at(raw)
                if made is not None and made < since:
                    return None  # older than the reply: it never went out
                sid = sid_of(raw)
                if (
                    sid is not None
                    and sid not in taken
                    and str(raw.get("direction", "")).startswith("outbound")
                    and raw.get("body") == text
                ):
                    return sid
        return None

    def delivery(self, remote_id: str, now: datetime) -> str | None:
        return status_of(
            self._call(
                "checking a text's delivery", now, "GET", f"{self._messages}/{remote_id}.json"
            )
        )

    def _call(
        self,
        what: str,
        now: datetime,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        patron: str | None = None,
    ) -> dict[str, Any]:
        import requests

        try:
            response = self._requests_session().request(
                method,
                f"{self.base}{path}",
                params=params,
                data=data,
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.ReadTimeout:
            # The request went; Twilio may have taken the text before the answer was lost.
            after = (
                "it may have gone out, so askdesk looks for it on Twilio before sending it again"
                if method == "POST"
                else "askdesk tries again later"
            )
            raise PlatformUnavailable(
                f"Twilio did not answer within {TIMEOUT[1]:.0f} seconds while {what}; {after}"
            ) from None
        except requests.Timeout:
            raise PlatformUnavailable(
                f"could not reach Twilio within {TIMEOUT[0]:.0f} seconds while {what}; "
                "askdesk tries again later"
            ) from None
        except requests.RequestException:
            raise PlatformUnavailable(
                f"could not reach Twilio while {what} (is the network up?); "
                "askdesk tries again later"
            ) from None
        try:
            payload = response.json()
        except (ValueError, RecursionError):  # RecursionError: arrays nested 1,000 deep
            payload = None
        if response.status_code >= 400:
            raise self._error(what, now, response, payload, patron)
        if not isinstance(payload, dict):
            raise UnexpectedPayload(f"Twilio answered {what} with something that is not JSON")
        return payload

    def _error(
        self, what: str, now: datetime, response: Any, payload: Any, patron: str | None
    ) -> ChannelError:
        code, said = error_of(payload)
        status = response.status_code
        if status == 401 or code == 20003:
            prefix = self._env_prefix
            return CredentialsRejected(
                f"Twilio rejected the credentials (401) while {what}: check {prefix}ACCOUNT_SID "
                f"and {prefix}AUTH_TOKEN (or {prefix}API_KEY_SID and {prefix}API_KEY_SECRET)"
            )
        if status == 429 or code == 20429:
            wait = _retry_after(response.headers.get("Retry-After"))
            reset_at = now + wait
            return RateLimited(
                f"Twilio says too many requests (429) while {what}; "
                f"askdesk waits until {reset_at:%H:%M:%S} UTC",
                reset_at,
            )
        if code == OPTED_OUT:
            who = masked(patron) if patron else "the patron"
            return OptedOut(
                f"{who} has opted out (texted STOP): no text can go to them until they "
                f"text START (Twilio error {OPTED_OUT})"
            )
        if status >= 500:
            return PlatformUnavailable(
                f"Twilio is having trouble ({status}) while {what}; askdesk tries again later"
            )
        return RefusedByPlatform(
            f"Twilio refused {what} (error {code or status}): {said or 'no reason given'}"
        )

    def _requests_session(self) -> Any:
        with self._lock:
            if self._session is None:
                import requests

                session = requests.Session()
                session.auth = (self._credentials.username, self._credentials.password)
                self._session = session
            return self._session


def _retry_after(value: str | None) -> timedelta:
    seconds = value.strip() if value is not None else ""
    if seconds.isascii() and seconds.isdigit():  # "²" is a digit to isdigit, not to int
        return timedelta(seconds=min(int(seconds), 3600))
    return RETRY_AFTER


def _where(raw: Any) -> str:
    sid = raw.get("sid") if isinstance(raw, dict) else None
    return f"text {sid[:40]}" if isinstance(sid, str) and sid else "a text without a sid"
