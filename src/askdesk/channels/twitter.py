"""Twitter/X: mentions and direct messages in, public replies and DMs out, via tweepy's v2 Client.

tweepy is imported the first time the channel talks to X, so a desk without
a twitter channel never loads it. The adapter never sleeps: a rate limit is
``RateLimited(reset_at)``, a failing network an error with a time to try
again, and every log line tweepy or OAuth writes has its tokens masked.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from askdesk.channels.base import Fetched, Problem, Receipt
from askdesk.channels.secrets import guard_logs, lookup, read_secrets_file
from askdesk.errors import (
    AccessLevelTooLow,
    ChannelError,
    ConfigError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    RefusedByPlatform,
    UnexpectedPayload,
)
from askdesk.model import Conversation, Kind, Message, Reply

DEFAULT_PREFIX = "ASKDESK_TWITTER_"
OAUTH1_NAMES = ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
USER_TOKEN = "USER_TOKEN"

PAGE_SIZE = 100
"""The most X returns per page of mentions or DM events."""
MAX_PAGES = 10
"""Pages read per poll and endpoint; X keeps only the latest 800 mentions anyway."""
TIMEOUT = (10.0, 30.0)
"""Connect and read timeouts in seconds: a send ends well inside the outbox's 120 s."""
BACKOFF_CAP = timedelta(minutes=15)
"""The longest wait between tries while X or the network keeps failing."""
PAUSE_AFTER_REFUSAL = timedelta(minutes=15)
"""How long an endpoint X refused (access level, permissions) rests before the next try."""
SENT_SLACK = timedelta(minutes=10)
"""How far before the reply was written a matching DM may be and still be it (clock skew)."""
TWEET_LIMIT = 280

TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "note_tweet", "referenced_tweets"]
DM_FIELDS = ["created_at", "dm_conversation_id", "event_type", "id", "sender_id", "text"]

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

_URL = re.compile(r"https?://\S+")
_DM_THREAD = re.compile(r"[0-9]{1,20}(?:-[0-9]{1,20})?")
_CREATED_AT_LEGACY = "%a %b %d %H:%M:%S %z %Y"


@dataclass(frozen=True)
class Credentials:
    """User-context credentials: OAuth 1.0a's four values, or an OAuth 2.0 user access token.

    The values never appear in a repr, an error or a log line.
    """

    consumer_key: str | None = field(default=None, repr=False)
    consumer_secret: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    access_token_secret: str | None = field(default=None, repr=False)
    user_token: str | None = field(default=None, repr=False)
    source: str = "the environment"
    """Where they came from, for error messages: variables, never values."""

    @property
    def oauth1(self) -> bool:
        return self.access_token is not None

    def values(self) -> list[str]:
        return [
            value
            for value in (
                self.consumer_key,
                self.consumer_secret,
                self.access_token,
                self.access_token_secret,
                self.user_token,
            )
            if value
        ]

    def token_account(self) -> str | None:
        """The account id an OAuth 1.0a access token starts with (``<id>-<random>``)."""
        head = (self.access_token or "").partition("-")[0]
        return head if head.isdigit() else None


