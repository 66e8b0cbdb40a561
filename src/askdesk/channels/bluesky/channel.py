"""The bluesky channel: mentions, replies, quotes and chats of one account in; replies out.

The adapter never sleeps: a rate limit is ``RateLimited(reset_at)``, a
failing service an error with a time to try again. ``ADAPTER`` at the end is
what the registry lists: the options a ``type = "bluesky"`` table takes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib.util import find_spec
from typing import Any
from urllib.parse import urlsplit

from askdesk.channels.base import Adapter, Fetched, Problem, Receipt
from askdesk.channels.bluesky.client import BlueskyClient
from askdesk.channels.bluesky.credentials import APP_PASSWORD, DEFAULT_PREFIX, NAMES, app_password
from askdesk.channels.bluesky.payloads import (
    BadItem,
    Cursor,
    chat_message,
    members_of,
    notification,
    parse_time,
    where,
)
from askdesk.channels.bluesky.session import SessionFile
from askdesk.channels.bluesky.text import POST_LIMIT, graphemes
from askdesk.channels.credentials import credential_options, load_secrets
from askdesk.channels.options import Options, Text, poll_seconds
from askdesk.errors import (
    AccessLevelTooLow,
    ConfigError,
    PlatformUnavailable,
    RefusedByPlatform,
    UnexpectedPayload,
)
from askdesk.model import Conversation, Kind, Message, Reply

DEFAULT_SERVICE = "https://bsky.social"
FIRST_RUN = timedelta(hours=24)
"""How far back the first run reads notifications and chats."""
PAGE_SIZE = 50
MAX_PAGES = 10
"""Pages of notifications read per poll; a bigger backlog is read over the next polls."""
CHAT_RECHECK = timedelta(hours=24)
"""How long after the service refused direct messages askdesk asks again (a new app password)."""
BACKOFF_CAP = timedelta(minutes=15)
"""The longest wait between tries while the service or the network keeps failing."""


class BlueskyChannel:
    """Notifications (mention, reply, quote) and chats of one Bluesky account; replies back.

    The cursor is JSON (``payloads.Cursor``): the newest notification time
    read with the URIs read at that time, and each chat conversation's
    newest message ``rev``. A failure on a later page keeps the old
    position, so nothing is skipped; what is read twice the store drops.
    """

    type: str = "bluesky"
    can_send_private = True

    def __init__(
        self,
        name: str,
        client: BlueskyClient,
        *,
        poll_seconds: float = 60,
    ) -> None:
        if poll_seconds <= 0:
            raise ConfigError(f"channel {name!r}: poll_seconds must be more than 0")
        self.name = name
        self.poll_seconds = float(poll_seconds)
        self._x = client
        self._failures = 0
        self._retry_at: datetime | None = None
        self._last_failure = ""

    @property
    def rate_limit(self) -> tuple[int | None, datetime | None]:
        """The service's quota on the tightest call of the last poll: (remaining, reset time)."""
        return self._x.rate_limit

    # -- fetching ----------------------------------------------------------------------

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        problems: list[Problem] = []
        state = Cursor.read(cursor, now, FIRST_RUN, problems)
        if self._retry_at is not None and now < self._retry_at:
            raise PlatformUnavailable(
                f"{self._last_failure}; next try at {self._retry_at:%H:%M:%S} UTC"
            )
        self._x.count_rate_limit()
        try:
            me = self._x.did
            messages = self._notifications(state, me, problems)
            messages += self._chats(state, me, now, problems)
        except PlatformUnavailable as error:
            self._failures += 1
            wait = timedelta(seconds=self.poll_seconds) * 2 ** min(self._failures - 1, 10)
            self._retry_at = now + min(wait, BACKOFF_CAP)
            self._last_failure = str(error)
            raise
        self._failures, self._retry_at = 0, None
        messages.sort(key=lambda m: (m.received_at, m.remote_id))
        return Fetched(messages=messages, cursor=state.dump(), problems=problems)

    def _notifications(self, state: Cursor, me: str, problems: list[Problem]) -> list[Message]:
        """Pages of ``listNotifications``, newest first, until one reaches what was read."""
        models = self._x.models()
        found: list[tuple[str, datetime, Message | None]] = []
        page_cursor: str | None = None
        for number in range(MAX_PAGES):
            params = models.AppBskyNotificationListNotifications.Params(
                limit=PAGE_SIZE, cursor=page_cursor, reasons=sorted(("mention", "reply", "quote"))
            )
            try:
                payload = self._x.query(
                    "reading notifications", "app.bsky.notification.listNotifications", params
                )
                items = payload.get("notifications")
                if not isinstance(items, list):
                    raise UnexpectedPayload(
                        f"{self._x.service} answered reading notifications without a list of them"
                    )
            except (PlatformUnavailable, UnexpectedPayload) as error:
                if number == 0:
                    raise
                # The pages read stay unread in the cursor: the next poll reads the gap again.
                problems.append(Problem("notifications", f"{error}; the rest come next poll"))
                return [message for _, _, message in found if message is not None]
            caught_up = self._read_page(items, state, me, found, problems)
            next_cursor = payload.get("cursor")
            if caught_up or not isinstance(next_cursor, str) or not next_cursor:
                break
            page_cursor = next_cursor
        else:
            problems.append(
                Problem(
                    "notifications",
                    f"more than {MAX_PAGES * PAGE_SIZE} new; the oldest were skipped",
                )
            )
        for uri, indexed_at, _ in found:
            state.mark(uri, indexed_at)
        return [message for _, _, message in found if message is not None]

    def _read_page(
        self,
        items: list[Any],
        state: Cursor,
        me: str,
        found: list[tuple[str, datetime, Message | None]],
        problems: list[Problem],
    ) -> bool:
        """Add a page's new notifications to ``found``; True once an old one is reached."""
        models = self._x.models()
        for raw in items:
            uri = raw.get("uri") if isinstance(raw, dict) else None
            indexed_at = parse_time(raw.get("indexedAt")) if isinstance(raw, dict) else None
            if (
                isinstance(uri, str)
                and indexed_at is not None
                and not state.is_new(uri, indexed_at)
            ):
                if state.seen_at is None or indexed_at < state.seen_at:
                    return True  # newest first: everything after this was read before
                continue  # read at the newest time already
            try:
                message = notification(raw, me, channel=self.name, models=models)
            except BadItem as error:
                problems.append(Problem(where("notification", raw), str(error)))
                message = None
            if isinstance(uri, str) and indexed_at is not None:
                found.append((uri, indexed_at, message))
        return False

    def _chats(
        self, state: Cursor, me: str, now: datetime, problems: list[Problem]
    ) -> list[Message]:
        """New messages of the chat conversations whose ``rev`` moved since the last poll.

        One ``listConvos`` per poll, and one ``getMessages`` for each
        conversation with something new in it. An app password made without
        access to direct messages is said once, and asked (and said) again a day later:
        the library may have made a new one.
        """
        if state.chat_refused_at is not None and now - state.chat_refused_at < CHAT_RECHECK:
            return []
        models = self._x.models()
        try:
            payload = self._x.query(
                "reading direct messages",
                "chat.bsky.convo.listConvos",
                models.ChatBskyConvoListConvos.Params(limit=PAGE_SIZE),
                chat=True,
            )
        except AccessLevelTooLow as error:
            problems.append(Problem("direct messages", str(error)))
            state.chat_refused_at = now
            return []
        state.chat_refused_at = None
        messages: list[Message] = []
        for convo in payload.get("convos") or []:
            convo_id = convo.get("id") if isinstance(convo, dict) else None
            rev = convo.get("rev") if isinstance(convo, dict) else None
            if not isinstance(convo_id, str) or not isinstance(rev, str):
                problems.append(Problem(where("chat conversation", convo), "no id or rev; skipped"))
                continue
            known = state.chats.get(convo_id)
            if known is not None and rev <= known:
                continue
            newest = self._convo(convo, convo_id, known, state, me, messages, problems)
            state.chats[convo_id] = max(newest, known or "")
        return messages

    def _convo(
        self,
        convo: dict[str, Any],
        convo_id: str,
        known: str | None,
        state: Cursor,
        me: str,
        messages: list[Message],
        problems: list[Problem],
    ) -> str:
        """Read one conversation's new messages into ``messages``; the newest ``rev`` read."""
        models = self._x.models()
        payload = self._x.query(
            "reading direct messages",
            "chat.bsky.convo.getMessages",
            models.ChatBskyConvoGetMessages.Params(convo_id=convo_id, limit=PAGE_SIZE),
            chat=True,
        )
        members = members_of(convo)
        newest = known or ""
        for raw in payload.get("messages") or []:  # newest first
            rev = raw.get("rev") if isinstance(raw, dict) else None
            sent_at = parse_time(raw.get("sentAt")) if isinstance(raw, dict) else None
            if isinstance(rev, str) and known is not None and rev <= known:
                break
            if known is None and sent_at is not None and sent_at < state.start:
                break
            try:
                message = chat_message(raw, convo_id, members, me, channel=self.name)
            except BadItem as error:
                problems.append(Problem(where("chat message", raw), str(error)))
                message = None
            if message is not None:
                messages.append(message)
            if isinstance(rev, str):
                newest = max(newest, rev)
        return newest

    # -- sending -----------------------------------------------------------------------

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """A reply in the patron's thread, or a chat message (a chat, or ``reply.private``)."""
        del now
        length = graphemes(reply.text)
        if length > POST_LIMIT:
            raise RefusedByPlatform(
                f"the reply is {length}/{POST_LIMIT} graphemes; shorten it for Bluesky"
            )
        if conversation.kind is Kind.DIRECT:
            convo = (conversation.latest.conversation or "").removeprefix("chat:")
            if not convo:
                raise RefusedByPlatform(f"{conversation.key} has no Bluesky chat to answer in")
            return self._send_chat(convo, reply.text)
        parent = self._post(conversation.latest)
        if reply.private:
            return self._send_chat(self._convo_with(parent.author.did), reply.text)
        return self._send_post(parent, reply.text)

    def _post(self, message: Message) -> Any:
        """The patron's post as the service has it now: its ``cid``, thread root and author."""
        if not message.remote_id.startswith("at://"):
            raise RefusedByPlatform(f"{message.key} is not a Bluesky post; it cannot be replied to")
        found = self._x.typed(
            "looking up the patron's post", lambda client: client.get_posts([message.remote_id])
        )
        if not found.posts:
            raise RefusedByPlatform(
                f"the patron's post {message.remote_id} is gone (deleted?); it cannot be replied to"
            )
        return found.posts[0]

    def _send_post(self, parent: Any, text: str) -> Receipt:
        """An ``app.bsky.feed.post`` whose ``reply`` has the thread's root and the patron's post."""
        models = self._x.models()
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid)
        record = parent.record
        root = record.reply.root if getattr(record, "reply", None) else parent_ref
        reply_to = models.AppBskyFeedPost.ReplyRef(
            root=models.ComAtprotoRepoStrongRef.Main(uri=root.uri, cid=root.cid),
            parent=parent_ref,
        )
        # Bluesky makes nothing clickable by itself: links and @-mentions need facets
        # over UTF-8 byte ranges, which the SDK finds (resolving each handle to its DID).
        facets = self._x.typed("finding the links and accounts in the reply", _facets(text))
        me = self._x.did
        created = self._x.typed(
            "posting a reply",
            lambda client: client.send_post(
                text, profile_identify=me, reply_to=reply_to, facets=facets or None
            ),
        )
        return Receipt(remote_id=created.uri)

    def _convo_with(self, did: str) -> str:
        models = self._x.models()
        found = self._x.typed(
            "opening a chat with the patron",
            lambda chat: chat.chat.bsky.convo.get_convo_for_members(
                models.ChatBskyConvoGetConvoForMembers.Params(members=[did])
            ),
            chat=True,
        )
        return str(found.convo.id)

    def _send_chat(self, convo: str, text: str) -> Receipt:
        models = self._x.models()
        facets = self._x.typed("finding the links and accounts in the reply", _facets(text))
        sent = self._x.typed(
            "sending a direct message",
            lambda chat: chat.chat.bsky.convo.send_message(
                models.ChatBskyConvoSendMessage.Data(
                    convo_id=convo,
                    message=models.ChatBskyConvoDefs.MessageInput(text=text, facets=facets or None),
                )
            ),
            chat=True,
        )
        return Receipt(remote_id=f"chat:{convo}:{sent.id}")


