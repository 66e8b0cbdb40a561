"""The email channel: the library's question mailbox, read over IMAP and answered over SMTP.

Polled: each fetch reads the folder's mails above the cursor (UIDVALIDITY
and the last UID read); where the server offers IMAP IDLE, it says when mail
arrives and the poller fetches at once (``watch.py``). A changed UIDVALIDITY
reads the folder again from the start; nothing doubles, because a mail's key
is its Message-ID. Mails are marked ``\\Seen`` only at the next fetch, once
the store hands back the cursor saved with them: what the desk has not kept
stays unread in webmail.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from askdesk.channels.base import Adapter, CannotTellIfSent, Fetched, Notice, Problem, Receipt
from askdesk.channels.credentials import credential_options, load_secrets
from askdesk.channels.email.connection import Imap, Server, send_smtp, tls_context
from askdesk.channels.email.outgoing import Outgoing, our_message_id, reply_mail
from askdesk.channels.email.parsing import (
    Mail,
    Nature,
    human_size,
    parse_mail,
    unreadable_mail,
)
from askdesk.channels.email.threads import Threads
from askdesk.channels.email.watch import Watcher
from askdesk.channels.options import FilePath, Number, Options, Text, poll_seconds
from askdesk.channels.redaction import guard_logs
from askdesk.config import NumberRange
from askdesk.errors import ChannelError, ConfigError, RefusedByPlatform
from askdesk.model import Conversation, Kind, Message, Reply

log = logging.getLogger(__name__)

BATCH = 50
"""Mails read in one fetch; more wait in the mailbox for the next polls (a flood)."""
MAX_MAIL_BYTES = 20 * 1024 * 1024
"""A mail larger than this is read only in part: its text, not its attachments."""
PART_READ_BYTES = 1024 * 1024
"""How much of a too-large mail is read: the text comes first in every mail client's mail."""
_CURSOR = re.compile(r"(\d+):(\d+)")
_NOT_A_HASH = re.compile(r"(?!sha256-)")


@dataclass
class _Pending:
    """What the last fetch returned, to mark ``\\Seen`` once the store hands its cursor back."""

    cursor: str
    uids: list[int]


class UnsureWhetherSent(CannotTellIfSent):
    """A reply's copy is in Sent as a draft: the SMTP server may or may not have taken it."""


@dataclass(frozen=True)
class _CopyLeft:
    """A reply's copy in Sent that its send could not settle: still a draft."""

    reply_id: str
    went: bool
    """The SMTP server took the mail (the copy should be marked sent) or refused it."""


