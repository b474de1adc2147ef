"""Keyset pagination of ``select()`` statements: opaque cursors, never offsets."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import BigInteger, ColumnElement, Select, and_, literal, or_, tuple_
from sqlalchemy.orm import QueryableAttribute

from cms.core.errors import ValidationFailed
from cms.core.extensions import db


class CursorArgsSchema(Schema):
    """Query arguments shared by every cursor-paginated list."""

    limit = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Items per page.", "example": 20},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=512),
        metadata={"description": "The `next_cursor` of the previous page; omit for the first."},
    )


def cursor_page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """Return a schema class for one cursor page of ``item_schema`` objects."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null on the last."},
            ),
        },
        name=name,
    )


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column of a keyset order: the expression and its direction."""

    expression: ColumnElement[Any] | QueryableAttribute[Any]
    descending: bool = True


def keyset_page(
    statement: Select, order: Sequence[SortKey], *, limit: int, cursor: str | None, list_name: str
) -> dict:
    """Run ``statement`` for the page after ``cursor`` and return ``{"items", "next_cursor"}``.

    ``order`` must end in a unique key (usually the id) and its expressions must
    never be NULL; it replaces any order ``statement`` has. Each page is one
    indexed range scan whatever its depth: the cursor carries the sort values of
    the last item shown, not an offset. An item is the statement's one entity or
    column, or a tuple of its several. Raises :class:`ValidationFailed` for a
    cursor that ``list_name`` did not give out.
    """
    limit = page_size(limit)
    width = len(statement.column_descriptions)
    if cursor is not None:
        statement = statement.where(_after(order, decode_keys(list_name, cursor, order)))
    statement = (
        statement.add_columns(*(key.expression for key in order))
        .order_by(None)
        .order_by(
            *(key.expression.desc() if key.descending else key.expression.asc() for key in order)
        )
    )
    rows = db.session.execute(statement.limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(list_name, tuple(page[-1])[width:])
    items = [row[0] if width == 1 else tuple(row[:width]) for row in page]
    return {"items": items, "next_cursor": next_cursor}


def page_size(limit: int) -> int:
    """Return ``limit`` within the operators' bound, ``CMS_PAGE_SIZE_MAX``."""
    return min(limit, current_app.config["CMS_PAGE_SIZE_MAX"])


def _after(order: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Return the condition "sorts after ``values``" for keyset ``order``."""
    if len({key.descending for key in order}) == 1:
        columns = tuple_(*(key.expression for key in order))
        bound = tuple_(
            *(literal(v, key.expression.type) for key, v in zip(order, values, strict=True))
        )
        return columns < bound if order[0].descending else columns > bound
    # Mixed directions have no row-value form: (a > x) OR (a = x AND b < y) OR ...
    clauses = []
    for depth, key in enumerate(order):
        equal = [order[i].expression == values[i] for i in range(depth)]
        beyond = (
            key.expression < values[depth] if key.descending else key.expression > values[depth]
        )
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def encode_cursor(list_name: str, values: Sequence[Any]) -> str:
    """Return an opaque cursor for list ``list_name`` holding the sort ``values``."""
    payload = [list_name, [_encode_value(value) for value in values]]
    text = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_keys(list_name: str, cursor: str, order: Sequence[SortKey]) -> list[Any]:
    """Return the sort values in ``cursor``, each checked to fit its key's column.

    A value of the wrong type, an integer out of its column's range or text a
    database cannot compare (NUL, a lone surrogate) would fail in the database;
    such a cursor was not given out. Raises :class:`ValidationFailed`.
    """
    values = decode_cursor(list_name, cursor, len(order))
    if not all(_fits(key.expression.type, v) for key, v in zip(order, values, strict=True)):
        raise _not_given_out()
    return values


def _fits(column_type: Any, value: Any) -> bool:
    try:
        expected = column_type.python_type
    except NotImplementedError:
        return True
    if expected is int:
        bound = 2**63 if isinstance(column_type, BigInteger) else 2**31
        return isinstance(value, int) and -bound <= value < bound
    if isinstance(expected, type) and issubclass(expected, Enum):
        return any(value == member.value for member in expected)
    if expected is str:
        return isinstance(value, str) and "\x00" not in value and _encodable(value)
    return isinstance(value, expected)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_given_out() -> ValidationFailed:
    return ValidationFailed(
        "Not a cursor this list gave out.",
        errors={"query": {"cursor": ["Not a cursor this list gave out."]}},
    )


def decode_cursor(list_name: str, cursor: str, width: int) -> list[Any]:
    """Return the ``width`` sort values in ``cursor``.

    Raises :class:`ValidationFailed` for anything that is not a cursor of ``list_name``.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, values = json.loads(raw)
        if name != list_name or not isinstance(values, list) or len(values) != width:
            raise ValueError(cursor)
        return [_decode_value(value) for value in values]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise _not_given_out() from error


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.astimezone(UTC).isoformat()}
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"cannot put {value!r} in a cursor")
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(value)
    if isinstance(value, int) and abs(value) > 2**63 - 1:
        raise ValueError(value)
    return value
