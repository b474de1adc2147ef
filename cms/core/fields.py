"""marshmallow fields of our own: text no database would store faithfully, text that
must show something, dates as ISO 8601 text, and fields that read their values from a
named attribute path."""

from __future__ import annotations

import copy
import re
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.utils import get_value

from cms.core.text import is_visible

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Text(fields.String):
    """A string without NUL, control characters or lone surrogates.

    PostgreSQL cannot store NUL, and a lone surrogate cannot be encoded as UTF-8;
    both would otherwise fail at the database as a 500. ``multiline`` allows
    newlines and tabs (bodies, decks); single-line text (headlines) refuses them.
    """

    def __init__(self, *, multiline: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Not valid Unicode text (lone surrogate).") from None
        if _CONTROL.search(text) or (not self.multiline and _LINE_BREAK.search(text)):
            raise ValidationError("Contains control characters.")
        return text


class VisibleText(Text):
    """Text that must show something: every required text field is one.

    On top of :class:`Text`'s rules, text made only of spaces, zero-width or
    other format characters (see :func:`cms.core.text.is_visible`) is refused:
    stored, it would be a headline or a name nobody can see. ``maximum`` bounds
    the length (give the constant the column is sized by).
    """

    def __init__(self, maximum: int | None = None, **kwargs) -> None:
        if maximum is not None:
            validators = kwargs.pop("validate", None) or []
            if callable(validators):
                validators = [validators]
            kwargs["validate"] = [validate.Length(min=1, max=maximum), *validators]
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not is_visible(text):
            raise ValidationError("Must show something: not only spaces or invisible characters.")
        return text


class ISODate(fields.String):
    """A calendar date as ISO 8601 text, ``YYYY-MM-DD``; loaded and dumped as that text.

    Documents store dates as text in JSON, so the loaded value is the text
    itself, checked to be a real date: what is stored reads back unchanged.
    Other spellings (``20261125``, week dates, non-ASCII digits) are refused.
    OpenAPI shows it as a string of format ``date``.
    """

    def __init__(self, **kwargs) -> None:
        kwargs["metadata"] = {"format": "date", **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValidationError("Not a date: send YYYY-MM-DD.")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValidationError("Not a date on the calendar.") from None

    def _serialize(self, value: Any, attr, obj, **kwargs) -> str | None:
        if value is None:
            return None
        return value.isoformat() if isinstance(value, date) else str(value)


class UTCDateTime(fields.AwareDateTime):
    """An ISO 8601 time with an offset, loaded as an aware datetime in UTC.

    Naive times are refused (they would be guesses), and so are times with no
    UTC equivalent (year 1 or 9999 with an offset), which would otherwise
    overflow on the way to the database.
    """

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Out of range once converted to UTC.") from None


def fields_at(
    path: str, schema: type[Schema], *, exclude: Collection[str] = ()
) -> dict[str, fields.Field]:
    """Return copies of ``schema``'s fields that read their values at attribute ``path``.

    For a response that shows an object's fields beside values that are not
    the object's own (a key shown once, stamps in the display zone): the view
    dumps a small dataclass holding the object at ``path`` and those values,
    and the schema says where each value is read. ``fields.Function`` fields
    are given the object at ``path``. Fields named in ``exclude`` are left out.
    """
    moved: dict[str, fields.Field] = {}
    for name, field in schema().declared_fields.items():
        if name in exclude:
            continue
        field = copy.deepcopy(field)
        if isinstance(field, fields.Function) and field.serialize_func:
            function = field.serialize_func
            field.serialize_func = lambda obj, function=function: function(get_value(obj, path))
        else:
            field.attribute = f"{path}.{field.attribute or name}"
        moved[name] = field
    return moved


class JSONBoolean(fields.Boolean):
    """A JSON boolean in a request body: ``true`` or ``false`` only.

    marshmallow's ``Boolean`` also takes ``0``, ``1``, ``"yes"`` and the like;
    the OpenAPI documents say ``boolean``, so a body must send one.
    """

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
