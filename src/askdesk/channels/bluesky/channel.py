"""The bluesky channel: mentions, replies, quotes and chats of one account in; replies out.

The adapter never sleeps: a rate limit is ``RateLimited(reset_at)``, a
failing service an error with a time to try again. ``ADAPTER`` at the end is
what the registry lists: the options a ``type = "bluesky"`` table takes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
from askdesk.channels.bluesky.record_key import reply_record_key
from askdesk.channels.bluesky.session import SessionFile
from askdesk.channels.bluesky.text import CHAT_BYTES, CHAT_LIMIT, POST_BYTES, POST_LIMIT, graphemes
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
POST_COLLECTION = "app.bsky.feed.post"
SENT_SLACK = timedelta(minutes=10)
"""How long before a reply was written a chat message with its words may have been sent (clocks)."""
SENT_PAGES = 3
"""Pages of a chat read back when checking whether a reply went out."""
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
            try:
                newest = self._convo(convo, convo_id, known, state, me, messages, problems)
            except UnexpectedPayload as error:
                # One conversation the service cannot hand over whole (a patron's hostile
                # message) waits, said on the health line; the other chats still arrive.
                problems.append(Problem(where("chat conversation", convo), f"{error}; skipped"))
                continue
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
        """A reply in the patron's thread, or a chat message (a chat, or ``reply.private``).

        A retry first looks for what the attempt before may have delivered
        (a timeout after the service had stored it): a post by its record
        key, which every attempt shares, a chat message by its words.
        """
        chat = _goes_to_chat(conversation, reply)
        _check_length(reply.text, chat=chat)
        if reply.attempts > 1:
            found = self.find_sent(conversation, reply)
            if found is not None:
                return found
        if chat:
            return self._send_chat(self._chat_of(conversation), reply.text)
        return self._send_post(self._post(conversation.latest), reply, now)

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """Whether ``reply`` is on Bluesky already: its post's record key, or its chat message."""
        if _goes_to_chat(conversation, reply):
            return self._find_chat_message(conversation, self._chat_of(conversation), reply)
        return self._find_post(reply)

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

    def _send_post(self, parent: Any, reply: Reply, now: datetime) -> Receipt:
        """An ``app.bsky.feed.post`` whose ``reply`` has the thread's root and the patron's post.

        It is created under the reply's own record key: should the service
        have stored an attempt whose answer was lost, it refuses this one,
        and the post already there is the receipt.
        """
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
        facets = self._x.typed("finding the links and accounts in the reply", _facets(reply.text))
        post = models.AppBskyFeedPost.Record(
            created_at=now.astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            text=reply.text,
            reply=reply_to,
            facets=facets or None,
        )
        me, rkey = self._x.did, reply_record_key(reply)
        try:
            created = self._x.typed(
                "posting a reply",
                lambda client: client.app.bsky.feed.post.create(me, post, rkey=rkey),
            )
        except RefusedByPlatform:
            found = self._find_post(reply)
            if found is not None:
                return found  # an attempt before this one got through
            raise
        return Receipt(remote_id=created.uri)

    def _find_post(self, reply: Reply) -> Receipt | None:
        """The post created under ``reply``'s record key, if the service has it."""
        found = self._x.record(
            "checking whether a reply went out",
            self._x.did,
            POST_COLLECTION,
            reply_record_key(reply),
        )
        if found is None:
            return None
        uri = found.get("uri")
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise UnexpectedPayload(
                f"{self._x.service} answered checking whether a reply went out without its URI"
            )
        return Receipt(remote_id=uri)

    def _chat_of(self, conversation: Conversation) -> str:
        """The chat conversation a reply goes to: the patron's chat, or one opened with them."""
        if conversation.kind is Kind.DIRECT:
            convo = (conversation.latest.conversation or "").removeprefix("chat:")
            if not convo:
                raise RefusedByPlatform(f"{conversation.key} has no Bluesky chat to answer in")
            return convo
        return self._convo_with(_author_did(conversation.latest))

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

    def _find_chat_message(
        self, conversation: Conversation, convo: str, reply: Reply
    ) -> Receipt | None:
        """The account's message in ``convo`` with the reply's words, sent since it was written.

        Chat messages carry no key of the sender's choosing, so the words and
        the time tell; one already recorded for another reply is not this one.
        """
        models = self._x.models()
        taken = {r.remote_id for r in conversation.replies if r.remote_id}
        since = reply.created_at - SENT_SLACK
        me = self._x.did
        page_cursor: str | None = None
        for _ in range(SENT_PAGES):
            payload = self._x.query(
                "checking whether a reply went out",
                "chat.bsky.convo.getMessages",
                models.ChatBskyConvoGetMessages.Params(
                    convo_id=convo, limit=PAGE_SIZE, cursor=page_cursor
                ),
                chat=True,
            )
            for raw in payload.get("messages") or []:  # newest first
                if not isinstance(raw, dict):
                    continue
                sent_at = parse_time(raw.get("sentAt"))
                if sent_at is not None and sent_at < since:
                    return None  # older than the reply: it never went out
                sender = raw.get("sender")
                remote_id = f"chat:{convo}:{raw.get('id')}"
                if (
                    isinstance(sender, dict)
                    and sender.get("did") == me
                    and raw.get("text") == reply.text
                    and isinstance(raw.get("id"), str)
                    and remote_id not in taken
                ):
                    return Receipt(remote_id=remote_id)
            next_cursor = payload.get("cursor")
            if not isinstance(next_cursor, str) or not next_cursor:
                return None
            page_cursor = next_cursor
        return None


def _goes_to_chat(conversation: Conversation, reply: Reply) -> bool:
    return conversation.kind is Kind.DIRECT or reply.private


def _check_length(text: str, *, chat: bool) -> None:
    """Refuse before sending what the lexicon would refuse: graphemes, and UTF-8 bytes."""
    limit, byte_limit, what = (
        (CHAT_LIMIT, CHAT_BYTES, "direct message") if chat else (POST_LIMIT, POST_BYTES, "reply")
    )
    length = graphemes(text)
    if length > limit:
        raise RefusedByPlatform(f"the {what} is {length}/{limit} graphemes; shorten it for Bluesky")
    size = len(text.encode("utf-8"))
    if size > byte_limit:
        raise RefusedByPlatform(
            f"the {what} is {size:,}/{byte_limit:,} bytes (emoji take many); shorten it for Bluesky"
        )


def _author_did(message: Message) -> str:
    """The DID in a post's AT-URI (``at://did:plc:…/app.bsky.feed.post/…``): its author."""
    if not message.remote_id.startswith("at://did:"):
        raise RefusedByPlatform(f"{message.key} is not a Bluesky post; it cannot be replied to")
    return message.remote_id.removeprefix("at://").split("/", 1)[0]


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
