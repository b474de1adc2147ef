"""The shape of a search hit's highlights, shared by the editors' and the partners' APIs."""

from __future__ import annotations

from marshmallow import Schema, fields


class HighlightsSchema(Schema):
    """Where a search hit matched: HTML-escaped text, the matched words in `<mark>`."""

    headline = fields.String(required=True)
    fragments = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Up to two excerpts of the deck, bylines, keywords and body."},
    )
