"""The desk's vocabulary: messages, conversations, events and the state machine.

Pure data and pure functions; no I/O, no clock, no Textual.
"""

from askdesk.model.conversation import Conversation
from askdesk.model.message import (
    Event,
    Kind,
    Message,
    Outcome,
    QuestionType,
    Resolution,
    Role,
    Status,
)
from askdesk.model.reply import Reply, ReplyStatus

__all__ = [
    "Conversation",
    "Event",
    "Kind",
    "Message",
    "Outcome",
    "QuestionType",
    "Reply",
    "ReplyStatus",
    "Resolution",
    "Role",
    "Status",
]
