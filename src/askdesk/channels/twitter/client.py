"""Calls to X through tweepy's v2 ``Client``, with X's answers turned into askdesk's errors.

tweepy is imported the first time a request is made, so a desk without a
twitter channel never loads it. A call never sleeps: a rate limit is
``RateLimited(reset_at)``; a failing network or server ``PlatformUnavailable``;
a refusal ``AccessLevelTooLow`` or ``RefusedByPlatform``; bad tokens
``CredentialsRejected``. Every logger that writes requests has its tokens masked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from askdesk.channels.base import Problem
from askdesk.channels.redaction import guard_logs
from askdesk.channels.twitter.credentials import USER_TOKEN, Credentials
from askdesk.channels.twitter.payloads import account_id, as_int, detail, epoch, page, users
from askdesk.errors import (
    AccessLevelTooLow,
    ChannelError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    RefusedByPlatform,
    UnexpectedPayload,
)

PAGE_SIZE = 100
"""The most X returns per page of mentions or DM events."""
MAX_PAGES = 10
"""Pages read per poll and endpoint; X keeps only the latest 800 mentions anyway."""
TIMEOUT = (10.0, 30.0)
"""Connect and read timeouts in seconds: a send ends well inside the outbox's 120 s."""

LOGGERS = (
    "tweepy.client",
    "requests_oauthlib.oauth1_auth",
    "oauthlib",
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
    "urllib3.connectionpool",
)
"""Every logger that writes requests to X (tweepy logs headers, oauthlib its signing)."""

_LEVEL_NEEDED = {
    "looking up the account": "Free",
    "posting a reply": "Free",
    "reading mentions": "Basic",
    "reading direct messages": "Basic",
    "sending a direct message": "Basic",
    "looking up a patron's account": "Basic",
    "checking whether a reply went out": "Basic",
}
"""The lowest X API access level (tier) that includes each thing askdesk does."""


class XClient:
    """One X account's requests, and the tightest rate-limit quota they were told.

    The poller's fetch and the outbox's send run in different threads on one
    channel; the lock keeps the tweepy client made once and the quota whole.
    """

    def __init__(self, credentials: Credentials, env_prefix: str) -> None:
        self._credentials = credentials
        self._env_prefix = env_prefix
        self._client: Any = None
        self._lock = threading.Lock()
        self._rate_limit: tuple[int | None, datetime | None] = (None, None)
        guard_logs(credentials.values(), LOGGERS)

    @property
    def rate_limit(self) -> tuple[int | None, datetime | None]:
        """X's quota on the tightest endpoint since ``count_rate_limit``: (remaining, reset)."""
        return self._rate_limit

    def count_rate_limit(self) -> None:
        """Start over: the next requests' headers say what is left."""
        with self._lock:
            self._rate_limit = (None, None)

    def used_up(self, reset_at: datetime | None) -> None:
        """An endpoint has no requests left until ``reset_at``."""
        with self._lock:
            self._rate_limit = (0, reset_at)

    def account(self) -> str:
        """The id of the account the credentials belong to (``get_me``)."""
        found = account_id(self.call("looking up the account", "get_me"))
        if found is None:
            raise UnexpectedPayload("X answered looking up the account without the account's id")
        return found

    def user_id(self, username: str, author: str) -> str:
        """The X user id behind ``username``; ``author`` is how errors name them."""
        payload = self.call("looking up a patron's account", "get_user", username=username)
        found = account_id(payload)
        if found is None:
            raise RefusedByPlatform(f"X has no account {author} (renamed or deleted?)")
        return found

    def call(self, what: str, method: str, **params: Any) -> dict[str, Any]:
        """One request through tweepy: its JSON object, or our error for what went wrong."""
        import requests

        tweepy = _tweepy()
        client = self._tweepy_client()
        try:
            response = getattr(client, method)(user_auth=self._credentials.oauth1, **params)
        except tweepy.TooManyRequests as error:
            self._note_rate(error.response)
            reset_at = epoch(error.reset_time)
            self.used_up(reset_at)
            until = f"until {reset_at:%H:%M:%S} UTC" if reset_at else "for now"
            raise RateLimited(
                f"X's rate limit for {what} is used up; askdesk waits {until}", reset_at
            ) from None
        except tweepy.Unauthorized:
            raise CredentialsRejected(self._rejected()) from None
        except tweepy.Forbidden as error:
            raise _forbidden(what, error.response) from None
        except tweepy.TwitterServerError as error:
            status = f"{error.response.status_code} {error.response.reason}".strip()
            raise PlatformUnavailable(
                f"X is having trouble ({status}) while {what}; askdesk tries again later"
            ) from None
        except tweepy.HTTPException as error:
            raise _refused(what, error.response) from None
        except requests.Timeout:
            raise PlatformUnavailable(
                f"X did not answer within {TIMEOUT[1]:.0f} seconds while {what}; "
                "askdesk tries again later"
            ) from None
        except requests.ConnectionError:
            raise PlatformUnavailable(
                f"could not connect to X while {what} (is the network up?); "
                "askdesk tries again later"
            ) from None
        except requests.RequestException as error:
            raise PlatformUnavailable(
                f"the request to X failed while {what} ({type(error).__name__}); "
                "askdesk tries again later"
            ) from None
        self._note_rate(response)
        try:
            payload = response.json()
        except ValueError:
            raise UnexpectedPayload(
                f"X answered {what} with something that is not JSON; askdesk tries again later"
            ) from None
        if not isinstance(payload, dict):
            raise UnexpectedPayload(f"X answered {what} with JSON of an unexpected shape")
        return payload

    def _rejected(self) -> str:
        prefix = self._env_prefix
        if self._credentials.oauth1:
            names = f"{prefix}CONSUMER_KEY/_SECRET and {prefix}ACCESS_TOKEN/_SECRET"
            hint = "regenerated keys or tokens replace the old ones"
        else:
            names = f"{prefix}{USER_TOKEN}"
            hint = "an OAuth 2.0 user token expires 2 hours after it was issued"
        return (
            f"credentials rejected by X (401): check the {prefix}* values "
            f"({names}, in {self._credentials.source}); {hint}"
        )

    def _note_rate(self, response: Any) -> None:
        """Keep the lowest quota left of this poll's requests for the health line."""
        headers = getattr(response, "headers", None) or {}
        remaining = as_int(headers.get("x-rate-limit-remaining"), default=-1)
        if remaining < 0:
            return
        reset_at = epoch(as_int(headers.get("x-rate-limit-reset"), default=-1))
        with self._lock:
            current = self._rate_limit[0]
            if current is None or remaining <= current:
                self._rate_limit = (remaining, reset_at)

    def _tweepy_client(self) -> Any:
        with self._lock:
            if self._client is None:
                import requests

                creds = self._credentials
                client = _tweepy().Client(
                    bearer_token=creds.user_token,
                    consumer_key=creds.consumer_key,
                    consumer_secret=creds.consumer_secret,
                    access_token=creds.access_token,
                    access_token_secret=creds.access_token_secret,
                    # The raw response: its rate-limit headers, and JSON we check ourselves
                    # so one malformed tweet cannot sink the page with it.
                    return_type=requests.Response,
                    # Never sleep in a worker: RateLimited says until when.
                    wait_on_rate_limit=False,
                )
                client.session.mount("https://", _timeout_adapter())
                self._client = client
            return self._client


