"""The sms channel: texts to the library's number in, replies out, opt-outs kept.

One conversation per number at a time, cut by ``session_gap_minutes`` as a
chat is. ``STOP`` (and the other opt-out words) and ``START`` are recorded
on the number's conversation, not asked as questions, and a reply to a
number that opted out is refused before it is sent. The provider (Twilio)
does the HTTP; ``ADAPTER`` at the end is what the registry lists.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from askdesk.channels.base import Adapter, Fetched, Problem, Receipt, ReplyWindow
from askdesk.channels.credentials import credential_options, load_secrets
from askdesk.channels.options import Number, Options, Text, poll_seconds
from askdesk.channels.sms.numbers import e164, former_patron_id, masked, patron_id
from askdesk.channels.sms.opt_outs import OptOuts, is_reminder
from askdesk.channels.sms.provider import SmsProvider
from askdesk.channels.sms.segments import segments
from askdesk.channels.sms.twilio import OptedOut, TwilioCredentials, TwilioProvider
from askdesk.channels.time_cursor import TimeCursor
from askdesk.config import NumberRange
from askdesk.errors import ConfigError, RefusedByPlatform
from askdesk.model import Conversation, Message, Reply, Role

DEFAULT_PREFIX = "ASKDESK_TWILIO_"
NAMES = ("ACCOUNT_SID", "AUTH_TOKEN", "API_KEY_SID", "API_KEY_SECRET")
SLACK = timedelta(minutes=5)
"""How far before the newest text seen the next poll reads again (clock skew; deduped)."""
BACKFILL = timedelta(hours=24)
"""How far back the first run reads."""
SENT_SLACK = timedelta(minutes=10)
"""How long before a reply was written a text with its words may have been made (clocks)."""


def opted_out(number: str, at: datetime) -> str:
    """Why no reply can go: the words the composer, ``askdesk reply`` and the send say."""
    return (
        f"{masked(number)} texted STOP at {at:%Y-%m-%d %H:%M} UTC: no text can go to them "
        "until they text START"
    )


class SmsChannel:
    """Texts to ``number`` through ``provider``; replies from it, at most ``max_segments`` long."""

    type: str = "sms"
    can_send_private = True

    def __init__(
        self,
        name: str,
        provider: SmsProvider,
        *,
        number: str,
        max_segments: int = 3,
        session_gap_minutes: float = 60,
        poll_seconds: float = 30,
    ) -> None:
        if e164(number) is None:
            raise ConfigError(f"channel {name!r}: number should be E.164, like +15555550100")
        self.name = name
        self.number = number
        self.max_segments = max_segments
        self.session_gap = timedelta(minutes=session_gap_minutes)
        self.poll_seconds = float(poll_seconds)
        self._provider = provider
        self._pseudonym_key: bytes | None = None

    def use_pseudonym_key(self, key: bytes) -> None:
        """The store's secret that keys the pseudonym each number goes by (``NamesPatrons``)."""
        self._pseudonym_key = key

    def former_names(self, message: Message) -> tuple[str, ...]:
        """The unkeyed name the number's conversations had before keys were keyed."""
        number = e164(message.author)
        return (former_patron_id(self.name, number),) if number else ()

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        secret = self._pseudonym_key
        if secret is None:
            # The desk hands it over before the first fetch; without it a key would
            # carry the number, or a hash anyone can undo.
            raise RuntimeError(f"sms channel {self.name!r} fetched before it had the store's key")
        problems: list[Problem] = []
        state = TimeCursor.read(cursor, now, BACKFILL, problems, "sms")
        since = state.since - SLACK if state.since else state.start
        texts = sorted(
            (
                replace(m, conversation=patron_id(secret, self.name, m.author))
                for m in self._provider.received(self.number, since, now, self.name, problems)
            ),
            key=lambda m: m.received_at,
        )
        # In time order, so a STOP and a START are kept up with as they came.
        opt_outs = OptOuts.read(cursor)
        messages: list[Message] = []
        for text in texts:
            messages.append(text)
            reminder = opt_outs.note(text)
            if reminder is not None:
                messages.append(reminder)
        newest = max((m.received_at for m in texts), default=None)
        if newest is not None and not any(p.where == "texts" for p in problems):
            state.since = max(state.since or newest, newest)
        return Fetched(messages=messages, cursor=opt_outs.into(state.dump()), problems=problems)

    def reply_window(self, conversation: Conversation, now: datetime) -> ReplyWindow:
        """Closed while the number's last word on the matter was an opt-out."""
        del now
        stopped = conversation.opted_out_at
        if stopped is None:
            return ReplyWindow()
        number = conversation.latest.author
        for message in reversed(conversation.messages):
            if message.role is Role.OPT_IN:
                break
            if message.role is Role.OPT_OUT and not is_reminder(message):
                return ReplyWindow(refusal=opted_out(number, message.received_at))
        # Only the channel's reminder: the STOP itself is on an earlier conversation, or none.
        return ReplyWindow(
            refusal=f"{masked(number)} texted STOP earlier and not START since: no text can "
            "go to them until they do"
        )

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """``To`` the patron's number, ``From`` the library's.

        A retry first looks for what the attempt before may have left with
        Twilio (a timeout after Twilio had taken the text): sent twice is paid
        twice and read twice. It looks before the rules are checked again: a text
        that did go out stays sent, whatever the patron texted since (``STOP``).
        """
        if reply.attempts > 1:
            found = self.find_sent(conversation, reply)
            if found is not None:
                return found
        window = self.reply_window(conversation, now)
        if window.refusal:
            raise RefusedByPlatform(window.refusal)
        counted = segments(reply.text)
        if counted.count > self.max_segments:
            # The composer counted what staff typed; a template or an edit since may be longer.
            raise RefusedByPlatform(
                f"too long for sms: {counted.label(self.max_segments)}; shorten it before sending"
            )
        to = self._number_of(conversation)
        try:
            sent = self._provider.send(to, self.number, reply.text, now)
        except OptedOut:
            raise  # its words say the same as ours, without a time Twilio does not give
        return Receipt(remote_id=sent.remote_id)

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """Whether ``reply`` went out: a text with its words to the patron, made since it
        was written, that is not already another reply's."""
        taken = {r.remote_id for r in conversation.replies if r.remote_id and r.id != reply.id}
        found = self._provider.find_sent(
            self._number_of(conversation),
            self.number,
            reply.text,
            reply.created_at - SENT_SLACK,
            taken,
            datetime.now(UTC),
        )
        return Receipt(remote_id=found) if found is not None else None

    def _number_of(self, conversation: Conversation) -> str:
        to = e164(conversation.latest.author)
        if to is None:
            raise RefusedByPlatform(f"{conversation.key} has no phone number to text back")
        return to

    def delivery(self, remote_id: str, now: datetime) -> str | None:
        """Twilio's status of a text sent: queued, sent, delivered, undelivered or failed."""
        return self._provider.delivery(remote_id, now)


