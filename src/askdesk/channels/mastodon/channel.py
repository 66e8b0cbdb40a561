"""The mastodon channel: mentions and direct statuses of one account in, replies under them out.

The adapter never sleeps: a rate limit is ``RateLimited(reset_at)`` and the
polls before ``reset_at`` ask nothing; a failing instance is an error with a
time to try again. ``ADAPTER`` at the end is what the registry lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.util import find_spec
from typing import Any

from askdesk.channels.base import Adapter, Fetched, Problem, Receipt
from askdesk.channels.credentials import credential_options, load_secrets
from askdesk.channels.html_text import html_to_text
from askdesk.channels.mastodon.client import MastodonClient
from askdesk.channels.mastodon.credentials import (
    ACCESS_TOKEN,
    DEFAULT_PREFIX,
    NAMES,
    access_token,
)
from askdesk.channels.mastodon.payloads import (
    Account,
    BadItem,
    Cursor,
    account_of,
    id_order,
    ident,
    mention_status,
    message,
    parse_time,
    replied_to,
    thread_root,
)
from askdesk.channels.mastodon.text import addressed, posted_words, status_length
from askdesk.channels.options import Options, Text, poll_seconds
from askdesk.errors import (
    ChannelError,
    ConfigError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    RefusedByPlatform,
    UnexpectedPayload,
)
from askdesk.model import Conversation, Kind, Message, Reply

PAGE_SIZE = 40
"""The most notifications Mastodon returns per page."""
MAX_PAGES = 10
"""Pages read per poll; a bigger backlog is read on by the next polls from where this stopped."""
FIRST_RUN = timedelta(hours=24)
"""How far back the first run reads mentions: a backlog, not the account's whole history."""
FIRST_RUN_PAGES = 5
"""Pages the first run reads back at most (200 mentions); what is beyond is said, not read."""
BACKOFF_CAP = timedelta(minutes=15)
"""The longest wait between tries while the instance or the network keeps failing."""
VISIBILITIES = ("public", "unlisted")
SENT_SLACK = timedelta(minutes=10)
"""How much earlier than the reply was queued its status may be dated (clocks differ)."""
SENT_PAGES = 5
"""Pages of the account's own statuses a sent-reply lookup reads back at most (200)."""
LIMITS_MAX_AGE = timedelta(days=1)
"""How long the instance's limits, kept in the cursor, are trusted before they are asked again."""


@dataclass
class _Position:
    """How far a fetch got: the newest notification handled, and what it brought."""

    min_id: str | None
    messages: list[Message]


