"""A reply's words and an event's author come from outside (what staff paste, a
platform's error, id and delivery status, the handle a library's own message was
sent from): whatever a TinyDB store keeps, every backend keeps, a NUL included."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storekit import T0, OpenStore, make_message

from askdesk.model import Reply, Role
from askdesk.model import replying as r
from askdesk.store import Store

AT = T0 + timedelta(hours=1)
PASTED = "Pasted from a PDF:\x00 open at nine"
ERROR = "HTTP 400: no such user @ada\x00"
SENDER = "library\x00desk"


def test_a_nul_in_a_reply_or_an_events_author_is_kept_as_it_came(
    store: Store, open_store_here: OpenStore
) -> None:
    own = replace(
        make_message("own", 1, conversation="thread"), role=Role.SENT_ELSEWHERE, author=SENDER
    )
    store.ingest([make_message("q1", conversation="thread")], AT)
    store.ingest([own], AT)
    reply = Reply(id="r1", text=PASTED, staff="ana", created_at=AT)
    store.update("demo:q1", lambda c: r.queue_reply(c, reply, AT))
    store.update("demo:q1", lambda c: r.take_for_sending(c, "r1", AT, "host:1"))
    failed = store.update("demo:q1", lambda c: r.record_failure(c, "r1", AT, ERROR, AT))
    store.update("demo:q1", lambda c: r.take_for_sending(c, "r1", AT, "host:1"))
    store.update("demo:q1", lambda c: r.record_sent(c, "r1", AT, "post\x001"))
    sent = store.update("demo:q1", lambda c: r.record_delivery(c, "r1", AT, "queued\x00"))

    assert failed.replies[0].last_error == ERROR
    assert [e.staff for e in sent.events].count(SENDER) == 1
    assert (sent.replies[0].text, sent.replies[0].remote_id) == (PASTED, "post\x001")
    assert sent.replies[0].delivery == "queued\x00"
    other = open_store_here()
    assert other.get("demo:q1") == sent
    assert store.get("demo:own") == sent