def _build(name: str, options: Options) -> SmsChannel:
    """Credentials are read now, so a missing one shows when the desk starts."""
    secrets = load_secrets(options, NAMES)
    account = secrets.get("ACCOUNT_SID")
    key_sid, key_secret = secrets.get("API_KEY_SID"), secrets.get("API_KEY_SECRET")
    token = secrets.get("AUTH_TOKEN")
    if account is None or not (token or (key_sid and key_secret)):
        raise ConfigError(
            f"channel {name!r} needs {secrets.variable('ACCOUNT_SID')} and "
            f"{secrets.variable('AUTH_TOKEN')} (or {secrets.variable('API_KEY_SID')} and "
            f"{secrets.variable('API_KEY_SECRET')}) in {secrets.source}"
        )
    username, password = (key_sid, key_secret) if key_sid and key_secret else (account, token)
    assert password is not None and username is not None  # checked above
    provider = TwilioProvider(
        options.text("api_base"), TwilioCredentials(account, username, password), secrets.prefix
    )
    return SmsChannel(
        name,
        provider,
        number=options.text("number"),
        max_segments=int(options.number("max_segments")),
        session_gap_minutes=options.number("session_gap_minutes"),
        poll_seconds=options.number("poll_seconds"),
    )


ADAPTER = Adapter(
    type="sms",
    options=(
        Text(
            "number",
            'the library\'s number in E.164 form (a string such as "+15555550100")',
            required=True,
            pattern=r"\+[1-9][0-9]{6,14}",
        ),
        Text(
            "api_base",
            'the Twilio API\'s address (a string such as "https://api.twilio.com")',
            default="https://api.twilio.com",
            pattern=r"https?://[^\s/?#]+(/[^\s?#]*)?",
        ),
        Number(
            "max_segments",
            "the most SMS segments one reply may take (1 to 10)",
            default=3,
            allowed=NumberRange(1, 10, "segments"),
        ),
        Number(
            "session_gap_minutes",
            "minutes after a resolve within which a text reopens the conversation (a number > 0)",
            default=60,
            allowed=NumberRange(0, 7 * 24 * 60, "minutes", low_allowed=False),
        ),
        *credential_options(DEFAULT_PREFIX),
        poll_seconds(default=30),
    ),
    build=_build,
)
