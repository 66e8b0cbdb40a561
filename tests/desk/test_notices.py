"""Mail that is no question (out-of-office, bounces) noted on its conversation; folded rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from askdesk.channels import Notice
from askdesk.desk import Desk
from askdesk.desk.views import row_for
from askdesk.model import Outcome, QuestionType, Status
from askdesk.store import TinyDBStore
from tests.conftest import NOW, MessageFactory


def test_a_notice_is_noted_once_and_changes_no_status(
    desk: Desk, make_message: MessageFactory
) -> None:
    desk.ingest([make_message("1")])
    desk.resolve("web:1", Outcome.ANSWERED, QuestionType.POLICY, 1)
    away = Notice("ooo-1", "auto-reply", NOW, conversation="1")
    nowhere = Notice("ooo-2", "bounce", NOW, conversation="unknown")
    assert desk.record_notices("web", [away, nowhere, away]) == [nowhere]
    conversation = desk.get("web:1")
    assert conversation is not None and conversation.status is Status.RESOLVED
    notices = [e for e in conversation.events if e.action == "notice"]
    assert [(e.details["what"], e.details["id"]) for e in notices] == [("auto-reply", "ooo-1")]
    assert desk.live() == [conversation]


def test_a_row_shows_the_text_up_to_its_fold_and_the_store_keeps_the_fold(
    desk: Desk, make_message: MessageFactory, store_path: Path
) -> None:
    text = "Subject\n\nMy own words\n\n> quoted earlier mail"
    message = replace(make_message("2", text), fold_at=text.index("\n\n>"))
    desk.ingest([message])
    conversation = TinyDBStore(store_path).get("web:2")
    assert conversation is not None and conversation.latest.fold_at == message.fold_at
    assert conversation.latest.text == text
    row = row_for(conversation, NOW, timedelta(hours=1))
    assert row.preview == "Subject My own words"
