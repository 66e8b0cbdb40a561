"""IMAP IDLE: mail is on the desk within seconds, whatever ``poll_seconds`` says."""

from __future__ import annotations

import time
from datetime import timedelta

from askdesk.desk.sync import Poller
from tests.mail.mailkit import Mailbox, patron_mail

WAIT_S = 15.0


def wait_for(condition: object, poller: Poller | None = None) -> bool:
    """``condition()`` within ``WAIT_S``, with ``poller.poll_due()`` as the app's worker runs it."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if poller is not None:
            poller.poll_due()
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_idle_brings_mail_in_at_once_not_at_the_poll_interval(mailbox: Mailbox) -> None:
    channel = mailbox.build(poll_seconds=3600)
    poller = Poller(mailbox.desk, [channel])
    try:
        assert [r.added for r in poller.poll_due()] == [0]
        assert wait_for(lambda: channel.watching)
        mailbox.deliver(patron_mail("Is the map room open?"))
        started = time.monotonic()
        assert wait_for(lambda: mailbox.desk.live(), poller)
        assert time.monotonic() - started < 10  # not the hour poll_seconds asks for
        assert mailbox.desk.live()[0].latest.text == "A question\n\nIs the map room open?"
    finally:
        poller.release()
    assert wait_for(lambda: not channel.watching)


def test_a_process_that_lost_the_lease_stops_listening(mailbox: Mailbox) -> None:
    mine, theirs = mailbox.build(poll_seconds=3600), mailbox.build(poll_seconds=3600)
    # This process polled first, with a lease that runs out at once (as if it hung).
    lapsed = Poller(mailbox.desk, [mine], holder="lapsed", lease_ttl=timedelta(0))
    other = Poller(mailbox.desk, [theirs], holder="other")
    try:
        lapsed.poll(mine)
        assert wait_for(lambda: mine.watching)
        other.poll(theirs)
        assert lapsed.poll(mine).skipped == "polled by other"
        assert wait_for(lambda: not mine.watching)
        assert wait_for(lambda: theirs.watching)
    finally:
        lapsed.release()
        other.release()
