"""One raw mail made into what the desk needs: who wrote, what they wrote, what it answers.

No I/O. The stdlib's ``email`` package parses MIME (``policy.default``
decodes encoded words and charsets); every step that a malformed mail can
break falls back to something readable, so a bad mail still shows its words
or, at worst, is skipped with a reason, never crashes a fetch.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from enum import StrEnum

from askdesk.channels.email.quoting import fold_point
from askdesk.channels.html_text import html_to_text

MAX_TEXT_CHARS = 100_000
"""A mail's text kept on the desk; the rest stays in the mailbox (a pasted book, say)."""
MAX_HTML_CHARS = 1_000_000
"""HTML read from one mail's body: plenty for its words, while taking markup apart costs
about 2 s a megabyte (a 20 MB mail of empty tags held the mailbox's fetch for a minute)."""
_CUT = "\n\n(… cut here: the rest is in the mailbox.)"
MAX_THREAD_IDS = 50
"""References kept from one mail: a thread longer than this is still found by its first one."""

_MESSAGE_ID = re.compile(r"<([!#-;=?-\[\]-~]{1,250})>")
"""An id between angle brackets: printable ASCII without space, quotes, backslash or brackets,
so it can go into an IMAP search and a header as it is."""
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
_NO_SUBJECT = "(no subject)"


class Nature(StrEnum):
    """What a mail is to the desk."""

    QUESTION = "question"
    AUTO_REPLY = "auto-reply"
    """An out-of-office, a list's or a robot's mail: recorded, never a question."""
    BOUNCE = "bounce"
    """A delivery report: one of our replies did not arrive."""
    OWN = "own"
    """Sent from the library's own address."""


@dataclass(frozen=True)
class Attachment:
    name: str
    type: str
    size: int | None
    """Bytes, when the whole attachment was read."""

    def __str__(self) -> str:
        size = "size unknown" if self.size is None else human_size(self.size)
        return f"{self.name} ({self.type}, {size})"


@dataclass(frozen=True)
class Mail:
    """A parsed mail: the parts of it askdesk keeps, shows and threads by."""

    remote_id: str
    """The Message-ID without brackets, or ``sha256-…`` of its headers when it has none."""
    author: str
    """The sender's display name and address, decoded: ``Ann Smith <ann@example.org>``."""
    address: str
    reply_address: str | None
    """Where an answer goes: ``Reply-To`` when the patron set one, else the sender."""
    subject: str
    text: str
    """Subject line, the patron's words, attachments, then quoted mail and signature."""
    fold_at: int | None
    """Where quoted mail and the signature start in ``text``."""
    references: tuple[str, ...]
    """The thread this mail names, oldest first: ``References``, then ``In-Reply-To``."""
    nature: Nature


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def message_ids(value: str) -> list[str]:
    """The ids in a ``Message-ID``, ``In-Reply-To`` or ``References`` value, in order."""
    return _MESSAGE_ID.findall(value)


def one_line(value: str) -> str:
    """A header value safe to show and to answer with: no line breaks, no control characters."""
    return " ".join(_CONTROLS.sub(" ", _unescaped(value)).split())


