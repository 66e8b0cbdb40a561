"""A transaction as the PostgreSQL store keeps it: a JSON object of its fields, and back."""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import UTC, datetime, timedelta

import orjson

from askdesk.model import Kind, Message, Outcome, QuestionType
from askdesk.model import transitions as t
from askdesk.model.transactions import Transaction, transactions_of
from askdesk.store.transaction_record import from_record, to_record

AT = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)


def a_transaction() -> Transaction:
    message = Message(
        channel="sms",
        remote_id="1",
        kind=Kind.DIRECT,
        author="+15550100",
        text="Is the library open?",
        received_at=AT,
    )
    c = t.start(message, AT)
    c = t.flag(c, "ana", AT + timedelta(minutes=1), "rude")
    c = t.resolve(c, "ana", AT + timedelta(minutes=5), Outcome.REFERRED, QuestionType.POLICY, 3)
    [transaction] = transactions_of(c)
    return transaction


def test_every_field_goes_to_json_and_comes_back_as_it_was() -> None:
    transaction = a_transaction()
    record = orjson.loads(orjson.dumps(to_record(transaction)))  # as the database keeps it
    assert set(record) == {f.name for f in fields(Transaction)}
    assert record["resolved_at"] == "2024-05-06T14:05:00+00:00"
    assert record["outcome"] == "referred"
    back = from_record(record)
    assert back == transaction
    assert all(
        type(getattr(back, f.name)) is type(getattr(transaction, f.name))
        for f in fields(Transaction)
    )


def test_a_field_the_record_lacks_takes_its_default() -> None:
    """A row written before a field with a default was added to ``Transaction``."""
    transaction = a_transaction()
    defaulted = [
        f
        for f in fields(Transaction)
        if f.default is not MISSING or f.default_factory is not MISSING
    ]
    assert defaulted, "Transaction has no field with a default to leave out"
    record = to_record(transaction)
    for f in defaulted:
        del record[f.name]
    back = from_record(record)
    for f in defaulted:
        default = f.default if f.default is not MISSING else f.default_factory()
        assert getattr(back, f.name) == default