class Pages:
    """The pages of one listing (mentions, DM events), following ``meta.next_token``.

    Yields each page's items, its ``includes.users`` and its ``meta``. A failing
    first page raises; a failing later page ends the walk with a problem and
    ``broken`` set, so the caller keeps its cursor and the next poll reads
    the gap again. More than ``MAX_PAGES`` pages is a problem too: the rest
    is skipped. Leaving the loop early (caught up) is not.
    """

    def __init__(
        self,
        client: XClient,
        part: str,
        method: str,
        params: dict[str, Any],
        problems: list[Problem],
    ) -> None:
        self.client, self.part, self.method = client, part, method
        self.params, self.problems = params, problems
        self.broken = False

    def __iter__(self) -> Iterator[tuple[list[Any], dict[str, str], dict[str, Any]]]:
        what = f"reading {self.part}"
        for number in range(MAX_PAGES):
            try:
                payload = self.client.call(what, self.method, **self.params)
                items, meta = page(payload, what)
            except ChannelError as error:
                if number == 0 or isinstance(error, CredentialsRejected):
                    raise
                self.problems.append(Problem(self.part, f"{error}; the rest come next poll"))
                self.broken = True
                return
            yield items, users(payload), meta
            token = meta.get("next_token")
            if not isinstance(token, str) or not token:
                return
            self.params["pagination_token"] = token
        self.problems.append(
            Problem(self.part, f"more than {MAX_PAGES * PAGE_SIZE} new; the oldest skipped")
        )


def _tweepy() -> Any:
    import tweepy  # type: ignore[import-untyped, unused-ignore]  # tweepy ships no type hints

    return tweepy


def _timeout_adapter() -> Any:
    """An ``HTTPAdapter`` that gives up after ``TIMEOUT``: tweepy passes none to requests."""
    from requests import PreparedRequest, Response
    from requests.adapters import HTTPAdapter

    class TimeoutAdapter(HTTPAdapter):
        def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = TIMEOUT
            return super().send(request, *args, **kwargs)

    return TimeoutAdapter()


def _forbidden(what: str, response: Any) -> ChannelError:
    body = _body(response)
    reason, problem = str(body.get("reason", "")), str(body.get("type", ""))
    if reason == "client-not-enrolled" or problem.endswith("/client-forbidden"):
        level = _LEVEL_NEEDED.get(what, "Basic")
        return AccessLevelTooLow(
            f"{what} needs X API {level} access or higher "
            "(your app's access level does not include it)"
        )
    if problem.endswith("/oauth1-permissions"):
        return AccessLevelTooLow(
            f"the X app's permissions do not allow {what}: set them to "
            '"Read and write and Direct message" in the developer portal, '
            "then generate the access token and secret again"
        )
    return _refused(what, response)


def _refused(what: str, response: Any) -> ChannelError:
    status = getattr(response, "status_code", "?")
    said = detail(_body(response)) or getattr(response, "reason", "") or "no reason given"
    if status == 404:
        return RefusedByPlatform(f"X could not find what {what} needs (404): {said}")
    return RefusedByPlatform(f"X refused {what} ({status}): {said}")


def _body(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