def _unescaped(value: str) -> str:
    """``value`` with raw 8-bit header bytes read as UTF-8 (RFC 6532), the rest as stand-ins.

    The stdlib keeps a byte it cannot decode in a header as a lone surrogate
    (``surrogateescape``): no store, screen or log line can encode one, so a
    name holding a raw ``\\xff`` would fail every fetch from then on.
    """
    if value.isascii() or not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def parse_mail(raw: bytes, own_address: str, *, whole: bool = True) -> Mail:
    """``raw`` (a whole mail, or its first part when ``whole`` is False) as a ``Mail``."""
    headers = BytesHeaderParser().parsebytes(raw)  # compat32: raw strings, never raises
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)

    name, address = _sender(message, headers)
    reply_address = _reply_to(message, headers) or address or None
    subject = one_line(_header(message, headers, "Subject")) or _NO_SUBJECT
    ids = message_ids(_raw(headers, "Message-ID"))
    remote_id = ids[0] if ids else _header_hash(raw)
    thread = message_ids(_raw(headers, "References"))
    for parent in message_ids(_raw(headers, "In-Reply-To"))[:1]:
        if parent not in thread:
            thread.append(parent)
    thread = [i for i in thread if i != remote_id][-MAX_THREAD_IDS:]

    body, attachments = _body_and_attachments(message, raw, whole)
    fold = fold_point(body)
    own, quoted = (body[:fold], body[fold:]) if fold is not None else (body, "")
    text = f"{subject}\n\n{own.strip()}".rstrip()
    if attachments:
        listed = "\n".join(f"  {one_line(str(a))}" for a in attachments)
        text += f"\n\nAttachments (not kept; open them in the mailbox):\n{listed}"
    if not whole:
        text += (
            "\n\n(This mail is too large to read here whole: open it in the mailbox for the rest.)"
        )
    fold_at = None
    if quoted.strip():
        fold_at = len(text)
        text += "\n\n" + quoted.strip("\n")
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS] + _CUT
        fold_at = fold_at if fold_at is not None and fold_at < MAX_TEXT_CHARS else None

    author = f"{name} <{address}>" if name and address else (address or name or "unknown sender")
    return Mail(
        remote_id=remote_id,
        author=author,
        address=address,
        reply_address=reply_address,
        subject=subject,
        text=text,
        fold_at=fold_at,
        references=tuple(thread),
        nature=_nature(headers, address, own_address),
    )


def unreadable_mail(raw: bytes, own_address: str, why: str, where: str, size: int) -> Mail:
    """A mail the parser could not take apart, as a notice staff can act on.

    Its headers alone (read the forgiving way, which never fails) give the
    sender, the subject and the thread; the text says why it could not be
    read and where it is kept, so nothing is lost and someone opens it.
    """
    headers = BytesHeaderParser().parsebytes(raw)
    name, address = parseaddr(_decoded(headers, "From"))
    name, address = one_line(name), _plain_address(address)
    reply_to = [_plain_address(a) for _, a in getaddresses([_raw(headers, "Reply-To")])]
    subject = one_line(_decoded(headers, "Subject")) or _NO_SUBJECT
    ids = message_ids(_raw(headers, "Message-ID"))
    remote_id = ids[0] if ids else _header_hash(raw)
    thread = message_ids(_raw(headers, "References"))
    thread += [i for i in message_ids(_raw(headers, "In-Reply-To"))[:1] if i not in thread]
    text = (
        f"{subject}\n\n(askdesk could not read this mail: {why}. It is kept in the mailbox, "
        f"{where}, {human_size(size)}; open it there to read it.)"
    )
    author = f"{name} <{address}>" if name and address else (address or name or "unknown sender")
    return Mail(
        remote_id=remote_id,
        author=author,
        address=address,
        reply_address=next((a for a in reply_to if a), None) or address or None,
        subject=subject,
        text=text,
        fold_at=None,
        references=tuple(i for i in thread if i != remote_id)[-MAX_THREAD_IDS:],
        nature=_nature(headers, address, own_address),
    )


# -- headers -----------------------------------------------------------------------------


def _raw(headers: Message, name: str) -> str:
    value = headers.get(name)
    return str(value) if value is not None else ""


def _decoded(headers: Message, name: str) -> str:
    """A header's encoded words decoded the forgiving way; its raw text if they cannot be."""
    raw = _raw(headers, name)
    try:
        return str(make_header(decode_header(raw)))
    except Exception:  # an unknown charset, a broken encoded word
        return raw


def _header(message: EmailMessage, headers: Message, name: str) -> str:
    """A header decoded (encoded words, charsets); its raw text if it cannot be."""
    try:
        value = message.get(name)
        return str(value) if value is not None else ""
    except Exception:  # the stdlib's header parser raises more than it documents
        return _raw(headers, name)


def _addresses(message: EmailMessage, headers: Message, name: str) -> list[tuple[str, str]]:
    try:
        value = message.get(name)
        if value is None:
            return []
        return [(one_line(a.display_name), a.addr_spec) for a in value.addresses]
    except Exception:  # a malformed address list: read it the forgiving old way
        return [(one_line(n), a) for n, a in getaddresses([_raw(headers, name)])]


