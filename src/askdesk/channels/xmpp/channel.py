"""The xmpp channel: the library's chat account, held open, answering patrons as they write.

``ADAPTER`` at the end is what the registry lists: the options a
``type = "xmpp"`` table takes. slixmpp is imported only when the channel
first connects (``connection``), so reading and checking the options costs
a desk nothing.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from askdesk.channels.base import Adapter, LiveSink, Receipt
from askdesk.channels.credentials import credential_options, load_secrets
from askdesk.channels.options import FilePath, Number, Options, Text
from askdesk.channels.redaction import guard_logs
from askdesk.channels.xmpp.stanzas import jid_of
from askdesk.config import NumberRange
from askdesk.errors import ChannelError, ConfigError, RefusedByPlatform
from askdesk.model import Conversation, Reply

if TYPE_CHECKING:
    from askdesk.channels.xmpp.connection import Connection

TYPE = "xmpp"
DEFAULT_PREFIX = "ASKDESK_XMPP_"
DEFAULT_PORT = 5222
DEFAULT_SESSION_GAP_MINUTES = 30.0
DEFAULT_AWAY_MESSAGE = "No one is at the desk right now; we'll answer as soon as we're back."
JID = r"[^@/\s]+@[^@/\s]+"
"""A bare JID: the library's account (``ask@library.example.org``)."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""What XML 1.0 cannot carry: a stanza holding one closes the whole stream."""


class XmppChannel:
    """A live channel on one chat account; also the ``Sender`` of its replies."""

    type = TYPE
    can_send_private = False
    """A chat is private already: there is one route, and it is that one."""

    def __init__(
        self,
        name: str,
        *,
        jid: str,
        password: str,
        server: str | None = None,
        port: int = DEFAULT_PORT,
        ca_file: Path | None = None,
        session_gap: timedelta = timedelta(minutes=DEFAULT_SESSION_GAP_MINUTES),
        away_message: str = DEFAULT_AWAY_MESSAGE,
    ) -> None:
        self.name = name
        self.jid = jid.lower()
        self._password = password
        self.server = server
        self.port = port
        self.ca_file = ca_file
        self.session_gap = session_gap
        self.away_message = away_message
        self._connection: Connection | None = None
        self._available = False

    # -- the live side ----------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connection.connected

    def start(self, sink: LiveSink, cursor: str | None) -> None:
        if self._connection is not None:
            return
        from askdesk.channels.xmpp.connection import Connection, Settings

        settings = Settings(
            channel=self.name,
            account=self.jid,
            resource=f"askdesk-{os.getpid()}",
            server=self.server,
            port=self.port,
            ca_file=self.ca_file,
            away_message=self.away_message,
        )
        self._connection = Connection(settings, self._password, sink, cursor)
        self._connection.set_available(self._available)
        self._connection.start()

    def set_available(self, available: bool) -> None:
        self._available = available
        if self._connection is not None:
            self._connection.set_available(available)

    def stop(self, timeout: float = 5.0) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.stop(timeout)

    # -- replies ---------------------------------------------------------------------

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """A ``chat`` message to the full JID the patron last wrote from (else the bare one)."""
        bad = _CONTROL.search(reply.text)
        if bad is not None:
            raise RefusedByPlatform(
                f"the reply holds a control character (U+{ord(bad.group()):04X}) that chat "
                "cannot carry; edit it out and send again"
            )
        connection = self._connection
        if connection is None or not connection.connected:
            raise ChannelError(f"{self.name} is not connected in this askdesk")
        # The patron's messages carry the address they wrote from; a full JID
        # whose client has gone is delivered by the server to the bare one.
        target = next(
            (jid for m in reversed(conversation.messages) if (jid := jid_of(m.url))), None
        )
        if target is None:
            raise RefusedByPlatform(f"{conversation.key} has no chat address to answer")
        connection.send(target, reply.text, reply.id)
        return Receipt(remote_id=reply.id)


def _build(name: str, options: Options) -> XmppChannel:
    """The channel of one ``[[channels]]`` table; the password is read (and checked) now."""
    secrets = load_secrets(options, ("PASSWORD",))
    password = secrets.get("PASSWORD")
    if password is None:
        raise ConfigError(
            f"channel {name!r} needs the password of {options.text('jid')}: set "
            f"{secrets.variable('PASSWORD')} in {secrets.source} (never in the config file)"
        )
    guard_logs(secrets.found(), ("slixmpp",))
    port = options.number("port")
    if not port.is_integer():
        raise ConfigError(f"channel {name!r}: port should be a whole number from 1 to 65535")
    ca_file = options.optional_path("ca_file")
    if ca_file is not None and not ca_file.is_file():
        raise ConfigError(f"channel {name!r}: ca_file {ca_file} is not a file")
    server = options.optional_text("server")
    return XmppChannel(
        name,
        jid=options.text("jid"),
        password=password,
        server=server,
        port=int(port),
        ca_file=ca_file,
        session_gap=timedelta(minutes=options.number("session_gap_minutes")),
        away_message=options.text("away_message"),
    )


ADAPTER = Adapter(
    type=TYPE,
    options=(
        Text(
            "jid",
            'the library\'s chat account (a JID such as "ask@library.example.org")',
            required=True,
            pattern=JID,
        ),
        Text("server", "the host to connect to (a string; default: the JID's domain, by DNS SRV)"),
        Number(
            "port",
            "the port to connect to (a whole number; 5223 means direct TLS)",
            default=DEFAULT_PORT,
            allowed=NumberRange(1, 65535, "(a TCP port)"),
        ),
        FilePath("ca_file", "a PEM file of the CA (or self-signed certificate) to trust"),
        *credential_options(DEFAULT_PREFIX),
        Number(
            "session_gap_minutes",
            "minutes after a resolve in which a patron's message reopens their chat (a number > 0)",
            default=DEFAULT_SESSION_GAP_MINUTES,
            allowed=NumberRange(0, 7 * 24 * 60, "minutes", low_allowed=False),
        ),
        Text(
            "away_message",
            "the status the chat account shows while no desk is open (a string)",
            default=DEFAULT_AWAY_MESSAGE,
        ),
    ),
    build=_build,
)
