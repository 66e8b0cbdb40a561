"""XMPP message stanzas as askdesk sees them: a patron's question, a patron leaving, or nothing.

Pure functions over the XML (ElementTree) of a stanza, so a message that
arrives live, from offline storage or from the archive (XEP-0313) reads the
same, and the same message gets the same key whichever way it came.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import quote, unquote
from xml.etree.ElementTree import Element

from askdesk.channels.base import PatronLeft
from askdesk.model import Kind, Message

CLIENT = "{jabber:client}"
STANZA_ID = "{urn:xmpp:sid:0}stanza-id"
DELAY = "{urn:xmpp:delay}delay"
NICK = "{http://jabber.org/protocol/nick}nick"
CHAT_STATES = "{http://jabber.org/protocol/chatstates}"
CARBONS = ("{urn:xmpp:carbons:2}sent", "{urn:xmpp:carbons:2}received")
MAM_RESULT = "{urn:xmpp:mam:2}result"
FORWARDED = "{urn:xmpp:forward:0}forwarded"

QUESTION_TYPES = frozenset({"chat", "normal"})
"""1:1 messages; ``groupchat``, ``headline`` and ``error`` are never questions."""

URI = "xmpp:"


def bare(jid: str) -> str:
    """``patron@example.org/phone`` → ``patron@example.org``; domain and user are caseless."""
    address = jid.partition("/")[0]
    local, at, domain = address.rpartition("@")
    return f"{local.lower()}{at}{domain.lower()}"


def address_uri(jid: str) -> str:
    """The patron's address as an RFC 5122 URI (``xmpp:patron@example.org/phone``)."""
    return URI + quote(jid, safe="@/!$&'()*+,;=")


def jid_of(uri: str | None) -> str | None:
    """The JID in an ``xmpp:`` URI made by ``address_uri``; ``None`` for anything else."""
    if uri is None or not uri.startswith(URI):
        return None
    return unquote(uri.removeprefix(URI)) or None


def _stamp(element: Element | None) -> datetime | None:
    stamp = element.get("stamp") if element is not None else None
    if not stamp:
        return None
    try:
        at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def read(
    stanza: Element,
    *,
    channel: str,
    account: str,
    now: datetime,
    archive_id: str | None = None,
    archived_at: datetime | None = None,
) -> Message | PatronLeft | None:
    """What a ``<message/>`` stanza sent to ``account`` (our bare JID) means to the desk.

    The key is the server's stable id for it (XEP-0359 ``stanza-id`` stamped
    for our account, the same id the archive files it under); without one,
    the sender's own id qualified by who sent it (a client's ids are only
    unique per client); without either, an id of our own.
    """
    sender = stanza.get("from") or ""
    kind = stanza.get("type") or "normal"
    if not sender or kind not in QUESTION_TYPES or bare(sender) == account:
        return None  # our own account (another desk, a carbon), a group, a headline, an error
    if any(stanza.find(carbon) is not None for carbon in CARBONS):
        return None
    patron = bare(sender)
    body = stanza.find(f"{CLIENT}body")
    if body is None or body.text is None or body.text == "":
        # A chat state alone (typing, paused...); ``gone`` means the patron closed the chat.
        if stanza.find(f"{CHAT_STATES}gone") is not None:
            return PatronLeft(channel=channel, patron=patron, at=now)
        return None
    remote_id = archive_id or _server_id(stanza, account)
    if remote_id is None:
        own = stanza.get("id")
        remote_id = f"{patron}/{own}" if own else f"askdesk-{uuid.uuid4().hex}"
    nick = stanza.find(NICK)
    author = (nick.text or "").strip() if nick is not None else ""
    return Message(
        channel=channel,
        remote_id=remote_id,
        kind=Kind.CHAT,
        author=author or patron,
        text=body.text,
        received_at=archived_at or _stamp(stanza.find(DELAY)) or now,
        conversation=patron,
        url=address_uri(sender),
    )


def _server_id(stanza: Element, account: str) -> str | None:
    for element in stanza.findall(STANZA_ID):
        # Only the id our own server stamped for us: a sender can put any id in.
        if bare(element.get("by") or "") == account and element.get("id"):
            return element.get("id")
    return None


def was_delayed(stanza: Element) -> bool:
    """Whether the server held the message back (offline storage) before delivering it."""
    return stanza.find(DELAY) is not None


def read_archived(
    result: Element, *, channel: str, account: str, now: datetime
) -> tuple[Message | PatronLeft | None, str | None]:
    """A XEP-0313 ``<result/>``: what its forwarded message means, and its archive id."""
    archive_id = result.get("id")
    forwarded = result.find(FORWARDED)
    stanza = forwarded.find(f"{CLIENT}message") if forwarded is not None else None
    if stanza is None or forwarded is None:
        return None, archive_id
    at = _stamp(forwarded.find(DELAY))
    found = read(
        stanza, channel=channel, account=account, now=now, archive_id=archive_id, archived_at=at
    )
    # A ``gone`` from the archive is old news: the patron may well be back.
    return (found if isinstance(found, Message) else None), archive_id