class EmailChannel:
    """An IMAP mailbox polled for patrons' mail, answered over SMTP, copies filed in Sent."""

    type = "email"
    can_send_private = False
    """Email has no public and private routes: every reply is a mail to the patron."""

    def __init__(
        self,
        name: str,
        *,
        address: str,
        imap: Server,
        smtp: Server,
        folder: str = "INBOX",
        sent_folder: str | None = None,
        ca_file: Path | None = None,
        poll_seconds: float = 60,
    ) -> None:
        self.name = name
        self.address = address
        self.imap = imap
        self.smtp = smtp
        self.folder = folder
        self.poll_seconds = poll_seconds
        self._sent_folder = sent_folder
        self._ca_file = ca_file
        self._pending: _Pending | None = None
        self._lock = threading.Lock()
        """Guards ``_sent_folder``, learnt by whichever of fetch and send asks first, and
        ``_copies_left``, which a send adds to and a fetch settles."""
        self._copies_left: dict[str, _CopyLeft] = {}
        """Message-ID -> a reply's copy in Sent that is still a draft when it should not be."""
        self._watcher = Watcher(imap, lambda: tls_context(ca_file), folder)

    def __repr__(self) -> str:
        return f"EmailChannel({self.name!r}, {self.address!r})"

    @contextmanager
    def _session(self) -> Iterator[Imap]:
        with Imap.session(self.imap, tls_context(self._ca_file)) as imap:
            yield imap

    def _sent(self, imap: Imap) -> str:
        with self._lock:
            if self._sent_folder is None:
                self._sent_folder = imap.sent_folder()
            return self._sent_folder

    # -- in ------------------------------------------------------------------------------

    def woken(self) -> bool:
        """Whether the server said new mail arrived since the last fetch (IMAP IDLE)."""
        return self._watcher.arrived.is_set()

    @property
    def watching(self) -> bool:
        """Whether a connection waits in IDLE for new mail right now."""
        return self._watcher.idling.is_set()

    def stop_watching(self) -> None:
        self._watcher.stop()

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        # Cleared before reading: mail that comes while this fetch runs wakes the next one.
        self._watcher.arrived.clear()
        saved = _CURSOR.fullmatch(cursor or "")
        validity, last_uid = (int(saved[1]), int(saved[2])) if saved else (None, 0)
        with self._session() as imap:
            current = imap.select(self.folder)
            self._mark_stored_seen(imap, cursor)
            if validity != current:
                last_uid = 0  # a new folder, or the server renumbered it: read it all again
            uids = imap.uids_after(last_uid)
            batch = uids[:BATCH]
            read, problems = self._read(imap, batch)
            threads = Threads(imap, [self.folder, self._sent(imap)], self.address)
            messages, notices, taken = [], [], []
            for uid, mail, arrived in read:
                taken.append(uid)
                if mail.nature is Nature.OWN:
                    continue  # the library's own mail is never a question
                root = threads.root(mail.remote_id, mail.references)
                thread = root if root != mail.remote_id else None
                if thread is not None and mail.nature is Nature.QUESTION:
                    thread = _joins(mail, thread, threads)
                if mail.nature is not Nature.QUESTION:
                    notices.append(
                        Notice(mail.remote_id, mail.nature.value, arrived or now, thread)
                    )
                    continue
                messages.append(self._message(mail, arrived or now, thread))
            # First: the health line shows the first few problems, and this one matters most.
            problems[:0] = self._settle_copies_left(imap)
        new_cursor = f"{current}:{batch[-1]}" if batch else f"{current}:{last_uid}"
        self._pending = _Pending(new_cursor, taken)
        self._watcher.start()  # from now on the server says when mail arrives, if it can
        return Fetched(messages, new_cursor, problems, len(uids) - len(batch), notices)

    def _mark_stored_seen(self, imap: Imap, cursor: str | None) -> None:
        """The last fetch's mails are in the store once its cursor comes back: mark them read."""
        pending, self._pending = self._pending, None
        if pending is not None and pending.cursor == cursor:
            imap.mark_seen(pending.uids)

    def _read(
        self, imap: Imap, uids: list[int]
    ) -> tuple[list[tuple[int, Mail, datetime | None]], list[Problem]]:
        read: list[tuple[int, Mail, datetime | None]] = []
        problems: list[Problem] = []
        sizes = imap.sizes(uids) if uids else {}
        for uid in uids:
            where = f"{self.folder} UID {uid}"
            size, arrived = sizes.get(uid, (0, None))
            whole = size <= MAX_MAIL_BYTES
            raw = imap.body(uid, None if whole else PART_READ_BYTES)
            if raw is None:
                problems.append(Problem(where, "the server sent no content for it"))
                continue
            try:
                mail = parse_mail(raw, self.address, whole=whole)
            except Exception as error:  # a mail the stdlib cannot take apart at all
                why = _why_unreadable(error)
                # A too-deep mail's traceback is a thousand frames that say nothing more.
                traceback = not isinstance(error, RecursionError)
                log.warning("%s: %s could not be read", self.name, where, exc_info=traceback)
                # On the desk with a notice, so someone opens it in the mailbox; the cursor
                # moves past it like any other, so it is not read again at every poll.
                mail = unreadable_mail(raw, self.address, why, where, size or len(raw))
                problems.append(Problem(where, f"could not be read ({why}); it is on the desk "
                                        "with a notice and kept in the mailbox"))  # fmt: skip
            if not whole:
                log.info("%s: %s is %s; read in part", self.name, where, human_size(size))
            read.append((uid, mail, arrived))
        return read, problems

    def _message(self, mail: Mail, arrived: datetime, thread: str | None) -> Message:
        return Message(
            channel=self.name,
            remote_id=mail.remote_id,
            kind=Kind.EMAIL,
            author=mail.author,
            text=mail.text,
            received_at=arrived,
            conversation=thread,
            url=f"mailto:{mail.reply_address}" if mail.reply_address else None,
            fold_at=mail.fold_at,
        )

    # -- out -----------------------------------------------------------------------------

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """File the copy in Sent as a draft, hand the mail to SMTP once, then mark the copy sent.

        The copy comes first so that a send cut short anywhere leaves a trace
        ``find_sent`` reads: no copy, SMTP never had it; a copy still a draft,
        it may have; a sent copy, it went. A copy that cannot be filed keeps
        the reply unsent, with the reason for staff on its conversation.
        """
        outgoing = self._reply_mail(conversation, reply, now)
        with self._session() as imap:
            sent = self._sent(imap)
            try:
                imap.select(sent)
                copies = imap.copies(outgoing.message_id)
                if copies and not all(copies.values()):
                    return Receipt(outgoing.message_id)  # it went before: its copy says so
                if not copies:
                    imap.file_copy(sent, outgoing.data, draft=True)
            except RefusedByPlatform as error:
                raise RefusedByPlatform(
                    f"{error}; askdesk files the copy before sending, so that the reply "
                    "can be checked there and never goes twice: it is not sent until "
                    "the copy can be filed (check sent_folder)"
                ) from error
        try:
            send_smtp(
                self.smtp, tls_context(self._ca_file), self.address, outgoing.to, outgoing.data
            )
        except ChannelError:
            self._settle_copy(outgoing.message_id, reply, sent=False)
            raise
        self._settle_copy(outgoing.message_id, reply, sent=True)
        return Receipt(outgoing.message_id)

    def _settle_copy(self, message_id: str, reply: Reply, *, sent: bool) -> None:
        """The draft copy marked sent, or (the SMTP server refused the mail) taken away.

        Where that fails the reply's outcome stands, but webmail's Sent shows a
        draft that went, or one that never will: kept for the next fetches,
        which try again and put it on the channel's health line meanwhile.
        """
        try:
            with self._session() as imap:
                imap.select(self._sent(imap))
                uids = sorted(imap.copies(message_id))
                imap.mark_sent(uids) if sent else imap.discard(uids)
        except ChannelError as error:
            state = "still shows as a draft" if sent else "stays there as a draft, unsent"
            log.warning("%s: reply %s: its copy in Sent %s: %s", self.name, reply.id, state, error)
            with self._lock:
                self._copies_left[message_id] = _CopyLeft(reply.id, went=sent)

    def _settle_copies_left(self, imap: Imap) -> list[Problem]:
        """Copies a send could not settle: marked sent now where the mail went; what is
        still a draft after that is said, for staff to see before someone sends it again.

        A refused mail's copy is not deleted here: the reply may be on its way
        again, under the same Message-ID, at this very moment.
        """
        with self._lock:
            left = dict(self._copies_left)
        problems: list[Problem] = []
        for message_id, copy in left.items():
            sent = self._sent(imap)
            where = f"reply {copy.reply_id[:8]}"
            try:
                imap.select(sent)
                drafts = sorted(uid for uid, draft in imap.copies(message_id).items() if draft)
                if drafts and copy.went:
                    imap.mark_sent(drafts)
                    drafts = []
            except ChannelError as error:
                problems.append(Problem(where, _copy_left_words(copy, sent, f" ({error})")))
                continue
            if drafts:
                problems.append(Problem(where, _copy_left_words(copy, sent, "")))
                continue
            with self._lock:
                if self._copies_left.get(message_id) == copy:
                    del self._copies_left[message_id]
        return problems

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """Whether ``reply`` went, read from its copy in Sent (filed before SMTP had it)."""
        message_id = our_message_id(reply.id, self.address)
        with self._session() as imap:
            sent = self._sent(imap)
            imap.select(sent, readonly=True)
            copies = imap.copies(message_id)
        if not copies:
            return None  # no copy: the send stopped before the SMTP server had it
        if not all(copies.values()):
            return Receipt(message_id)
        raise UnsureWhetherSent(
            f"its copy in {sent!r} was filed, but askdesk stopped before the SMTP server "
            "answered, so it cannot tell whether the patron got it (the copy there is still "
            "a draft); record it as sent if the server's log or the patron says so, "
            "otherwise send it again"
        )

    def _reply_mail(self, conversation: Conversation, reply: Reply, now: datetime) -> Outgoing:
        latest = conversation.latest
        to = _reply_address(latest)
        if to is None:
            raise ChannelError(f"{conversation.key}: the patron's mail has no address to answer")
        root = conversation.key.partition(":")[2]
        thread = [root, *(m.remote_id for m in conversation.messages)]
        thread = [i for n, i in enumerate(thread) if i not in thread[:n] and _NOT_A_HASH.match(i)]
        return reply_mail(
            sender=self.address,
            to=to,
            subject=latest.text.partition("\n")[0],
            text=reply.text,
            message_id=our_message_id(reply.id, self.address),
            in_reply_to=latest.remote_id if _NOT_A_HASH.match(latest.remote_id) else None,
            thread=thread,
            at=now,
        )


