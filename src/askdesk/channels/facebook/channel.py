"""The facebook channel: a Page's Messenger conversations in, replies to the patron out.

Polled by each thread's ``updated_time``; a thread is one conversation, its
messages keyed by their Graph id. The Page's own messages sent from Meta
Business Suite arrive as records of what was sent outside askdesk. The
adapter never sleeps: Meta's limits are ``RateLimited(reset_at)``, and a
Page near its hourly limit polls less often. ``ADAPTER`` at the end is what
the registry lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from askdesk.channels.base import Adapter, Fetched, Problem, Receipt, ReplyWindow
from askdesk.channels.credentials import credential_options, load_secrets
from askdesk.channels.facebook.client import GraphClient, GraphRefusal
from askdesk.channels.facebook.payloads import (
    BadItem,
    graph_id,
    message,
    page,
    parse_time,
    patron_of,
    thread_of,
)
from askdesk.channels.facebook.window import closed, reply_window, tagged
from askdesk.channels.options import Flag, Number, Options, Text, poll_seconds
from askdesk.channels.time_cursor import TimeCursor
from askdesk.config import NumberRange
from askdesk.errors import ChannelError, ConfigError, RefusedByPlatform, UnexpectedPayload
from askdesk.model import Conversation, Kind, Message, Reply

DEFAULT_PREFIX = "ASKDESK_FACEBOOK_"
TOKEN = "PAGE_TOKEN"
API_VERSION = "v21.0"
"""A current Graph API version; each is supported for two years after release."""
PAGE_SIZE = 25
MAX_PAGES = 10
"""Pages of threads (and of one thread's messages) read per poll."""
SLACK = timedelta(minutes=5)
"""How far before the last poll's newest thread a message is read again (clock skew; deduped)."""
SLOW_AT = ((90, 4), (75, 2))
"""Usage (% of Meta's hourly limits) from which the poll interval is multiplied, and by what."""
MESSAGE_FIELDS = "id,created_time,from,to,message,sticker,attachments,reactions"
THREAD_FIELDS = "id,updated_time,link,participants"
TEXT_LIMIT = 2000
"""Messenger's limit on one message's text."""
SENT_FIELDS = "id,created_time,from,message"
SENT_PAGES = 3
"""Pages of a thread's newest messages read when checking whether a reply went out."""
SENT_SLACK = timedelta(minutes=10)
"""How long before a reply was written a message with its words may have been made (clocks)."""


@dataclass(frozen=True)
class PageSettings:
    """Where and how the Page is reached; the token is never part of it."""

    page_id: str
    graph_url: str = "https://graph.facebook.com"
    api_version: str = API_VERSION
    human_agent: bool = False
    env_prefix: str = DEFAULT_PREFIX


class FacebookChannel:
    """A Page's Messenger inbox: one conversation per thread, replies to the patron's PSID.

    The cursor is JSON: ``start`` (the first run's window) and ``since`` (the
    newest thread ``updated_time`` read). A failure on a later page keeps
    ``since``, so the next poll reads the gap again; the store drops what it has.
    """

    type: str = "facebook"
    can_send_private = True

    def __init__(
        self,
        name: str,
        settings: PageSettings,
        token: str,
        *,
        poll_seconds: float = 60,
        backfill_hours: float = 24,
    ) -> None:
        if poll_seconds <= 0 or backfill_hours <= 0:
            raise ConfigError(
                f"channel {name!r}: poll_seconds and backfill_hours must be more than 0"
            )
        self.name = name
        self.settings = settings
        self.base_poll_seconds = float(poll_seconds)
        self.backfill = timedelta(hours=backfill_hours)
        self._graph = GraphClient(
            settings.graph_url, settings.api_version, token, settings.env_prefix
        )

    @property
    def poll_seconds(self) -> float:
        """Longer while the Page nears Meta's hourly limits (the usage headers say how near)."""
        return self.base_poll_seconds * _slowdown(self._graph.usage)

    # -- fetching ----------------------------------------------------------------------

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        problems: list[Problem] = []
        state = TimeCursor.read(cursor, now, self.backfill, problems, "facebook")
        self._graph.count_usage()
        messages: list[Message] = []
        newest = state.since
        broken = False
        threads, complete = self._updated_threads(state, now, problems)
        for raw, thread, updated, url in threads:
            try:
                messages.extend(self._thread_messages(raw, thread, url, state, now, problems))
            except ChannelError as error:
                if not isinstance(error, RefusedByPlatform | UnexpectedPayload):
                    raise
                problems.append(Problem(f"thread {thread}", f"{error}; read again next poll"))
                broken = True
                continue
            newest = max(newest or updated, updated)
        if newest is not None and complete and not broken:
            state.since = newest
        usage = self._graph.usage
        if _slowdown(usage) > 1:
            problems.append(
                Problem(
                    "Graph API usage",
                    f"{usage}% of Meta's hourly call limit used; polling every "
                    f"{self.poll_seconds:.0f} s until it falls",
                )
            )
        messages.sort(key=lambda m: m.received_at)
        return Fetched(messages=messages, cursor=state.dump(), problems=problems)

    def _updated_threads(
        self, state: TimeCursor, now: datetime, problems: list[Problem]
    ) -> tuple[list[tuple[Any, str, datetime, str | None]], bool]:
        """Threads updated since the cursor, newest first; and whether all were read."""
        params: dict[str, Any] = {
            "platform": "messenger",
            "fields": THREAD_FIELDS,
            "limit": PAGE_SIZE,
        }
        found: list[tuple[Any, str, datetime, str | None]] = []
        for number in range(MAX_PAGES):
            what = "reading the Page's conversations"
            try:
                items, after = page(
                    self._graph.get(what, now, f"{self.settings.page_id}/conversations", **params),
                    what,
                )
            except ChannelError as error:
                if number == 0:
                    raise
                problems.append(Problem("conversations", f"{error}; the rest come next poll"))
                return found, False
            for raw in items:
                try:
                    thread, updated, url = thread_of(raw)
                except BadItem as error:
                    problems.append(Problem(_where("conversation", raw), str(error)))
                    continue
                if updated <= state.oldest:
                    return found, True  # sorted by updated_time: the rest were read before
                found.append((raw, thread, updated, url))
            if after is None:
                return found, True
            params["after"] = after
        problems.append(
            Problem(
                "conversations", f"more than {MAX_PAGES * PAGE_SIZE} updated; the rest next poll"
            )
        )
        return found, False

    def _thread_messages(
        self,
        raw: Any,
        thread: str,
        url: str | None,
        state: TimeCursor,
        now: datetime,
        problems: list[Problem],
    ) -> list[Message]:
        del raw
        params: dict[str, Any] = {"fields": MESSAGE_FIELDS, "limit": PAGE_SIZE}
        oldest = state.oldest - SLACK if state.since else state.start
        found: list[Message] = []
        for _ in range(MAX_PAGES):
            what = "reading a conversation's messages"
            items, after = page(self._graph.get(what, now, f"{thread}/messages", **params), what)
            for item in items:  # newest first
                created = parse_time(item.get("created_time")) if isinstance(item, dict) else None
                if created is not None and created < oldest:
                    return found
                try:
                    found.append(
                        message(
                            item,
                            page_id=self.settings.page_id,
                            thread=thread,
                            channel=self.name,
                            url=url,
                            kind=Kind.DIRECT,
                        )
                    )
                except BadItem as error:
                    problems.append(Problem(_where("message", item), str(error)))
            if after is None:
                return found
            params["after"] = after
        return found

    # -- replying ----------------------------------------------------------------------

    def reply_window(self, conversation: Conversation, now: datetime) -> ReplyWindow:
        """Messenger's window after the patron's last message (7 days with ``human_agent``)."""
        return reply_window(conversation.latest.received_at, now, self.settings.human_agent)

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """``POST /{page-id}/messages`` to the patron's page-scoped id.

        Within 24 hours of their last message as a ``RESPONSE``; later, only
        with ``human_agent`` on, tagged ``HUMAN_AGENT``. Meta's own refusal
        (error 10, subcode 2018278) is told in the words the composer uses.
        A retry first looks in the thread for what the attempt before may have
        delivered (a timeout after Meta had sent it), before the window is
        checked again: a reply that did go out stays sent.
        """
        if reply.attempts > 1:
            found = self._find_sent(conversation, reply, now)
            if found is not None:
                return found
        last = conversation.latest.received_at
        window = self.reply_window(conversation, now)
        if window.refusal:
            raise RefusedByPlatform(window.refusal)
        if len(reply.text) > TEXT_LIMIT:
            raise RefusedByPlatform(
                f"the reply is {len(reply.text):,}/{TEXT_LIMIT:,} characters, over "
                "Messenger's limit; shorten it"
            )
        body: dict[str, Any] = {
            "recipient": {"id": self._patron(conversation, now)},
            "messaging_type": "RESPONSE",
            "message": {"text": reply.text},
        }
        if tagged(last, now):
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = "HUMAN_AGENT"
        what = "sending a reply"
        try:
            payload = self._graph.post(what, now, f"{self.settings.page_id}/messages", body)
        except GraphRefusal as error:
            if error.code == 10 and error.subcode == 2018278:
                raise RefusedByPlatform(closed(last, now, human_agent="tag" in body)) from None
            raise
        sent = graph_id(payload.get("message_id"))
        if sent is None:
            raise UnexpectedPayload(f"Facebook did not give the id of the reply after {what}")
        return Receipt(remote_id=sent)

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """Whether ``reply`` went out: the Page's message in the thread with its words."""
        return self._find_sent(conversation, reply, datetime.now(UTC))

    def _find_sent(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt | None:
        """The Page's message in the thread with the reply's words, made since it was
        written, that is not already another reply's (the Send API gives the id the
        thread lists)."""
        thread = conversation.latest.conversation
        if not thread:
            raise RefusedByPlatform(f"{conversation.key} has no Messenger thread to look in")
        taken = {r.remote_id for r in conversation.replies if r.remote_id and r.id != reply.id}
        since = reply.created_at - SENT_SLACK
        what = "checking whether a reply went out"
        params: dict[str, Any] = {"fields": SENT_FIELDS, "limit": PAGE_SIZE}
        for _ in range(SENT_PAGES):
            items, after = page(self._graph.get(what, now, f"{thread}/messages", **params), what)
            for item in items:  # newest first
                if not isinstance(item, dict):
                    continue
                created = parse_time(item.get("created_time"))
                if created is not None and created < since:
                    return None  # older than the reply: it never went out
                sender = item.get("from")
                found = graph_id(item.get("id"))
                if (
                    found is not None
                    and found not in taken
                    and isinstance(sender, dict)
                    and sender.get("id") == self.settings.page_id
                    and item.get("message") == reply.text
                ):
                    return Receipt(remote_id=found)
            if after is None:
                return None
            params["after"] = after
        return None

    def _patron(self, conversation: Conversation, now: datetime) -> str:
        """The page-scoped id a reply goes to: the thread's participant who is not the Page."""
        thread = conversation.latest.conversation
        if not thread:
            raise RefusedByPlatform(f"{conversation.key} has no Messenger thread to answer in")
        what = "looking up whom the conversation is with"
        found = patron_of(
            self._graph.get(what, now, thread, fields="participants"), self.settings.page_id
        )
        if found is None:
            raise RefusedByPlatform(
                f"Facebook lists nobody but the Page in {conversation.key}; it cannot be answered"
            )
        return found


def _slowdown(usage: int | None) -> int:
    for threshold, factor in SLOW_AT:
        if usage is not None and usage >= threshold:
            return factor
    return 1


def _where(kind: str, raw: Any) -> str:
    found = graph_id(raw.get("id")) if isinstance(raw, dict) else None
    return f"{kind} {found}" if found else f"a {kind} without an id"


def _build(name: str, options: Options) -> FacebookChannel:
    """The token is read now, so a missing one shows when the desk starts."""
    secrets = load_secrets(options, (TOKEN,))
    token = secrets.get(TOKEN)
    if token is None:
        raise ConfigError(
            f"channel {name!r} needs a Page access token in {secrets.variable(TOKEN)} "
            f"({secrets.source})"
        )
    return FacebookChannel(
        name,
        PageSettings(
            page_id=options.text("page_id"),
            graph_url=options.text("graph_url"),
            api_version=options.text("api_version"),
            human_agent=options.flag("human_agent"),
            env_prefix=secrets.prefix,
        ),
        token,
        poll_seconds=options.number("poll_seconds"),
        backfill_hours=options.number("backfill_hours"),
    )


ADAPTER = Adapter(
    type="facebook",
    options=(
        Text(
            "page_id",
            "the Page's numeric id (a string of digits)",
            required=True,
            pattern=r"[0-9]{1,20}",
        ),
        Text(
            "graph_url",
            'the Graph API\'s address (a string such as "https://graph.facebook.com")',
            default="https://graph.facebook.com",
            pattern=r"https?://[^\s/?#]+(/[^\s?#]*)?",
        ),
        Text(
            "api_version",
            f'the Graph API version (a string such as "{API_VERSION}")',
            default=API_VERSION,
            pattern=r"v[0-9]{1,2}\.[0-9]",
        ),
        Number(
            "backfill_hours",
            "hours of messages the first run reads back (a number > 0)",
            default=24,
            allowed=NumberRange(0, 30 * 24, "hours", low_allowed=False),
        ),
        *credential_options(DEFAULT_PREFIX),
        poll_seconds(default=60),
        Flag(
            "human_agent",
            "whether staff may answer up to 7 days after the patron's last message with the "
            "HUMAN_AGENT tag (true or false; the Page needs Meta's Human Agent permission)",
        ),
    ),
    build=_build,
)
