"""Visible text: what every "must not be blank" rule asks, and the fields built on it."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError

from cms.core.fields import ISODate, VisibleText
from cms.core.text import is_visible

#: Text that shows nothing: spaces of every kind, zero-width and other format
#: characters, a lone combining mark, blank look-alike letters.
INVISIBLE = [
    "",
    " ",
    "   ",
    "\u00a0\u2003\u3000",
    "\u200b",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u200e\u200f\u202a\u202e",
    " \u200b \u00ad ",
    "\u3164\u115f\u1160\uffa0",
    "\u2800",
    "\u0301",
    "\u2028\u2029\x85",
    "\ue000\U000f0000",
    "\U000e0041",
]
VISIBLE = ["a", " A ", "\u200bx", "7", ".", "\u20ac", "\U0001f600", "\u4e2d", "\u0627", "e\u0301"]


@pytest.mark.parametrize("text", INVISIBLE)
def test_text_made_of_invisible_characters_shows_nothing(text):
    assert not is_visible(text)


@pytest.mark.parametrize("text", VISIBLE)
def test_one_letter_digit_mark_or_symbol_shows(text):
    assert is_visible(text)


class _Named(Schema):
    name = VisibleText(10, required=True)
    day = ISODate()


@pytest.mark.parametrize("text", INVISIBLE)
def test_visible_text_refuses_what_shows_nothing(text):
    with pytest.raises(ValidationError) as refused:
        _Named().load({"name": text})
    assert list(refused.value.messages) == ["name"]


def test_visible_text_keeps_its_length_bound_and_text_rules():
    assert _Named().load({"name": "Rita"}) == {"name": "Rita"}
    for text in ("x" * 11, "nul\x00", "line\nbreak"):
        with pytest.raises(ValidationError):
            _Named().load({"name": text})


def test_an_iso_date_loads_and_dumps_as_the_same_text():
    loaded = _Named().load({"name": "Rita", "day": "2026-11-25"})

    assert loaded["day"] == "2026-11-25"
    assert _Named().dump(loaded) == {"name": "Rita", "day": "2026-11-25"}