def load_credentials(
    channel: str,
    prefix: str = DEFAULT_PREFIX,
    secrets_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """The channel's credentials from the environment, else ``secrets_file``.

    All four OAuth 1.0a values win over ``<prefix>USER_TOKEN`` (they do not
    expire); a partial set is an error naming what is missing.
    """
    env = os.environ if env is None else env
    file_values = read_secrets_file(secrets_file) if secrets_file is not None else {}
    where = f"the environment or {secrets_file}" if secrets_file else "the environment"
    names = [prefix + name for name in (*OAUTH1_NAMES, USER_TOKEN)]
    found = lookup(names, env, file_values)
    oauth1 = [found[prefix + name] for name in OAUTH1_NAMES]
    if all(oauth1):
        key, secret, token, token_secret = oauth1
        return Credentials(key, secret, token, token_secret, source=where)
    if any(oauth1):
        missing = [prefix + n for n, v in zip(OAUTH1_NAMES, oauth1, strict=True) if not v]
        raise ConfigError(
            f"channel {channel!r}: the OAuth 1.0a credentials are incomplete; "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set in {where}"
        )
    if found[prefix + USER_TOKEN]:
        return Credentials(user_token=found[prefix + USER_TOKEN], source=where)
    raise ConfigError(
        f"channel {channel!r} needs X credentials in {where}: "
        f"{', '.join(prefix + n for n in OAUTH1_NAMES)} (OAuth 1.0a), "
        f"or {prefix}{USER_TOKEN} (an OAuth 2.0 user access token)"
    )


@dataclass
class _Cursor:
    """What the store keeps between polls. No credential is ever part of it."""

    start: datetime
    """The oldest time the first run reads (``now - backfill_hours``)."""
    account: str | None = None
    since_id: str | None = None
    dm_newest: str | None = None

    @classmethod
    def read(
        cls, cursor: str | None, now: datetime, backfill: timedelta, problems: list[Problem]
    ) -> _Cursor:
        fresh = cls(start=now - backfill)
        if cursor is None:
            return fresh
        try:
            data = json.loads(cursor)
            start = datetime.fromisoformat(data["start"])
            ids = {key: data.get(key) for key in ("account", "since_id", "dm_newest")}
            if start.tzinfo is None or not all(v is None or _digits(v) for v in ids.values()):
                raise ValueError("not ours")
        except (ValueError, TypeError, KeyError):
            problems.append(
                Problem(
                    "twitter cursor",
                    "could not read it; the first-run window is read again (duplicates skipped)",
                )
            )
            return fresh
        return cls(start=start, **ids)

    def dump(self) -> str:
        return json.dumps(
            {
                "start": self.start.isoformat(),
                "account": self.account,
                "since_id": self.since_id,
                "dm_newest": self.dm_newest,
            },
            sort_keys=True,
        )


class _BadItem(ValueError):
    """One tweet or DM event that cannot become a message; the text says why."""


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
        self.rate_limit: tuple[int | None, datetime | None] = (None, None)
        """X's quota on the tightest endpoint of the last poll: (remaining, reset time)."""
        self._credentials = credentials
        self._client: Any = None
        self._me: str | None = None
        self._failures = 0
        self._retry_at: datetime | None = None
        self._last_failure = ""
        self._paused: dict[str, tuple[datetime, Callable[[], ChannelError]]] = {}
        guard_logs(credentials.values(), LOGGERS)

    @classmethod
    def from_options(
        cls, name: str, options: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> TwitterChannel:
        """Build from a ``[[channels]]`` table; credentials are read (and checked) now."""
        if find_spec("tweepy") is None:
            raise ConfigError(
                f"channel {name!r} needs the tweepy package: .venv/bin/pip install 'tweepy>=4.14'"
            )
        prefix = options.get("env_prefix", DEFAULT_PREFIX)
        if not isinstance(prefix, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", prefix):
            raise ConfigError(
                f"channel {name!r}: env_prefix {prefix!r} should be capital letters, digits "
                'and "_", e.g. "ASKDESK_TWITTER_BRANCH_"'
            )
        secrets_file = options.get("secrets_file")
        credentials = load_credentials(
            name,
            prefix,
            Path(secrets_file).expanduser() if isinstance(secrets_file, str) else None,
            env,
        )
        return cls(
            name,
            credentials,
            poll_seconds=float(options.get("poll_seconds", 60)),
            backfill_hours=float(options.get("backfill_hours", 24)),
            include_quotes=bool(options.get("include_quotes", False)),
            direct_messages=bool(options.get("direct_messages", True)),
            env_prefix=prefix,
        )

    # -- fetching ----------------------------------------------------------------------

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        problems: list[Problem] = []
        state = _Cursor.read(cursor, now, self.backfill, problems)
        if self._retry_at is not None and now < self._retry_at:
            raise PlatformUnavailable(
                f"{self._last_failure}; next try at {self._retry_at:%H:%M:%S} UTC"
            )
        self.rate_limit = (None, None)
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

    def _fetch(self, state: _Cursor, now: datetime, problems: list[Problem]) -> list[Message]:
        account = self._account(state)
        parts: list[tuple[str, Callable[[_Cursor, str, list[Problem]], list[Message]]]] = [
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
                    self.rate_limit = (0, error.reset_at)
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

    def _account(self, state: _Cursor) -> str:
        """The account's id: from the cursor, else ``get_me`` (once per cursor)."""
        from_token = self._credentials.token_account()
        for known in (state.account, self._me):
            if known is not None and from_token in (None, known):
                state.account = self._me = known
                return known
        state.account = self._me = self._get_me()
        return state.account

    def _get_me(self) -> str:
        payload = self._call("looking up the account", "get_me")
        data = payload.get("data")
        account = _digits(data.get("id")) if isinstance(data, dict) else None
        if account is None:
            raise UnexpectedPayload("X answered looking up the account without the account's id")
        return account

    def _mentions(self, state: _Cursor, account: str, problems: list[Problem]) -> list[Message]:
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
        pages = _Pages(self, "mentions", "get_users_mentions", params, problems)
        for tweets, users, meta in pages:
            newest = max(newest, _int(meta.get("newest_id")))
            for raw in tweets:
                newest = max(newest, _int(raw.get("id") if isinstance(raw, dict) else None))
                try:
                    message = self._mention(raw, users, account)
                except _BadItem as error:
                    problems.append(Problem(_where("tweet", raw), str(error)))
                    continue
                if message is not None:
                    messages.append(message)
        if newest and not pages.broken:  # broken: since_id stays, the next poll reads the gap
            state.since_id = str(newest)
        return messages

    def _mention(self, raw: Any, users: Mapping[str, str], account: str) -> Message | None:
        """The message for one tweet; None for what is not a question (ours, retweets, quotes)."""
        if not isinstance(raw, dict):
            raise _BadItem("not a tweet object")
        missing = [f for f in ("id", "text", "author_id", "created_at") if raw.get(f) is None]
        if raw.get("author_id") == account:
            return None  # the account's own post
        kinds = {r.get("type") for r in _list(raw.get("referenced_tweets")) if isinstance(r, dict)}
        if "retweeted" in kinds:
            return None
        if "quoted" in kinds and "replied_to" not in kinds and not self.include_quotes:
            return None
        if missing:
            raise _BadItem(f"{', '.join(missing)} missing; skipped")
        tweet_id = _digits(raw["id"])
        if tweet_id is None:
            raise _BadItem("its id is not a number; skipped")
        received_at = _time(raw["created_at"])
        if received_at is None:
            raise _BadItem(f"created_at {str(raw['created_at'])[:40]!r} is not a time; skipped")
        username = users.get(str(raw["author_id"]))
        if username is None:
            raise _BadItem("its author is not in the response's includes.users; skipped")
        note = raw.get("note_tweet")
        text = note.get("text") if isinstance(note, dict) else None  # a long post, whole
        text = text if isinstance(text, str) else raw["text"]
        if not isinstance(text, str):
            raise _BadItem("its text is not a string; skipped")
        return Message(
            channel=self.name,
            remote_id=tweet_id,
            kind=Kind.MENTION,
            author=f"@{username}",
            text=html.unescape(text),  # v2 sends &amp; &lt; &gt; escaped
            received_at=received_at,
            conversation=_digits(raw.get("conversation_id")) or tweet_id,
            url=f"https://x.com/{username}/status/{tweet_id}",
        )

    def _dm_events(self, state: _Cursor, account: str, problems: list[Problem]) -> list[Message]:
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
        pages = _Pages(self, "direct messages", "get_direct_message_events", params, problems)
        for events, users, _ in pages:
            caught_up = False
            for raw in events:  # newest first
                event_id = _int(raw.get("id") if isinstance(raw, dict) else None)
                if seen and event_id and event_id <= seen:
                    caught_up = True
                    break
                created = _time(raw.get("created_at")) if isinstance(raw, dict) else None
                if not seen and created is not None and created < state.start:
                    caught_up = True  # the first run reads back only backfill_hours
                    break
                newest = max(newest, event_id)
                try:
                    message = self._direct_message(raw, users, account)
                except _BadItem as error:
                    problems.append(Problem(_where("direct message", raw), str(error)))
                    continue
                if message is not None:
                    messages.append(message)
            if caught_up:
                break  # no further pages: they hold only what came before
        if newest and not pages.broken:  # broken: dm_newest stays, the next poll reads the gap
            state.dm_newest = str(newest)
        return messages

    def _direct_message(self, raw: Any, users: Mapping[str, str], account: str) -> Message | None:
        if not isinstance(raw, dict):
            raise _BadItem("not a DM event object")
        if raw.get("event_type") not in (None, "MessageCreate"):
            return None  # someone joined or left a group: not a message
        if raw.get("sender_id") == account:
            return None  # the account's own message (a reply staff sent)
        wanted = ("id", "text", "sender_id", "dm_conversation_id", "created_at")
        missing = [f for f in wanted if raw.get(f) is None]
        if missing:
            raise _BadItem(f"{', '.join(missing)} missing; skipped")
        event_id = _digits(raw["id"])
        received_at = _time(raw["created_at"])
        conversation = raw["dm_conversation_id"]
        thread = isinstance(conversation, str) and _DM_THREAD.fullmatch(conversation)
        if event_id is None or received_at is None or not thread:
            raise _BadItem("its id, created_at or dm_conversation_id is malformed; skipped")
        username = users.get(str(raw["sender_id"]))
        if username is None:
            raise _BadItem("its sender is not in the response's includes.users; skipped")
        if not isinstance(raw["text"], str):
            raise _BadItem("its text is not a string; skipped")
        return Message(
            channel=self.name,
            remote_id=f"dm-{event_id}",
            kind=Kind.DIRECT,
            author=f"@{username}",
            text=raw["text"],
            received_at=received_at,
            conversation=f"dm-{conversation}",
            url=f"https://x.com/messages/{conversation}",
        )

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
        if _digits(target.remote_id) is None:
            raise RefusedByPlatform(f"{target.key} is not a post on X; it cannot be replied to")
        text = public_reply_text(reply.text, target.author)
        length = _weighted_length(text)
        if length > TWEET_LIMIT:
            raise RefusedByPlatform(
                f"with {target.author} at the start the reply is {length}/{TWEET_LIMIT} "
                "characters; shorten it"
            )
        try:
            payload = self._call(
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
        return _receipt(payload, "id", "posting a reply")

    def _send_dm(self, conversation: Conversation, reply: Reply) -> Receipt:
        if conversation.kind is Kind.DIRECT:
            thread = _dm_thread(conversation)
            payload = self._call(
                "sending a direct message",
                "create_direct_message",
                dm_conversation_id=thread,
                text=reply.text,
            )
        else:
            patron = self._user_id(conversation.latest.author)
            payload = self._call(
                "sending a direct message",
                "create_direct_message",
                participant_id=patron,
                text=reply.text,
            )
        return Receipt(remote_id="dm-" + _receipt(payload, "dm_event_id", "sending a DM").remote_id)

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """Whether ``reply`` is on X already: the account's reply with the same words."""
        if reply.private or conversation.kind is not Kind.MENTION:
            return self._find_dm(conversation, reply)
        return self._find_tweet(conversation, reply)

    def _find_tweet(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        targets = {
            m.remote_id: public_reply_text(reply.text, m.author)
            for m in conversation.messages
            if m.kind is Kind.MENTION and _digits(m.remote_id)
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
            payload = self._call("checking whether a reply went out", "get_users_tweets", **params)
            tweets, meta = _page(payload, "checking whether a reply went out")
            for tweet in tweets:
                if not isinstance(tweet, dict) or not isinstance(tweet.get("text"), str):
                    continue
                for ref in _list(tweet.get("referenced_tweets")):
                    if not isinstance(ref, dict) or ref.get("type") != "replied_to":
                        continue
                    expected = targets.get(str(ref.get("id")))
                    tweet_id = _digits(tweet.get("id"))
                    if expected and tweet_id and _same_text(tweet["text"], expected):
                        return Receipt(remote_id=tweet_id)
            token = meta.get("next_token")
            if not isinstance(token, str) or not token:
                break
            params["pagination_token"] = token
        return None

    def _find_dm(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        where: dict[str, Any]
        if conversation.kind is Kind.DIRECT:
            where = {"dm_conversation_id": _dm_thread(conversation)}
        else:
            where = {"participant_id": self._user_id(conversation.latest.author)}
        account = self._account_id()
        payload = self._call(
            "checking whether a reply went out",
            "get_direct_message_events",
            **where,
            dm_event_fields=DM_FIELDS,
            event_types="MessageCreate",
            max_results=PAGE_SIZE,
        )
        events, _ = _page(payload, "checking whether a reply went out")
        for event in events:
            if not isinstance(event, dict) or event.get("sender_id") != account:
                continue
            created = _time(event.get("created_at"))
            if created is not None and created < reply.created_at - SENT_SLACK:
                continue  # the same words sent earlier, for another question
            event_id = _digits(event.get("id"))
            text = event.get("text")
            if event_id and isinstance(text, str) and _same_text(text, reply.text):
                return Receipt(remote_id=f"dm-{event_id}")
        return None

    def _account_id(self) -> str:
        if self._me is None:
            self._me = self._get_me()
        return self._me

    def _user_id(self, author: str) -> str:
        """The X user id behind ``@handle``: a DM needs the id, a message keeps the handle."""
        username = author.removeprefix("@")
        if not re.fullmatch(r"[A-Za-z0-9_]{1,15}", username):
            raise RefusedByPlatform(f"{author} is not an X handle; it cannot get a DM")
        payload = self._call("looking up a patron's account", "get_user", username=username)
        data = payload.get("data")
        user_id = _digits(data.get("id")) if isinstance(data, dict) else None
        if user_id is None:
            raise RefusedByPlatform(f"X has no account {author} (renamed or deleted?)")
        return user_id

    # -- talking to X ------------------------------------------------------------------

    def _call(self, what: str, method: str, **params: Any) -> dict[str, Any]:
        """One request through tweepy: its JSON object, or our error for what went wrong."""
        import requests

        tweepy = _tweepy()
        client = self._tweepy_client()
        try:
            response = getattr(client, method)(user_auth=self._credentials.oauth1, **params)
        except tweepy.TooManyRequests as error:
            self._note_rate(error.response)
            reset_at = _epoch(error.reset_time)
            self.rate_limit = (0, reset_at)
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
        if self._credentials.oauth1:
            names = (
                f"{self.env_prefix}CONSUMER_KEY/_SECRET and {self.env_prefix}ACCESS_TOKEN/_SECRET"
            )
            hint = "regenerated keys or tokens replace the old ones"
        else:
            names = f"{self.env_prefix}{USER_TOKEN}"
            hint = "an OAuth 2.0 user token expires 2 hours after it was issued"
        return (
            f"credentials rejected by X (401): check the {self.env_prefix}* values "
            f"({names}, in {self._credentials.source}); {hint}"
        )

    def _note_rate(self, response: Any) -> None:
        """Keep the lowest quota left of this poll's requests for the health line."""
        headers = getattr(response, "headers", None) or {}
        remaining = _int(headers.get("x-rate-limit-remaining"), default=-1)
        if remaining < 0:
            return
        reset_at = _epoch(_int(headers.get("x-rate-limit-reset"), default=-1))
        current = self.rate_limit[0]
        if current is None or remaining <= current:
            self.rate_limit = (remaining, reset_at)

    def _tweepy_client(self) -> Any:
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
                wait_on_rate_limit=False,  # never sleep in a worker: RateLimited says until when
            )
            client.session.mount("https://", _timeout_adapter())
            self._client = client
        return self._client


class _Pages:
    """The pages of one listing (mentions, DM events), following ``meta.next_token``.

    Yields each page's items, its ``includes.users`` and its ``meta``. A failing
    first page raises; a failing later page ends the walk with a problem and
    ``broken`` set, so the caller keeps its cursor and the next poll reads
    the gap again. More than ``MAX_PAGES`` pages is a problem too: the rest
    is skipped. Leaving the loop early (caught up) is not.
    """

    def __init__(
        self,
        channel: TwitterChannel,
        part: str,
        method: str,
        params: dict[str, Any],
        problems: list[Problem],
    ) -> None:
        self.channel, self.part, self.method = channel, part, method
        self.params, self.problems = params, problems
        self.broken = False

    def __iter__(self) -> Iterator[tuple[list[Any], dict[str, str], dict[str, Any]]]:
        what = f"reading {self.part}"
        for page in range(MAX_PAGES):
            try:
                payload = self.channel._call(what, self.method, **self.params)
                items, meta = _page(payload, what)
            except ChannelError as error:
                if page == 0 or isinstance(error, CredentialsRejected):
                    raise
                self.problems.append(Problem(self.part, f"{error}; the rest come next poll"))
                self.broken = True
                return
            yield items, _users(payload), meta
            token = meta.get("next_token")
            if not isinstance(token, str) or not token:
                return
            self.params["pagination_token"] = token
        self.problems.append(
            Problem(self.part, f"more than {MAX_PAGES * PAGE_SIZE} new; the oldest skipped")
        )


def public_reply_text(text: str, handle: str) -> str:
    """What a public reply posts: the text, led by the patron's ``@handle``.

    With ``in_reply_to_tweet_id`` X threads the reply but does not mention
    the patron by itself, so ``@handle `` goes in front, unless the text
    already mentions them anywhere (a template's ``Hi {patron}!`` does).
    """
    if not handle.startswith("@"):
        return text
    if re.search(rf"(?<![\w@]){re.escape(handle)}(?!\w)", text, re.IGNORECASE):
        return text
    return f"{handle} {text}"


def _weighted_length(text: str) -> int:
    from twitter_text import parse_tweet

    return int(parse_tweet(text).weightedLength)


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
    detail = _detail(_body(response)) or getattr(response, "reason", "") or "no reason given"
    if status == 404:
        return RefusedByPlatform(f"X could not find what {what} needs (404): {detail}")
    return RefusedByPlatform(f"X refused {what} ({status}): {detail}")


def _body(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(body: Mapping[str, Any]) -> str:
    """X's own words for an error: ``detail``, or the first of ``errors``."""
    detail = body.get("detail")
    if not isinstance(detail, str):
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        detail = first.get("message") or first.get("detail") if isinstance(first, dict) else None
    return detail[:200] if isinstance(detail, str) else ""


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


def _page(payload: Mapping[str, Any], what: str) -> tuple[list[Any], dict[str, Any]]:
    """A page's ``data`` list and ``meta`` object, or ``UnexpectedPayload``."""
    data = payload.get("data", [])
    meta = payload.get("meta", {})
    if not isinstance(data, list) or not isinstance(meta, dict):
        raise UnexpectedPayload(f"X answered {what} with a page of an unexpected shape")
    if "data" not in payload and "meta" not in payload:
        detail = _detail(payload)
        raise UnexpectedPayload(
            f"X answered {what} without data" + (f": {detail}" if detail else "")
        )
    return data, meta


def _users(payload: Mapping[str, Any]) -> dict[str, str]:
    """``includes.users`` as id -> username; malformed entries are left out."""
    includes = payload.get("includes")
    users = includes.get("users") if isinstance(includes, dict) else None
    found: dict[str, str] = {}
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and isinstance(user.get("username"), str):
            found[str(user.get("id"))] = user["username"]
    return found


def _receipt(payload: Mapping[str, Any], key: str, what: str) -> Receipt:
    data = payload.get("data")
    remote_id = _digits(data.get(key)) if isinstance(data, dict) else None
    if remote_id is None:
        # It was probably sent: the retry looks for it on X before sending again.
        raise UnexpectedPayload(f"X did not give the id of the reply after {what}")
    return Receipt(remote_id=remote_id)


def _dm_thread(conversation: Conversation) -> str:
    thread = (conversation.latest.conversation or "").removeprefix("dm-")
    if not thread:
        raise RefusedByPlatform(f"{conversation.key} has no X DM conversation to answer in")
    return thread


def _same_text(posted: str, ours: str) -> bool:
    """Whether X's copy is our text: X escapes &<> and turns links into t.co ones."""

    def plain(text: str) -> str:
        return " ".join(_URL.sub("<link>", html.unescape(text)).split())

    return plain(posted) == plain(ours)


def _where(kind: str, raw: Any) -> str:
    found = _digits(raw.get("id")) if isinstance(raw, dict) else None
    return f"{kind} {found}" if found else f"a {kind} without an id"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _digits(value: Any) -> str | None:
    return value if isinstance(value, str) and value.isascii() and value.isdigit() else None


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _digits(value)
    return int(text) if text is not None else default


def _epoch(seconds: int | None) -> datetime | None:
    if seconds is None or seconds < 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        try:
            at = datetime.strptime(value, _CREATED_AT_LEGACY)
        except ValueError:
            return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