def _joins(mail: Mail, thread: str, threads: Threads) -> str | None:
    """``thread`` when the mail is from the patron who opened it, else None (a
    conversation of its own): knowing a thread's Message-ID does not let anyone
    else put their words in it. The sender is the ``From`` address alone, never
    the ``Reply-To`` anyone may write. (An automatic reply or a bounce, which
    asks nothing, is noted on the thread it names whoever sent it.)
    """
    return thread if mail.address.casefold() in threads.patron(thread) else None


def _copy_left_words(copy: _CopyLeft, sent: str, error: str) -> str:
    if copy.went:
        return (
            f"it went to the patron, but its copy in {sent!r} still shows as a draft{error}; "
            "do not send it again from webmail (askdesk marks it sent at the next poll it can)"
        )
    return (
        f"the SMTP server refused it, and its copy in {sent!r} stays there as a draft, "
        f"unsent{error}; delete that copy in webmail unless the reply is sent again"
    )


def _why_unreadable(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "its parts are nested inside each other too deeply"
    return f"the mail parser failed with {type(error).__name__}"


def _reply_address(message: Message) -> str | None:
    """Where the patron asked answers to go (``Reply-To``, kept as the message's mailto: url)."""
    if message.url and message.url.startswith("mailto:"):
        return message.url.removeprefix("mailto:")
    address = parseaddr(message.author)[1]
    return address if "@" in address else None


# -- options -------------------------------------------------------------------------------

PORT = NumberRange(1, 65535, "port number")
TLS_MODES = "implicit|starttls"


def _port(options: Options, name: str) -> int:
    value = options.number(name)
    if not value.is_integer():
        raise ConfigError(f"channel {options.channel!r} {name} should be a whole port number")
    return int(value)


def _tls(options: Options, name: str, port: int, default_for: tuple[int, str, str]) -> str:
    """The option's TLS mode, or the usual one for ``port`` (143: starttls, 465: implicit...)."""
    chosen = options.optional_text(name)
    if chosen is not None:
        return chosen
    special_port, special, otherwise = default_for
    return special if port == special_port else otherwise


def _build(name: str, options: Options) -> EmailChannel:
    secrets = load_secrets(options, ("PASSWORD", "SMTP_PASSWORD"))
    password = secrets.get("PASSWORD")
    if password is None:
        raise ConfigError(
            f"channel {name!r} needs {secrets.variable('PASSWORD')} in {secrets.source}"
        )
    guard_logs(secrets.found(), ("imapclient", "imapclient.imaplib", "askdesk.channels.email"))
    address = options.text("address")
    username = options.optional_text("username") or address
    imap_port, smtp_port = _port(options, "imap_port"), _port(options, "smtp_port")
    return EmailChannel(
        name,
        address=address,
        imap=Server(
            options.text("imap_host"),
            imap_port,
            _tls(options, "imap_tls", imap_port, (143, "starttls", "implicit")),
            username,
            password,
        ),
        smtp=Server(
            options.text("smtp_host"),
            smtp_port,
            _tls(options, "smtp_tls", smtp_port, (465, "implicit", "starttls")),
            username,
            secrets.get("SMTP_PASSWORD") or password,
        ),
        folder=options.text("folder"),
        sent_folder=options.optional_text("sent_folder"),
        ca_file=options.optional_path("ca_file"),
        poll_seconds=options.number("poll_seconds"),
    )


ADAPTER = Adapter(
    type="email",
    options=(
        Text("address", "the mailbox's address, used as From (a string)", required=True),
        Text("imap_host", "the IMAP server's host name (a string)", required=True),
        Number("imap_port", "the IMAP server's port (a number)", default=993, allowed=PORT),
        Text("imap_tls", '"implicit" or "starttls"', pattern=TLS_MODES),
        Text("smtp_host", "the SMTP submission server's host name (a string)", required=True),
        Number("smtp_port", "the SMTP server's port (a number)", default=587, allowed=PORT),
        Text("smtp_tls", '"implicit" or "starttls"', pattern=TLS_MODES),
        Text("username", "the login name, if not the address (a string)"),
        Text("folder", "the IMAP folder questions arrive in (a string)", default="INBOX"),
        Text("sent_folder", "the IMAP folder replies are filed in (a string)"),
        FilePath("ca_file", "a certificate file to trust for the servers (a string path)"),
        *credential_options("ASKDESK_EMAIL_"),
        poll_seconds(default=60),
    ),
    build=_build,
)
