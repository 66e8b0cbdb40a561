"""The twitter channel: mentions and DMs of one X account in, public replies and DMs out.

The adapter never sleeps: a rate limit is ``RateLimited(reset_at)``, a
failing network an error with a time to try again. ``ADAPTER`` at the end is
what the registry lists: the options a ``type = "twitter"`` table takes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from typing import Any

from askdesk.channels.base import Adapter, Fetched, Problem, Receipt
from askdesk.channels.credentials import credential_options, load_secrets
from askdesk.channels.options import Flag, Number, Options, poll_seconds
from askdesk.channels.twitter.client import PAGE_SIZE, Pages, XClient
from askdesk.channels.twitter.credentials import (
    DEFAULT_PREFIX,
    NAMES,
    Credentials,
    credentials_from,
)
from askdesk.channels.twitter.payloads import (
    BadItem,
    Cursor,
    as_int,
    as_list,
    digits,
    direct_message,
    dm_thread,
    mention,
    page,
    parse_time,
    receipt,
    where,
)
from askdesk.channels.twitter.text import TWEET_LIMIT, public_reply_text, same_text, weighted_length
from askdesk.config import NumberRange
from askdesk.errors import (
    AccessLevelTooLow,
    ChannelError,
    ConfigError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    RefusedByPlatform,
)
from askdesk.model import Conversation, Kind, Message, Reply

BACKOFF_CAP = timedelta(minutes=15)
"""The longest wait between tries while X or the network keeps failing."""
PAUSE_AFTER_REFUSAL = timedelta(minutes=15)
"""How long an endpoint X refused (access level, permissions) rests before the next try."""
SENT_SLACK = timedelta(minutes=10)
"""How far before the reply was written a matching DM may be and still be it (clock skew)."""

TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "note_tweet", "referenced_tweets"]
DM_FIELDS = ["created_at", "dm_conversation_id", "event_type", "id", "sender_id", "text"]


class TwitterChannel:
    """Mentions (and, with ``direct_messages``, DMs) of one X account; replies and DMs back.

    The cursor is JSON: ``account`` (so ``get_me`` runs once), ``since_id``
    (the newest mention seen), ``dm_newest`` (the newest DM event seen; X's
    DM endpoint has no ``since_id``) and ``start`` (the first run's window).
    A failure on a later page keeps the old position, so nothing is skipped;
    messages read again are dropped by the store's dedup.
    """

    type: str = "twitter"

    def __init__(
        self,
        name: str,
        credentials: Credentials,
        *,
        poll_seconds: float = 60,
        backfill_hours: float = 24,
        include_quotes: bool = False,
        direct_messages: bool = True,
        env_prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if poll_seconds <= 0 or backfill_hours <= 0:
            raise ConfigError(
                f"channel {name!r}: poll_seconds and backfill_hours must be more than 0"
            )
        self.name = name
        self.poll_seconds = float(poll_seconds)
        self.backfill = timedelta(hours=backfill_hours)
        self.include_quotes = include_quotes
        self.direct_messages = direct_messages
        self.can_send_private = direct_messages
        self.env_prefix = env_prefix
        self._x = XClient(credentials, env_prefix)
        self._credentials = credentials
        self._me: str | None = None
        self._failures = 0
        self._retry_at: datetime | None = None
        self._last_failure = ""
        self._paused: dict[str, tuple[datetime, Callable[[], ChannelError]]] = {}

    @property
    def rate_limit(self) -> tuple[int | None, datetime | None]:
        """X's quota on the tightest endpoint of the last poll: (remaining, reset time)."""
        return self._x.rate_limit

    # -- fetching ----------------------------------------------------------------------

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        problems: list[Problem] = []
        state = Cursor.read(cursor, now, self.backfill, problems)
        if self._retry_at is not None and now < self._retry_at:
            raise PlatformUnavailable(
                f"{self._last_failure}; next try at {self._retry_at:%H:%M:%S} UTC"
            )
        self._x.count_rate_limit()
        try:
            messages = self._fetch(state, now, problems)
        except PlatformUnavailable as error:
            self._failures += 1
            wait = timedelta(seconds=self.poll_seconds) * 2 ** min(self._failures - 1, 10)
            self._retry_at = now + min(wait, BACKOFF_CAP)
            self._last_failure = str(error)
            raise
        self._failures, self._retry_at = 0, None
        messages.sort(key=lambda m: (m.received_at, int(m.remote_id.removeprefix("dm-"))))
        return Fetched(messages=messages, cursor=state.dump(), problems=problems)

    def _fetch(self, state: Cursor, now: datetime, problems: list[Problem]) -> list[Message]:
        account = self._account(state)
        parts: list[tuple[str, Callable[[Cursor, str, list[Problem]], list[Message]]]] = [
            ("mentions", self._mentions)
        ]
        if self.direct_messages:
            parts.append(("direct messages", self._dm_events))
        messages: list[Message] = []
        failures: list[ChannelError] = []
        for part, read in parts:
            paused = self._paused.get(part)
            if paused is not None and now < paused[0]:
                error = paused[1]()
                if isinstance(error, RateLimited):
                    self._x.used_up(error.reset_at)
                failures.append(error)
                problems.append(Problem(part, str(error)))
                continue
            try:
                messages.extend(read(state, account, problems))
            except CredentialsRejected:
                raise
            except ChannelError as error:
                self._pause(part, error, now)
                failures.append(error)
                problems.append(Problem(part, str(error)))
            else:
                self._paused.pop(part, None)
        if failures and len(failures) == len(parts):
            raise _worst(failures)
        return messages

    def _pause(self, part: str, error: ChannelError, now: datetime) -> None:
        """Rest an endpoint X said no to, so each poll does not ask again in vain."""
        message = str(error)
        if isinstance(error, RateLimited):
            reset_at = error.reset_at or now + timedelta(seconds=self.poll_seconds)
            self._paused[part] = (reset_at, lambda: RateLimited(message, reset_at))
        elif isinstance(error, AccessLevelTooLow | RefusedByPlatform):
            kind = type(error)
            self._paused[part] = (now + PAUSE_AFTER_REFUSAL, lambda: kind(message))

    def _account(self, state: Cursor) -> str:
        """The account's id: from the cursor, else ``get_me`` (once per cursor)."""
        from_token = self._credentials.token_account()
        for known in (state.account, self._me):
            if known is not None and from_token in (None, known):
                state.account = self._me = known
                return known
        state.account = self._me = self._x.account()
        return state.account

    def _mentions(self, state: Cursor, account: str, problems: list[Problem]) -> list[Message]:
        params: dict[str, Any] = {
            "id": account,
            "max_results": PAGE_SIZE,
            "expansions": ["author_id"],
            "tweet_fields": TWEET_FIELDS,
            "user_fields": ["username"],
        }
        if state.since_id is not None:
            params["since_id"] = state.since_id
        else:
            params["start_time"] = state.start
        messages: list[Message] = []
        newest = int(state.since_id) if state.since_id else 0
        pages = Pages(self._x, "mentions", "get_users_mentions", params, problems)
        for tweets, users, meta in pages:
            newest = max(newest, as_int(meta.get("newest_id")))
            for raw in tweets:
                newest = max(newest, as_int(raw.get("id") if isinstance(raw, dict) else None))
                try:
                    message = mention(
                        raw, users, account, channel=self.name, include_quotes=self.include_quotes
                    )
                except BadItem as error:
                    problems.append(Problem(where("tweet", raw), str(error)))
                    continue
                if message is not None:
                    messages.append(message)
        if newest and not pages.broken:  # broken: since_id stays, the next poll reads the gap
            state.since_id = str(newest)
        return messages

    def _dm_events(self, state: Cursor, account: str, problems: list[Problem]) -> list[Message]:
        params: dict[str, Any] = {
            "dm_event_fields": DM_FIELDS,
            "event_types": "MessageCreate",
            "expansions": ["sender_id"],
            "user_fields": ["username"],
            "max_results": PAGE_SIZE,
        }
        seen = int(state.dm_newest) if state.dm_newest else 0
        newest = seen
        messages: list[Message] = []
        pages = Pages(self._x, "direct messages", "get_direct_message_events", params, problems)
        for events, users, _ in pages:
            caught_up = False
            for raw in events:  # newest first
                event_id = as_int(raw.get("id") if isinstance(raw, dict) else None)
                if seen and event_id and event_id <= seen:
                    caught_up = True
                    break
                created = parse_time(raw.get("created_at")) if isinstance(raw, dict) else None
                if not seen and created is not None and created < state.start:
                    caught_up = True  # the first run reads back only backfill_hours
                    break
                newest = max(newest, event_id)
                try:
                    message = direct_message(raw, users, account, channel=self.name)
                except BadItem as error:
                    problems.append(Problem(where("direct message", raw), str(error)))
                    continue
                if message is not None:
                    messages.append(message)
            if caught_up:
                break  # no further pages: they hold only what came before
        if newest and not pages.broken:  # broken: dm_newest stays, the next poll reads the gap
            state.dm_newest = str(newest)
        return messages

    # -- sending -----------------------------------------------------------------------

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """A public reply to the patron's latest post, or a DM (private, or a DM thread).

        A retry first looks for the reply on X: the attempt that failed may
        have landed (a timeout after X had posted it).
        """
        del now
        if reply.attempts > 1:
            found = self.find_sent(conversation, reply)
            if found is not None:
                return found
        if reply.private or conversation.kind is not Kind.MENTION:
            return self._send_dm(conversation, reply)
        return self._send_tweet(conversation, reply)

    def _send_tweet(self, conversation: Conversation, reply: Reply) -> Receipt:
        target = conversation.latest
        if digits(target.remote_id) is None:
            raise RefusedByPlatform(f"{target.key} is not a post on X; it cannot be replied to")
        text = public_reply_text(reply.text, target.author)
        length = weighted_length(text)
        if length > TWEET_LIMIT:
            raise RefusedByPlatform(
                f"with {target.author} at the start the reply is {length}/{TWEET_LIMIT} "
                "characters; shorten it"
            )
        try:
            payload = self._x.call(
                "posting a reply", "create_tweet", text=text, in_reply_to_tweet_id=target.remote_id
            )
        except RefusedByPlatform as error:
            if "duplicate" not in str(error).lower():
                raise
            # X refuses the same text twice: the first attempt may have gone out after all.
            found = self._find_tweet(conversation, reply)
            if found is not None:
                return found
            raise
        return receipt(payload, "id", "posting a reply")

    def _send_dm(self, conversation: Conversation, reply: Reply) -> Receipt:
        if conversation.kind is Kind.DIRECT:
            thread = dm_thread(conversation)
            payload = self._x.call(
                "sending a direct message",
                "create_direct_message",
                dm_conversation_id=thread,
                text=reply.text,
            )
        else:
            patron = self._user_id(conversation.latest.author)
            payload = self._x.call(
                "sending a direct message",
                "create_direct_message",
                participant_id=patron,
                text=reply.text,
            )
        return Receipt(remote_id="dm-" + receipt(payload, "dm_event_id", "sending a DM").remote_id)

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """Whether ``reply`` is on X already: the account's reply with the same words."""
        if reply.private or conversation.kind is not Kind.MENTION:
            return self._find_dm(conversation, reply)
        return self._find_tweet(conversation, reply)

    def _find_tweet(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        targets = {
            m.remote_id: public_reply_text(reply.text, m.author)
            for m in conversation.messages
            if m.kind is Kind.MENTION and digits(m.remote_id)
        }
        if not targets:
            return None
        params: dict[str, Any] = {
            "id": self._account_id(),
            "since_id": min(targets, key=int),
            "max_results": PAGE_SIZE,
            "tweet_fields": ["created_at", "referenced_tweets"],
        }
        for _ in range(3):
            payload = self._x.call(
                "checking whether a reply went out", "get_users_tweets", **params
            )
            tweets, meta = page(payload, "checking whether a reply went out")
            for tweet in tweets:
                if not isinstance(tweet, dict) or not isinstance(tweet.get("text"), str):
                    continue
                for ref in as_list(tweet.get("referenced_tweets")):
                    if not isinstance(ref, dict) or ref.get("type") != "replied_to":
                        continue
                    expected = targets.get(str(ref.get("id")))
                    tweet_id = digits(tweet.get("id"))
                    if expected and tweet_id and same_text(tweet["text"], expected):
                        return Receipt(remote_id=tweet_id)
            token = meta.get("next_token")
            if not isinstance(token, str) or not token:
                break
            params["pagination_token"] = token
        return None

    def _find_dm(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        place: dict[str, Any]
        if conversation.kind is Kind.DIRECT:
            place = {"dm_conversation_id": dm_thread(conversation)}
        else:
            place = {"participant_id": self._user_id(conversation.latest.author)}
        account = self._account_id()
        payload = self._x.call(
            "checking whether a reply went out",
            "get_direct_message_events",
            **place,
            dm_event_fields=DM_FIELDS,
            event_types="MessageCreate",
            max_results=PAGE_SIZE,
        )
        events, _ = page(payload, "checking whether a reply went out")
        for event in events:
            if not isinstance(event, dict) or event.get("sender_id") != account:
                continue
            created = parse_time(event.get("created_at"))
            if created is not None and created < reply.created_at - SENT_SLACK:
                continue  # the same words sent earlier, for another question
            event_id = digits(event.get("id"))
            text = event.get("text")
            if event_id and isinstance(text, str) and same_text(text, reply.text):
                return Receipt(remote_id=f"dm-{event_id}")
        return None

    def _account_id(self) -> str:
        if self._me is None:
            self._me = self._x.account()
        return self._me

    def _user_id(self, author: str) -> str:
        """The X user id behind ``@handle``: a DM needs the id, a message keeps the handle."""
        username = author.removeprefix("@")
        if not re.fullmatch(r"[A-Za-z0-9_]{1,15}", username):
            raise RefusedByPlatform(f"{author} is not an X handle; it cannot get a DM")
        return self._x.user_id(username, author)


def _worst(failures: list[ChannelError]) -> ChannelError:
    """The error to show when nothing could be read: a refusal beats a rate limit."""
    for error in failures:
        if not isinstance(error, RateLimited):
            return error
    limited = [e for e in failures if isinstance(e, RateLimited)]
    known = [e for e in limited if e.reset_at is not None]
    return min(
        known, key=lambda e: e.reset_at or datetime.max.replace(tzinfo=UTC), default=limited[0]
    )


def _build(name: str, options: Options) -> TwitterChannel:
    """Credentials are read (and checked) now, so a missing token shows when the desk starts."""
    if find_spec("tweepy") is None:
        raise ConfigError(
            f"channel {name!r} needs the tweepy package: .venv/bin/pip install 'tweepy>=4.17'"
        )
    secrets = load_secrets(options, NAMES)
    return TwitterChannel(
        name,
        credentials_from(secrets, name),
        poll_seconds=options.number("poll_seconds"),
        backfill_hours=options.number("backfill_hours"),
        include_quotes=options.flag("include_quotes"),
        direct_messages=options.flag("direct_messages"),
        env_prefix=secrets.prefix,
    )


ADAPTER = Adapter(
    type="twitter",
    options=(
        *credential_options(DEFAULT_PREFIX),
        poll_seconds(default=60),
        Number(
            "backfill_hours",
            "hours of mentions and messages the first run reads back (a number > 0)",
            default=24,
            allowed=NumberRange(0, 30 * 24, "hours", low_allowed=False),
        ),
        Flag("include_quotes", "whether quote posts are questions (true or false)"),
        Flag("direct_messages", "whether to read and send DMs (true or false)", default=True),
    ),
    build=_build,
)
