"""One XMPP session held open: slixmpp on an asyncio loop in a thread of its own.

The desk's screen runs its own event loop, and a server that stops answering
must never freeze it, so the connection lives in a dedicated thread. It
reconnects by itself with backoff, catches up from the server's archive on
every (re)connect, and hands the sink each message as it arrives. Every way a
connection can fail ends as one plain sentence on the ``Link``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import threading
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from askdesk.channels.base import Link, LinkState, LiveSink, PatronLeft
from askdesk.channels.xmpp import stanzas
from askdesk.errors import PlatformUnavailable
from askdesk.model import Message

log = logging.getLogger(__name__)

BACKOFF_S: tuple[float, ...] = (1, 2, 5, 10, 30, 60)
"""Wait before reconnect attempt n; the last repeats. A good connection starts again at 1."""
CONNECT_TIMEOUT_S = 20.0
DIRECT_TLS_PORT = 5223
PING_EVERY_S = 30.0
"""A connection that died unnoticed (a NAT dropped it) is found within this plus the timeout."""
PING_TIMEOUT_S = 10.0
SEND_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0
CATCH_UP_PAGE = 100
MAM = "urn:xmpp:mam:2"
NO_ARCHIVE = (
    "the server keeps no message archive (XEP-0313): a message that reaches a connection "
    "as it dies is lost"
)


@dataclass(frozen=True)
class Settings:
    channel: str
    account: str
    """The library's bare JID."""
    resource: str
    server: str | None
    """Where to connect; ``None``: the JID's domain, through DNS SRV."""
    port: int
    ca_file: Path | None
    away_message: str


def _now() -> datetime:
    return datetime.now(UTC)