class MastodonChannel:
    """Mentions and direct statuses of one Mastodon account; replies under the patron's status.

    The cursor is JSON: ``min_id`` (the newest notification handled: the next
    poll asks for what is newer, oldest first, page by page) and the account
    (so ``verify_credentials`` runs once per cursor). A failure part way keeps
    the position reached, so nothing is skipped and nothing read twice.
    """

    type: str = "mastodon"
    can_send_private = True
    """A private answer is a ``direct`` status: only the patron sees it."""

    def __init__(
        self,
        name: str,
        *,
        instance: str,
        token: str,
        source: str = "the environment",
        poll_seconds: float = 60,
        reply_visibility: str = "unlisted",
        env_prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if reply_visibility not in VISIBILITIES:
            raise ConfigError(
                f"channel {name!r}: reply_visibility should be public or unlisted, "
                f"not {reply_visibility!r}"
            )
        self.name = name
        self.poll_seconds = float(poll_seconds)
        self.reply_visibility = reply_visibility
        self._client = MastodonClient(instance, token, env_prefix + ACCESS_TOKEN, source)
        self._account: Account | None = None
        self._failures = 0
        self._retry_at: datetime | None = None
        self._last_failure: ChannelError | None = None
        self._length_limit: int | None = None

    @property
    def length_limit(self) -> int | None:
        """The instance's own limit once a poll has heard it (the composer counts with it)."""
        return self._length_limit

    @property
    def rate_limit(self) -> tuple[int | None, datetime | None]:
        """The instance's quota as its last answers gave it: (remaining, reset time)."""
        return self._client.rate_limit

    # -- fetching ----------------------------------------------------------------------

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        problems: list[Problem] = []
        state = Cursor.read(cursor, problems)
        if self._retry_at is not None and now < self._retry_at and self._last_failure:
            raise self._last_failure  # waiting out a rate limit or a failing instance
        self._client.count_rate_limit()
        self._retry_at, self._last_failure = None, None
        try:
            account = self._library(state)
            position = self._read(state, account, problems, now)
        except RateLimited as error:
            self._wait(error, error.reset_at or now + timedelta(seconds=self.poll_seconds))
            raise
        except PlatformUnavailable as error:
            self._failures += 1
            backoff = timedelta(seconds=self.poll_seconds) * 2 ** min(self._failures - 1, 10)
            self._wait(error, now + min(backoff, BACKOFF_CAP))
            raise
        self._failures = 0  # a rate limit met part way (``_read``) still holds the next polls
        state.min_id = position.min_id
        self._learn_limits(state, now)
        return Fetched(messages=position.messages, cursor=state.dump(), problems=problems)

    def _learn_limits(self, state: Cursor, now: datetime) -> None:
        """The instance's limits, asked once a day and kept in the cursor.

        A cron ``fetch`` then asks nothing more, a send needs no extra call,
        and the composer counts against the instance's own limit. A failure
        costs nothing now (the mentions have arrived); the next poll asks again.
        """
        heard = state.limits_at is not None and now - state.limits_at < LIMITS_MAX_AGE
        if state.limits is None or not heard:
            with suppress(ChannelError):
                state.limits, state.limits_at = self._client.limits(refresh=True), now
        if state.limits is not None:
            self._client.remember(state.limits)
            self._length_limit = state.limits[0]

    def _wait(self, error: ChannelError, until: datetime) -> None:
        self._retry_at, self._last_failure = until, error

    def _library(self, state: Cursor) -> Account:
        """The library's own account: from the cursor, else ``verify_credentials`` (once)."""
        if state.account is None:
            state.account = self._own_account()
        self._account = state.account
        return state.account

    def _own_account(self) -> Account:
        """The account as this process knows it, else as ``verify_credentials`` says (once)."""
        if self._account is None:
            raw = self._client.call("looking up the account", "account_verify_credentials")
            try:
                self._account = account_of(raw)
            except BadItem as error:
                raise UnexpectedPayload(
                    f"{self._client.host} answered looking up the account oddly: {error}"
                ) from None
        return self._account

    def _read(
        self, state: Cursor, account: Account, problems: list[Problem], now: datetime
    ) -> _Position:
        """Mention notifications newer than the cursor, oldest first, page by page.

        Without a cursor, ``_first_run``. A request failing after the first
        leaves the rest to the next poll.
        """
        if state.min_id is None:
            return self._first_run(account, problems, now)
        position = _Position(state.min_id, [])
        for _ in range(MAX_PAGES):
            before = position.min_id
            try:
                page = self._mentions(min_id=position.min_id)
                self._handle_page(page, account, position, problems)
            except CredentialsRejected:
                raise
            except ChannelError as error:
                if position.min_id == state.min_id and not position.messages:
                    raise
                if isinstance(error, RateLimited):  # the next polls wait for the reset
                    self._wait(error, error.reset_at or now + timedelta(seconds=self.poll_seconds))
                problems.append(Problem("mentions", f"{error}; the rest come next poll"))
                return position
            if len(page) < PAGE_SIZE or position.min_id == before:
                return position
        return position

    def _first_run(self, account: Account, problems: list[Problem], now: datetime) -> _Position:
        """The mentions of the last ``FIRST_RUN``, paged back from the newest with ``max_id``.

        The rule: everything of the last 24 hours, up to ``FIRST_RUN_PAGES``
        pages. What is left (older mentions, more than the pages hold, a page
        that failed) is said on the health line; the cursor starts at the
        newest, so later polls read on from there.
        """
        since = now - FIRST_RUN
        kept: list[Any] = []
        newest: str | None = None
        max_id: str | None = None
        left: str | None = None
        for number in range(FIRST_RUN_PAGES):
            try:
                page = self._mentions(max_id=max_id)
            except CredentialsRejected:
                raise
            except ChannelError as error:
                if number == 0:
                    raise
                if isinstance(error, RateLimited):
                    self._wait(error, error.reset_at or now + timedelta(seconds=self.poll_seconds))
                left = f"older mentions could not be read ({error}); they were left unread"
                break
            ids = [i for raw in page if (i := _notification_id(raw)) is not None]
            older = [raw for raw in page if _created(raw, before=since)]
            kept += [raw for raw in page if not _created(raw, before=since)]
            if ids:
                newest = max([*ids, *([newest] if newest else [])], key=id_order)
            if older:
                left = (
                    "mentions from before the last 24 hours were left unread "
                    "(a first run reads back that far)"
                )
                break
            if len(page) < PAGE_SIZE or not ids:
                break
            max_id = min(ids, key=id_order)
        else:
            left = (
                f"more than {FIRST_RUN_PAGES * PAGE_SIZE} mentions in the last 24 hours; "
                "the older ones were left unread (a first run reads that many)"
            )
        position = _Position(None, [])
        self._handle_page(kept, account, position, problems)
        position.min_id = newest
        if left is not None:
            problems.append(Problem("first run", left))
        return position

    def _mentions(self, **place: str | None) -> list[Any]:
        """One page of mention notifications (``min_id`` or ``max_id`` says which)."""
        params: dict[str, Any] = {"types": ["mention"], "limit": PAGE_SIZE}
        params.update((name, value) for name, value in place.items() if value is not None)
        page = self._client.call("reading mentions", "notifications", **params)
        if not isinstance(page, list):
            raise UnexpectedPayload(
                f"{self._client.host} answered reading mentions with something "
                "that is not a list of notifications"
            )
        return page

    def _handle_page(
        self, page: list[Any], account: Account, position: _Position, problems: list[Problem]
    ) -> None:
        """Each notification of one page, oldest first; the position moves past each one."""
        numbered: list[tuple[str, Any]] = []
        for raw in page:
            notification_id = ident(raw.get("id")) if isinstance(raw, Mapping) else None
            if notification_id is None:
                problems.append(Problem("a notification without an id", "skipped"))
            else:
                numbered.append((notification_id, raw))
        for notification_id, raw in sorted(numbered, key=lambda pair: id_order(pair[0])):
            try:
                found = self._message(raw, account, problems)
            except BadItem as error:
                problems.append(Problem(f"notification {notification_id}", str(error)))
            else:
                if found is not None:
                    position.messages.append(found)
            position.min_id = notification_id

    def _message(self, raw: Any, account: Account, problems: list[Problem]) -> Message | None:
        status = mention_status(raw)
        if status is None:
            return None
        parent = replied_to(status)
        ancestors: list[Any] = []
        if parent is not None and ident(status.get("id")) is not None:
            ancestors = self._ancestors(str(ident(status.get("id"))), problems)
        return message(
            status,
            account,
            channel=self.name,
            conversation=thread_root(status, ancestors, account),
        )

    def _ancestors(self, status_id: str, problems: list[Problem]) -> list[Any]:
        """The statuses above a reply, oldest first (``/statuses/:id/context``).

        A thread that is gone or hidden, or an answer that is not Mastodon's
        JSON (an HTML error page, nesting too deep to parse), leaves none: the
        mention starts its own conversation, and the rest of the page arrives.
        Waiting for a thread that may never read would hold every later mention.
        """
        try:
            context = self._client.call(
                "reading the thread a mention answers", "status_context", status_id
            )
        except RefusedByPlatform:
            return []  # the thread is gone or hidden: the reply starts its own conversation
        except UnexpectedPayload:
            problems.append(
                Problem(
                    f"status {status_id}",
                    f"{self._client.host} answered for the thread it answers with something "
                    "that is not Mastodon's JSON; it arrived as a conversation of its own",
                )
            )
            return []
        found = context.get("ancestors") if isinstance(context, Mapping) else None
        return found if isinstance(found, list) else []

    # -- sending -----------------------------------------------------------------------

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """A status under the patron's latest one, addressed to them only.

        An answer to a ``direct`` status (or a private answer) is ``direct``;
        anything else is ``reply_visibility``. The Idempotency-Key is the
        reply's id, but Mastodon keeps it about an hour: a retry first looks
        for what the attempt before may have posted (``find_sent``).
        """
        del now
        if reply.attempts > 1:
            found = self.find_sent(conversation, reply)
            if found is not None:
                return found
        target = conversation.latest
        status_id = ident(target.remote_id)
        if status_id is None or target.channel != self.name:
            raise RefusedByPlatform(
                f"{target.key} is not a status on Mastodon; it cannot be answered"
            )
        text = addressed(reply.text, target.author)
        limit, url_length = self._client.limits()
        length = status_length(text, url_length)
        if length > limit:
            raise RefusedByPlatform(
                f"with {target.author} at the start the reply is {length}/{limit} characters, "
                f"over {self._client.host}'s limit; shorten it"
            )
        private = reply.private or target.kind is Kind.DIRECT
        posted = self._client.call(
            "posting a reply",
            "status_post",
            text,
            in_reply_to_id=status_id,
            visibility="direct" if private else self.reply_visibility,
            idempotency_key=f"askdesk-{reply.id}",
        )
        remote_id = ident(posted.get("id")) if isinstance(posted, Mapping) else None
        if remote_id is None:
            raise UnexpectedPayload(
                f"{self._client.host} did not give the id of the reply it posted"
            )
        return Receipt(remote_id=remote_id)

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """Whether ``reply`` is on the instance already: a status of the account's own, made
        since the reply was queued, under one of the conversation's statuses, with its words.

        The account's statuses are read newest first until they are older than
        the reply. A status another reply of the conversation already has is
        not this one. When ``SENT_PAGES`` pages do not reach back that far, it
        cannot tell, and says so (``ChannelError``): the outbox then asks staff.
        """
        targets = {m.remote_id for m in conversation.messages if m.channel == self.name}
        taken = {r.remote_id for r in conversation.replies if r.remote_id and r.id != reply.id}
        words, since = posted_words(reply.text), reply.created_at - SENT_SLACK
        account = self._own_account()
        older: dict[str, str] = {}
        for _ in range(SENT_PAGES):
            page = self._client.call(
                "checking whether a reply went out",
                "account_statuses",
                account.id,
                exclude_reblogs=True,
                limit=PAGE_SIZE,
                **older,
            )
            if not isinstance(page, list):
                raise UnexpectedPayload(
                    f"{self._client.host} answered checking whether a reply went out with "
                    "something that is not a list of statuses"
                )
            ids: list[str] = []
            reached = len(page) < PAGE_SIZE
            for status in page:
                status_id = ident(status.get("id")) if isinstance(status, Mapping) else None
                if status_id is None:
                    continue
                ids.append(status_id)
                created = parse_time(status.get("created_at"))
                if created is None or created < since:
                    reached = reached or created is not None
                    continue
                if status_id in taken or replied_to(status) not in targets:
                    continue
                content = status.get("content")
                shown = posted_words(html_to_text(content)) if isinstance(content, str) else None
                if shown == words or self._typed_words(status_id) == words:
                    return Receipt(remote_id=status_id)
            if reached or not ids:
                return None
            older = {"max_id": min(ids, key=id_order)}
        raise ChannelError(
            f"could not tell whether the reply is on {self._client.host}: the account posted "
            f"more than {SENT_PAGES * PAGE_SIZE} statuses since it was written"
        )

    def _typed_words(self, status_id: str) -> str | None:
        """The words of one of the account's statuses as they were typed (``/source``).

        Asked only for a status under the conversation whose HTML reads otherwise
        (a server that renders Markdown, say); None where the server keeps no source.
        """
        try:
            source = self._client.call(
                "checking whether a reply went out", "status_source", status_id
            )
        except RefusedByPlatform:
            return None  # before Mastodon 3.5, or a server without the endpoint
        text = source.get("text") if isinstance(source, Mapping) else None
        return posted_words(text) if isinstance(text, str) else None


def _notification_id(raw: Any) -> str | None:
    return ident(raw.get("id")) if isinstance(raw, Mapping) else None


def _created(raw: Any, *, before: datetime) -> bool:
    """Whether the notification was made before ``before`` (one without a time is not)."""
    created = parse_time(raw.get("created_at")) if isinstance(raw, Mapping) else None
    return created is not None and created < before


def _build(name: str, options: Options) -> MastodonChannel:
    """The token is read (and checked) now, so a missing one shows when the desk starts."""
    if find_spec("mastodon") is None:
        raise ConfigError(
            f"channel {name!r} needs the Mastodon.py package: "
            ".venv/bin/pip install 'Mastodon.py>=2.0'"
        )
    secrets = load_secrets(options, NAMES)
    return MastodonChannel(
        name,
        instance=options.text("instance"),
        token=access_token(secrets, name),
        source=secrets.source,
        poll_seconds=options.number("poll_seconds"),
        reply_visibility=options.text("reply_visibility"),
        env_prefix=secrets.prefix,
    )


ADAPTER = Adapter(
    type="mastodon",
    options=(
        Text(
            "instance",
            'the instance\'s address (a string such as "https://mastodon.social")',
            required=True,
            pattern=r"https?://[^\s/?#]+/?",
        ),
        *credential_options(DEFAULT_PREFIX),
        poll_seconds(default=60),
        Text(
            "reply_visibility",
            'how public replies are ("public" or "unlisted")',
            default="unlisted",
            pattern="|".join(VISIBILITIES),
        ),
    ),
    build=_build,
)
