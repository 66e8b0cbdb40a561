"""Send one reply through the desk's real outbox and read back what it recorded."""

from __future__ import annotations

from askdesk.channels.base import Sender
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.model import Reply


def send_through_outbox(desk: Desk, adapter: Sender, key: str, text: str) -> Reply:
    """Queue ``text`` on ``key``, send it with ``adapter`` and return the reply as recorded."""
    outbox = Outbox(desk, {adapter.name: adapter})
    _, reply = outbox.queue(key, text)
    outbox.send(key, reply.id)
    conversation = desk.get(key)
    assert conversation is not None
    found = conversation.reply(reply.id)
    assert found is not None
    return found
