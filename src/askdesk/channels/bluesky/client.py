"""Calls to a Bluesky service through the atproto SDK, and its answers as askdesk's errors.

The SDK is imported the first time a request is made, so a desk without a
bluesky channel never loads it. The login is kept in a ``SessionFile``: a run
starts from the saved session, the SDK refreshes it before it runs out, and
``createSession`` is called only when there is none or the service refused
both its tokens. A call never sleeps: a rate limit is ``RateLimited(reset_at)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from askdesk.channels.bluesky.credentials import HOW_TO
from askdesk.channels.bluesky.session import SessionFile
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

T = TypeVar("T")

TIMEOUT_SECONDS = 30.0
CONNECT_SECONDS = 10.0
"""Read and connect timeouts: a send ends well inside the outbox's 120 s."""

LOGGERS = ("httpx", "httpcore", "atproto_client", "atproto_core")
"""Every logger that may write a request to the service."""

_SESSION_REFUSED = frozenset(
    {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"}
)
"""The XRPC errors with which a service says a session's token is no good (any more)."""
_NO_DM_ACCESS = ("Bad token method", "Bad token scope")
"""What a service says when an app password was made without access to direct messages."""


class BlueskyClient:
    """One account's requests, its login, and the lowest rate-limit quota they were told.

    The poller's fetch and the outbox's send run in different threads on one
    channel; the lock keeps the login made once and the session file whole.
    """

    def __init__(
        self,
        *,
        service: str,
        handle: str,
        password: str,
        session_file: SessionFile,
        password_variable: str,
    ) -> None:
        self.service = service
        self.handle = handle
        self._password = password
        self._session_file = session_file
        self._password_variable = password_variable
        self._client: Any = None
        self._chat: Any = None
        self._session: Any = None
        """The SDK's session as it last reported it (handle, DID, tokens)."""
        self._saved: str | None = None
        """The session string as last read from or written to the file."""
        self._lock = threading.RLock()
        self._rate_limit: tuple[int | None, datetime | None] = (None, None)
        guard_logs([password], LOGGERS)

    # -- what the channel asks for --------------------------------------------------------

    @property
    def rate_limit(self) -> tuple[int | None, datetime | None]:
        """The lowest quota told since ``count_rate_limit``: (remaining, reset time)."""
        return self._rate_limit

    def count_rate_limit(self) -> None:
        with self._lock:
            self._rate_limit = (None, None)

    @property
    def did(self) -> str:
        """The account's DID, from the session (logging in first if need be)."""
        self._call("logging in", lambda client: None)
        if self._session is None:  # the SDK reports every session it holds through _save
            raise UnexpectedPayload(f"{self.service} gave a session without the account's DID")
        return str(self._session.did)

    def query(self, what: str, nsid: str, params: Any = None, *, chat: bool = False) -> Any:
        """A GET (``params``: the SDK's Params model) with the raw JSON back, checked by the caller.

        Listings come back raw so that one notification that fails its lexicon
        is skipped on its own instead of failing the whole page.
        """

        def run(client: Any) -> Any:
            target = self._chat_client(client) if chat else client
            try:
                response = target.invoke_query(nsid, params=params)
            except ValueError:
                # Not even item by item (``lenient_json``): nesting too deep for any
                # parser, or a hostile value outside the page's lists.
                raise UnexpectedPayload(
                    f"{self.service} answered {what} with JSON askdesk cannot read"
                ) from None
            self._note_rate(response.headers)
            return response.content

        payload = self._call(what, run)
        if not isinstance(payload, dict):
            raise UnexpectedPayload(f"{self.service} answered {what} with something not JSON")
        return payload

    def record(self, what: str, repo: str, collection: str, rkey: str) -> dict[str, Any] | None:
        """``com.atproto.repo.getRecord``: the record, or None when there is none under ``rkey``."""
        params = self.models().ComAtprotoRepoGetRecord.Params(
            repo=repo, collection=collection, rkey=rkey
        )

        def run(client: Any) -> Any:
            try:
                response = client.invoke_query("com.atproto.repo.getRecord", params=params)
            except _exceptions().BadRequestError as error:
                if _xrpc_error(error)[0] == "RecordNotFound":
                    return None
                raise
            self._note_rate(response.headers)
            return response.content

        payload = self._call(what, run)
        if payload is not None and not isinstance(payload, dict):
            raise UnexpectedPayload(f"{self.service} answered {what} with something not JSON")
        return payload

    def typed(self, what: str, call: Callable[[Any], T], *, chat: bool = False) -> T:
        """A call through the SDK's own namespace methods (``client.com.atproto.…``)."""
        return self._call(what, lambda client: call(self._chat_client(client) if chat else client))

    def models(self) -> Any:
        """The SDK's lexicon models (``atproto_client.models``)."""
        from atproto_client import models

        return models

    # -- the login ------------------------------------------------------------------------

    def _call(self, what: str, run: Callable[[Any], T]) -> T:
        """``run`` with a logged-in client; a refused session is refreshed, then made anew, once."""
        with self._lock:
            client = self._logged_in(what)
        try:
            return self._guarded(what, run, client)
        except _SessionRefused:
            pass
        with self._lock:
            client = self._renewed(what, client)
        try:
            return self._guarded(what, run, client)
        except _SessionRefused as refused:
            raise CredentialsRejected(
                f"{self.service} refused a fresh session of {self.handle} while {what} "
                f"({refused}); check the account's app passwords under {HOW_TO}"
            ) from None

    def _logged_in(self, what: str) -> Any:
        if self._client is not None:
            return self._client
        client = self._new_client()
        saved = self._session_file.read()
        if saved is not None and self._import(client, saved):
            self._saved = saved
        else:
            self._create_session(client, what)
        self._client = client
        return client

    def _renewed(self, what: str, stale: Any) -> Any:
        """After a refusal: a session another run saved meanwhile, a refresh, or a new login."""
        if self._client is not stale:
            return self._client  # another thread renewed it already
        saved = self._session_file.read()
        client = self._new_client()
        if saved is not None and saved != self._saved and self._import(client, saved):
            self._saved = saved  # a cron run beside this desk refreshed it: use theirs
            self._client, self._chat = client, None
            return client
        try:
            # The SDK refreshes by itself only when the token's own expiry nears; a
            # service may refuse it sooner (revoked, clock skew), and the SDK has no
            # public call for that, so its own refresh step is used.
            self._guarded("refreshing the session", lambda c: c._refresh_and_set_session(), stale)
            self._chat = None
            return stale
        except _SessionRefused:
            pass
        self._create_session(client, what)
        self._client, self._chat = client, None
        return client

    def _create_session(self, client: Any, what: str) -> None:
        try:
            self._guarded(
                "logging in",
                lambda c: c.login(self.handle, self._password, fetch_bsky_profile=False),
                client,
            )
        except _SessionRefused as refused:
            raise CredentialsRejected(
                f"app password refused by {self.service} for {self.handle} ({refused}): check "
                f"{self._password_variable}, or make a new app password under {HOW_TO}"
            ) from None

    def _import(self, client: Any, saved: str) -> bool:
        """Start ``client`` from a saved session; False when it is not one (or not this account)."""
        try:
            client.login(session_string=saved, fetch_bsky_profile=False)
        except Exception:  # any session the SDK cannot read means: log in afresh
            return False
        session = self._session
        return session is not None and session.handle.lower() == self.handle.lower()

    def _save(self, event: Any, session: Any) -> None:
        """The SDK's session-change callback: keep what it made or refreshed for the next run."""
        self._session = session
        if event.value == "import":
            return  # read from the file just now
        encoded = session.encode()
        self._session_file.write(encoded)
        self._saved = encoded

    def _new_client(self) -> Any:
        import httpx
        from atproto_client import Client

        from askdesk.channels.bluesky.lenient_json import LenientRequest

        client = Client(
            base_url=self.service,
            request=LenientRequest(timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_SECONDS)),
        )
        client.on_session_change(self._save)
        return client

    def _chat_client(self, client: Any) -> Any:
        """The client with the ``atproto-proxy`` header that sends a call on to the chat service."""
        with self._lock:
            if self._chat is None or self._chat[0] is not client:
                self._chat = (client, client.with_bsky_chat_proxy())
            return self._chat[1]

    # -- errors ---------------------------------------------------------------------------

    def _guarded(self, what: str, run: Callable[[Any], T], client: Any) -> T:
        """``run(client)``, with the SDK's exceptions as ours (``_SessionRefused`` for a token)."""
        exceptions = _exceptions()
        try:
            return run(client)
        except exceptions.RateLimitExceededError as error:
            reset_at = error.reset_at
            with self._lock:
                self._rate_limit = (0, reset_at)
            until = f"until {reset_at:%H:%M:%S} UTC" if reset_at else "for a while"
            raise RateLimited(
                f"{self.service}'s rate limit for {what} is used up; askdesk waits {until}",
                reset_at,
            ) from None
        except exceptions.LoginRequiredError:
            raise _SessionRefused("no session") from None
        except (exceptions.UnauthorizedError, exceptions.BadRequestError) as error:
            code, message = _xrpc_error(error)
            if message in _NO_DM_ACCESS:
                raise AccessLevelTooLow(
                    f"the app password has no access to direct messages ({code}: {message}); "
                    f"make one with 'Allow access to your direct messages' ticked under {HOW_TO}"
                ) from None
            status = error.response.status_code if error.response is not None else 0
            if status in (401, 403) or code in _SESSION_REFUSED:
                raise _SessionRefused(f"{status} {code}".strip()) from None
            raise RefusedByPlatform(
                f"{self.service} refused {what} ({status} {code}: {message or 'no reason given'})"
            ) from None
        except exceptions.InvokeTimeoutError:
            raise PlatformUnavailable(
                f"{self.service} did not answer within {TIMEOUT_SECONDS:.0f} seconds while "
                f"{what}; askdesk tries again later"
            ) from None
        except exceptions.RequestErrorBase as error:
            if error.response is None:
                raise PlatformUnavailable(
                    f"{self.service} is unreachable while {what} (is the network up?); "
                    "askdesk tries again later"
                ) from None
            status = error.response.status_code
            code, message = _xrpc_error(error)
            if status >= 500 or status in (409, 413):
                raise PlatformUnavailable(
                    f"{self.service} is having trouble ({status}) while {what}; "
                    "askdesk tries again later"
                ) from None
            raise RefusedByPlatform(
                f"{self.service} refused {what} ({status} {code}: {message or 'no reason given'})"
            ) from None
        except exceptions.ModelError as error:
            raise UnexpectedPayload(
                f"{self.service} answered {what} with something its lexicon does not allow "
                f"({str(error)[:120]})"
            ) from None
        except exceptions.AtProtocolError as error:  # a malformed token, and what comes next
            raise UnexpectedPayload(
                f"{self.service} answered {what} with something askdesk cannot read "
                f"({type(error).__name__})"
            ) from None

    def _note_rate(self, headers: Any) -> None:
        """Keep the lowest ``ratelimit-remaining`` of this poll's requests for the health line."""
        remaining = _int(headers.get("ratelimit-remaining") if headers else None)
        if remaining is None:
            return
        reset = _int(headers.get("ratelimit-reset"))
        reset_at = datetime.fromtimestamp(reset, UTC) if reset is not None else None
        with self._lock:
            current = self._rate_limit[0]
            if current is None or remaining <= current:
                self._rate_limit = (remaining, reset_at)


class _SessionRefused(ChannelError):
    """The service refused the session's token: refresh it, or log in again."""


def _exceptions() -> Any:
    from atproto_client import exceptions

    return exceptions


def _xrpc_error(error: Any) -> tuple[str, str]:
    """The XRPC ``error`` code and ``message`` of a failed response, each at most 200 characters."""
    content = getattr(error.response, "content", None) if error.response is not None else None
    code = getattr(content, "error", None)
    message = getattr(content, "message", None)
    return (
        code[:200] if isinstance(code, str) else "",
        message[:200] if isinstance(message, str) else "",
    )


def _int(value: Any) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None