class Connection:
    def __init__(self, settings: Settings, password: str, sink: LiveSink, cursor: str | None):
        self.settings = settings
        self._password = password
        self._sink = sink
        self._cursor = cursor
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake: asyncio.Event | None = None
        self._client: Any = None
        """The slixmpp client of the session in force; ``None`` while not connected."""
        self._available = False
        self._shown: bool | None = None
        self._error: str | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None

    # -- the thread ----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._main, name=f"xmpp {self.settings.channel}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stopping.set()
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            # RuntimeError: the loop closed in between; the thread is ending anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._run())
        except Exception:
            log.exception("the XMPP connection of %s stopped", self.settings.channel)
        finally:
            _cancel_all(loop)
            loop.close()

    async def _run(self) -> None:
        self._wake = asyncio.Event()
        failures = 0
        while not self._stopping.is_set():
            self._report(Link(LinkState.CONNECTING, error=self._error))
            error, was_up = await self._session()
            if self._stopping.is_set():
                break
            failures = 0 if was_up else failures
            wait = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
            failures += 1
            self._error = error
            retry_at = _now() + timedelta(seconds=wait)
            self._report(Link(LinkState.RECONNECTING, error=error, retry_at=retry_at))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
        self._report(Link(LinkState.STOPPED, error=self._error))

    # -- one session ------------------------------------------------------------------

    async def _session(self) -> tuple[str, bool]:
        """Connect, serve until the connection ends; the reason it ended, and whether it was up."""
        s = self.settings
        loop = asyncio.get_running_loop()
        client = slixmpp.ClientXMPP(f"{s.account}/{s.resource}", self._password)
        client.enable_plaintext = False  # TLS or nothing: the password never goes in clear
        if s.ca_file is not None:
            client.ca_certs = s.ca_file
        for plugin in ("xep_0030", "xep_0059", "xep_0199", "xep_0203", "xep_0313", "xep_0359"):
            client.register_plugin(plugin)
        if s.server is not None:
            # A port named in the config speaks one way: 5223 is XMPP's direct TLS
            # port, any other starts plain and upgrades (STARTTLS). Trying both would
            # hand a TLS hello to a STARTTLS port on every connect.
            client.enable_direct_tls = s.port == DIRECT_TLS_PORT
            client.enable_starttls = s.port != DIRECT_TLS_PORT
        started: asyncio.Future[None] = loop.create_future()
        ended: asyncio.Future[None] = loop.create_future()
        where = f"{s.server or s.account.partition('@')[2]}:{s.port}"
        reasons: list[tuple[bool, str]] = []
        """Why the session ended, each marked specific (password, certificate) or not."""

        def end(reason: str, specific: bool = False) -> None:
            reasons.append((specific, reason))
            if not ended.done():
                ended.set_result(None)

        def failed_to_connect(error: Any) -> None:
            reasons.append((isinstance(error, ssl.SSLError), _describe(error, where)))

        def no_login(_: Any) -> None:
            if "starttls" not in client.features:
                end(
                    f"{where} offers no TLS; askdesk never sends the password unencrypted "
                    "(use a server with STARTTLS or direct TLS)",
                    specific=True,
                )
            else:
                end(f"the server refused the password for {s.account}", specific=True)

        def tls_failed(error: Any) -> None:
            # slixmpp names every failed STARTTLS handshake "invalid chain"; say which it was.
            end(_describe(error, where), specific=True)

        client.add_event_handler("session_start", lambda _: _settle(started))
        client.add_event_handler("connection_failed", failed_to_connect)
        # slixmpp would go round again by itself; we keep our own backoff and words.
        client.add_event_handler("reconnect_delay", lambda _: end(f"cannot reach {where}"))
        client.add_event_handler("failed_all_auth", no_login)
        client.add_event_handler("ssl_invalid_chain", tls_failed)
        client.add_event_handler(
            "stream_error", lambda e: end(_stream_error(e, where), specific=True)
        )
        client.add_event_handler("disconnected", lambda _: end(f"lost the connection to {where}"))
        # Every <message/>, not slixmpp's "message" event: that one fires only for
        # stanzas with a body, and a chat state (``gone``) has none.
        client.register_handler(
            Callback(
                "askdesk message", MatchXPath(f"{{{client.default_ns}}}message"), self._message
            )
        )
        client.add_event_handler("presence_unavailable", self._unavailable)
        if s.server is not None:
            client.connect(host=s.server, port=s.port)
        else:
            client.connect()
        await _first(started, ended, self._woken(), timeout=CONNECT_TIMEOUT_S)
        if not started.done():
            await self._close(client)
            if not reasons:
                return f"no answer from {where} within {CONNECT_TIMEOUT_S:.0f} s", False
            return _why(reasons), False
        self._error = None
        # Presence first, then the archive: the server hands offline messages only to
        # a session that has not queried its archive (Prosody's mod_mam), and from
        # the initial presence on, whatever arrives comes live. So a message sent
        # while we connect is offline, live or archived, never in between.
        self._client, self._shown = client, None
        self._show_presence()
        note = await self._catch_up(client)
        self._report(Link(LinkState.CONNECTED, note=note))
        pinger = asyncio.ensure_future(self._keep_alive(client, end, where))
        await _first(ended, self._woken())
        pinger.cancel()
        self._client = None
        await self._close(client)
        return _why(reasons) if reasons else "", True

    def _woken(self) -> Awaitable[bool]:
        assert self._wake is not None
        return self._wake.wait()

    async def _close(self, client: Any) -> None:
        try:
            if client.transport is not None:
                await asyncio.wait_for(client.disconnect(wait=1.0), STOP_TIMEOUT_S)
        except (TimeoutError, OSError):
            pass
        finally:
            client.cancel_connection_attempt()
            client.abort()

    async def _keep_alive(self, client: Any, end: Any, where: str) -> None:
        while True:
            await asyncio.sleep(PING_EVERY_S)
            try:
                await client.plugin["xep_0199"].ping(timeout=PING_TIMEOUT_S)
            except IqTimeout:
                end(f"{where} stopped answering (no reply to a ping in {PING_TIMEOUT_S:.0f} s)")
                return
            except IqError:
                pass  # an answer, even a refusal, says the connection is alive

    # -- what comes in ------------------------------------------------------------------

    async def _catch_up(self, client: Any) -> str | None:
        """Bring in what the archive holds after the cursor; the note to show, if any.

        Offline storage hands over what came while nobody was connected; the
        archive also has what reached a connection that died before we knew.
        Both arrive; the store keeps each message once by its key.
        """
        s = self.settings
        try:
            info = await client.plugin["xep_0030"].get_info(jid=s.account, timeout=10)
            features = set(info["disco_info"]["features"])
        except (IqError, IqTimeout):
            features = set()
        if MAM not in features:
            return NO_ARCHIVE
        mam = client.plugin["xep_0313"]
        try:
            if self._cursor is None:
                # The first connection: only learn where the archive ends.
                async for result in mam.iterate(reverse=True, total=1):
                    self._deliver([], _archive_id(result))
                return None
            batch: list[Message] = []
            last: str | None = None
            async for result in mam.iterate(rsm={"after": self._cursor, "max": CATCH_UP_PAGE}):
                found, archive_id = stanzas.read_archived(
                    result.xml.find(stanzas.MAM_RESULT),
                    channel=s.channel,
                    account=s.account,
                    now=_now(),
                )
                last = archive_id or last
                if isinstance(found, Message):
                    batch.append(found)
                if len(batch) >= CATCH_UP_PAGE:
                    self._deliver(batch, last)
                    batch = []
            if batch or last:
                self._deliver(batch, last)
        except (IqError, IqTimeout) as error:
            log.warning("catching up %s from the archive failed: %s", s.channel, error)
            return f"could not catch up from the archive: {_iq_error(error)}"
        return None

    def _message(self, stanza: Any) -> None:
        s = self.settings
        found = stanzas.read(stanza.xml, channel=s.channel, account=s.account, now=_now())
        if isinstance(found, Message):
            # Held back by the server (offline storage): older than what the archive
            # cursor may already say, so it must not move the cursor back.
            cursor = None if stanzas.was_delayed(stanza.xml) else found.remote_id
            self._deliver([found], cursor if found.remote_id == cursor else None)
        elif found is not None:
            try:
                self._sink.left(found)
            except Exception:
                log.exception("the desk could not take a departure on %s", s.channel)

    def _unavailable(self, presence: Any) -> None:
        sender = str(presence["from"])
        if sender and stanzas.bare(sender) != self.settings.account:
            patron = stanzas.bare(sender)
            try:
                self._sink.left(PatronLeft(self.settings.channel, patron, _now()))
            except Exception:
                log.exception("the desk could not take a departure on %s", self.settings.channel)

    def _deliver(self, messages: Sequence[Message], cursor: str | None) -> None:
        try:
            self._sink.arrived(messages, cursor)
        except Exception:
            # Not saved: the cursor did not move either, so the next catch-up brings them.
            log.exception("the desk could not take %d messages on %s", len(messages), self.name)
            return
        if cursor is not None:
            self._cursor = cursor

    @property
    def name(self) -> str:
        return self.settings.channel

    def _report(self, link: Link) -> None:
        try:
            self._sink.link_changed(link)
        except Exception:
            log.exception("the desk could not take the link state of %s", self.name)

    # -- what goes out ------------------------------------------------------------------

    def set_available(self, available: bool) -> None:
        self._available = available
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # RuntimeError: stopping; presence goes with the connection.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._show_presence)

    def _show_presence(self) -> None:
        client = self._client
        if client is None or self._shown == self._available:
            return
        if self._available:
            client.send_presence()
        else:
            client.send_presence(pshow="away", pstatus=self.settings.away_message)
        self._shown = self._available

    def send(self, to: str, text: str, stanza_id: str) -> None:
        """Send a ``chat`` message and wait until the server has it; from any thread."""
        loop, client = self._loop, self._client
        if loop is None or client is None:
            raise PlatformUnavailable("not connected to the chat server")
        future = asyncio.run_coroutine_threadsafe(self._send(client, to, text, stanza_id), loop)
        try:
            future.result(SEND_TIMEOUT_S + 1)
        except TimeoutError as error:
            future.cancel()
            raise PlatformUnavailable(
                f"the chat server did not confirm the reply within {SEND_TIMEOUT_S:.0f} s"
            ) from error

    async def _send(self, client: Any, to: str, text: str, stanza_id: str) -> None:
        message = client.make_message(mto=to, mbody=text, mtype="chat")
        message["id"] = stanza_id
        message.send()
        # The server handles a stream in order: once it answers a ping sent after
        # the message, it has the message (delivered, or stored for later).
        try:
            await client.plugin["xep_0199"].ping(timeout=SEND_TIMEOUT_S)
        except IqError:
            pass  # an answer all the same
        except IqTimeout as error:
            raise PlatformUnavailable(
                f"the chat server did not confirm the reply within {SEND_TIMEOUT_S:.0f} s"
            ) from error


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what slixmpp left running on ``loop`` and let it finish, before the loop closes."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _first(*waits: Awaitable[Any], timeout: float | None = None) -> None:
    """Wait until the first of ``waits`` is done (or ``timeout``).

    Futures the caller owns (``started``, ``ended``) are left as they are; the
    tasks made here for coroutines are cancelled.
    """
    tasks = [w if isinstance(w, asyncio.Future) else asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait, task in zip(waits, tasks, strict=True):
            if task is not wait and not task.done():
                task.cancel()


def _archive_id(result: Any) -> str | None:
    element = result.xml.find(stanzas.MAM_RESULT)
    return element.get("id") if element is not None else None


def _why(reasons: Sequence[tuple[bool, str]]) -> str:
    """The most telling reason: a refused password or certificate over "lost the connection"."""
    return next((text for specific, text in reasons if specific), reasons[0][1])


def _certificate(error: Any, where: str) -> str:
    detail = getattr(error, "verify_message", None) or getattr(error, "reason", None) or error
    return (
        f"the certificate of {where} does not verify ({detail}); "
        "set ca_file to trust a private CA or a self-signed server"
    )


def _describe(error: Any, where: str) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return _certificate(error, where)
    if isinstance(error, ssl.SSLError):
        return f"TLS with {where} failed ({error.reason or error})"
    if isinstance(error, OSError):
        reason = os.strerror(error.errno) if error.errno else str(error)
        return f"cannot reach {where} ({reason})"
    return f"cannot reach {where} ({error})"


def _stream_error(error: Any, where: str) -> str:
    condition = error["condition"] if error is not None else ""
    if condition == "conflict":
        return f"another connection to {where} took over this session"
    text = error["text"] if error is not None else ""
    return f"{where} closed the stream ({condition or 'error'}{': ' + text if text else ''})"


def _iq_error(error: IqError | IqTimeout) -> str:
    if isinstance(error, IqTimeout):
        return "no answer in time"
    return str(error.iq["error"]["condition"] or "refused")