def _facets(text: str) -> Any:
    def detect(client: Any) -> Any:
        return client.detect_facets(text)

    return detect


def _build(name: str, options: Options) -> BlueskyChannel:
    """The app password is read (and checked) now, so a missing one shows when the desk starts."""
    if find_spec("atproto_client") is None:
        raise ConfigError(
            f"channel {name!r} needs the atproto package: .venv/bin/pip install 'atproto>=0.0.60'"
        )
    service = options.text("service").rstrip("/")
    host = urlsplit(service).hostname or ""
    if not service.startswith("https://") and host not in ("127.0.0.1", "::1", "localhost"):
        raise ConfigError(
            f"channel {name!r}: service should start with https:// (the app password "
            f"must not cross the network in the clear), not {service!r}"
        )
    secrets = load_secrets(options, NAMES)
    password = app_password(secrets, name)
    handle = options.text("handle").removeprefix("@")
    client = BlueskyClient(
        service=service,
        handle=handle,
        password=password,
        session_file=SessionFile.of(service, handle),
        password_variable=secrets.variable(APP_PASSWORD),
    )
    return BlueskyChannel(name, client, poll_seconds=options.number("poll_seconds"))


ADAPTER = Adapter(
    type="bluesky",
    options=(
        Text(
            "handle",
            'the library\'s Bluesky handle (a string such as "anytownlibrary.bsky.social")',
            required=True,
            pattern=r"@?[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z0-9-]+",
        ),
        Text(
            "service",
            'the address of the account\'s Bluesky service (a string URL, "https://bsky.social")',
            default=DEFAULT_SERVICE,
            pattern=r"https?://[^\s/]+(?:/[^\s]*)?",
        ),
        *credential_options(DEFAULT_PREFIX),
        poll_seconds(default=60),
    ),
    build=_build,
)
