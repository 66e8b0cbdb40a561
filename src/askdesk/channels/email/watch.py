"""IMAP IDLE: the server says the moment mail arrives, and the mailbox is read then.

A second connection waits in IDLE on the folder, in a thread of its own;
when the server reports new mail it raises a flag the poller reads every
second (``EmailChannel.woken``). The fetch itself stays the polled one
(cursor, dedup, ``\\Seen`` after the store), so a mailbox is read the same
way whether its server offers IDLE or not: without IDLE it is only polled.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import threading
import time
from collections.abc import Callable

from askdesk.channels.email.connection import Imap, Server
from askdesk.errors import ChannelError

log = logging.getLogger(__name__)

CHECK_S = 1.0
"""How often the waiting connection looks up from IDLE to see whether it should stop."""
RENEW_S = 25 * 60.0
"""IDLE is renewed before the 29 minutes after which RFC 2177 lets a server drop it."""
BACKOFF_S = (1.0, 2.0, 5.0, 15.0, 60.0)
"""Waits before reconnecting after a failure; the polls go on meanwhile."""


class Watcher:
    """Holds a connection in IDLE on ``folder`` while started; ``arrived`` is set on new mail."""

    def __init__(self, server: Server, context: Callable[[], ssl.SSLContext], folder: str) -> None:
        self.server = server
        self.context = context
        self.folder = folder
        self.arrived = threading.Event()
        self.idling = threading.Event()
        """Set while the server is listening in IDLE: what a test waits on."""
        self.unsupported = False
        """The server offers no IDLE: the mailbox is only polled."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running or self.unsupported:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="askdesk-imap-idle", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with Imap.session(self.server, self.context()) as imap:
                    if not imap.can_idle:
                        self.unsupported = True
                        log.info("%s offers no IMAP IDLE: polled only", self.server.where)
                        return
                    imap.select(self.folder, readonly=True)
                    failures = 0
                    self._idle(imap)
            except (ChannelError, OSError, imaplib.IMAP4.error) as error:
                # The polls report the mailbox's trouble on the health line; here it
                # only delays the next IDLE.
                log.info("IMAP IDLE on %s stopped: %s", self.server.where, error)
            finally:
                self.idling.clear()
            wait = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
            failures += 1
            self._stop.wait(wait)

    def _idle(self, imap: Imap) -> None:
        client = imap.client
        while not self._stop.is_set():
            client.idle()
            self.idling.set()
            started = time.monotonic()
            try:
                while not self._stop.is_set() and time.monotonic() - started < RENEW_S:
                    responses = client.idle_check(timeout=CHECK_S)
                    if any(_is_new_mail(response) for response in responses):
                        self.arrived.set()
            finally:
                self.idling.clear()
                client.idle_done()


def _is_new_mail(response: object) -> bool:
    """``(n, b"EXISTS")``/``(n, b"RECENT")``: the folder has n mails, some new."""
    return (
        isinstance(response, tuple) and len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")
    )
