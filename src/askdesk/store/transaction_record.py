"""A ``Transaction`` as a plain JSON object and back, field by field.

Generic over ``dataclasses.fields``: a field added to ``Transaction`` is kept
without a change here, as long as it is a plain value (text, number, truth,
time, one of the model's enums; an optional, tuple, list or dict of those).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from askdesk.model.transactions import Transaction

Decode = Callable[[Any], Any]


def to_record(transaction: Transaction) -> dict[str, Any]:
    """Every field of ``transaction`` as JSON: times as ISO 8601, enums as their values."""
    return {f.name: _plain(getattr(transaction, f.name)) for f in fields(Transaction)}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def from_record(record: dict[str, Any]) -> Transaction:
    """The transaction ``to_record`` wrote.

    A field the record lacks takes its default (a field added with one, kept
    by an askdesk that did not know it yet); one without a default is an
    error. Keys that are no field (a newer askdesk's) are left out.
    """
    names, converted = _decoders()
    values = record if record.keys() <= names else {k: record[k] for k in names & record.keys()}
    values = dict(values)
    for name, decode in converted:
        if name in values:
            values[name] = decode(values[name])
    return Transaction(**values)


@cache
def _decoders() -> tuple[frozenset[str], tuple[tuple[str, Decode], ...]]:
    """Every field's name, and a decoder for each field whose JSON is not its value
    (times, enums), worked out once from the field types: reading 100,000
    transactions must not look at their types 100,000 times."""
    hints = typing.get_type_hints(Transaction)
    decoders = ((f.name, _decoder(hints[f.name])) for f in fields(Transaction))
    return (
        frozenset(f.name for f in fields(Transaction)),
        tuple((name, decode) for name, decode in decoders if decode is not _same),
    )


def _decoder(kind: Any) -> Decode:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        inner = [_decoder(a) for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"a transaction field of type {kind} cannot be kept as a record")
        one = inner[0]
        if one is _same:
            return _same
        return lambda value: None if value is None else one(value)
    if origin in (tuple, list):
        item = _decoder(args[0]) if args else _same
        container: Callable[[Any], Any] = origin
        return lambda value: container(item(v) for v in value)
    if origin is dict:
        value_of = _decoder(args[1]) if args else _same
        if value_of is _same:
            return _same
        return lambda value: {k: value_of(v) for k, v in value.items()}
    if kind is datetime:
        return datetime.fromisoformat
    if isinstance(kind, type) and issubclass(kind, Enum):
        # A dict lookup instead of ``Kind(value)``: Enum's call is the slow part.
        members = {member.value: member for member in kind}
        return members.__getitem__
    if kind in (str, int, float, bool):
        return _same
    raise TypeError(f"a transaction field of type {kind} cannot be kept as a record")


def _same(value: Any) -> Any:
    return value