def _plain_address(value: str) -> str:
    """An address fit for an envelope: one ``local@domain``, nothing that breaks a line."""
    value = value.strip()
    if not value or _CONTROLS.search(value) or any(c in value for c in ' ,;<>"()'):
        return ""
    if _unescaped(value) != value:  # raw bytes no mail server could deliver to
        return ""
    local, at, domain = value.rpartition("@")
    return value if at and local and domain else ""


def _sender(message: EmailMessage, headers: Message) -> tuple[str, str]:
    found = _addresses(message, headers, "From")
    if not found:
        name, address = parseaddr(_raw(headers, "From"))
        found = [(one_line(name), address)]
    name, address = found[0]
    return name, _plain_address(address)


def _reply_to(message: EmailMessage, headers: Message) -> str:
    for _, address in _addresses(message, headers, "Reply-To"):
        if plain := _plain_address(address):
            return plain
    return ""


def _header_hash(raw: bytes) -> str:
    """An id for a mail without a Message-ID: the same mail always hashes the same."""
    head, _, _ = raw.partition(b"\r\n\r\n")
    if len(head) == len(raw):
        head, _, _ = raw.partition(b"\n\n")
    return "sha256-" + hashlib.sha256(head).hexdigest()[:32]


def _nature(headers: Message, sender: str, own_address: str) -> Nature:
    if sender and sender.casefold() == own_address.casefold():
        return Nature.OWN
    content_type = _raw(headers, "Content-Type").lower()
    local_part = sender.partition("@")[0].casefold()
    return_path = _raw(headers, "Return-Path").strip()
    if (
        "multipart/report" in content_type
        or not sender
        or local_part in ("mailer-daemon", "postmaster")
        or return_path == "<>"
    ):
        return Nature.BOUNCE
    auto_submitted = _raw(headers, "Auto-Submitted").strip().lower()
    precedence = _raw(headers, "Precedence").strip().lower()
    if (
        (auto_submitted and auto_submitted != "no")
        or headers.get("X-Autoreply") is not None
        or headers.get("X-Autorespond") is not None
        or precedence in ("bulk", "junk", "list")
        or headers.get("List-Id") is not None
    ):
        return Nature.AUTO_REPLY
    return Nature.QUESTION


# -- body --------------------------------------------------------------------------------


def _body_and_attachments(
    message: EmailMessage, raw: bytes, whole: bool
) -> tuple[str, list[Attachment]]:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    body = _readable(part) if part is not None else ""
    if part is None and not message.is_multipart():
        body = _readable(message) if message.get_content_maintype() != "multipart" else ""
    if not body.strip() and message.defects:
        body = _text_after_headers(raw)
    attachments = _attachments(message, part, whole)
    return body.replace("\r\n", "\n").replace("\r", "\n"), attachments


def _readable(part: Message) -> str:
    """A text part's words in its own charset; an undecodable one read as UTF-8 with stand-ins."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except Exception:  # an unknown charset (LookupError), broken encodings
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        if len(content) > MAX_HTML_CHARS:
            return html_to_text(content[:MAX_HTML_CHARS]) + _CUT
        return html_to_text(content)
    return content


def _text_after_headers(raw: bytes) -> str:
    """The body as text, for a mail whose MIME structure could not be followed."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        _, found, body = raw.partition(separator)
        if found:
            return body[: MAX_TEXT_CHARS * 4].decode("utf-8", "replace")
    return ""


def _attachments(message: EmailMessage, body: Message | None, whole: bool) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        try:
            filename = part.get_filename()
            disposition = part.get_content_disposition()
        except Exception:
            filename, disposition = None, None
        content_type = part.get_content_type()
        if disposition != "attachment" and not filename and part.get_content_maintype() == "text":
            continue  # another rendering of the body (the HTML beside the plain text)
        if part is message and not filename:
            continue  # a single-part mail is its body
        size = None
        if whole:
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else None
        name = one_line(filename) if filename else f"unnamed {content_type}"
        found.append(Attachment(name=name, type=content_type, size=size))
    return found
