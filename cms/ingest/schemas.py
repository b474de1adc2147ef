"""Response shape of the ingest endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields

from cms.articles.schemas import ArticleSchema, ArticleView, BylineSchema, DatelineSchema
from cms.ingest.operations import IngestResult


class StampSchema(Schema):
    text = fields.String()
    date = fields.String(metadata={"description": "YYYY-MM-DD"})
    datetime = fields.String(
        metadata={"description": "ISO 8601 with offset, when the copy gives a time and zone."}
    )
    timezone = fields.String(metadata={"description": "The zone as written, e.g. EDT."})


class RecognisedSchema(Schema):
    """What the parser found in the copy."""

    headline = fields.String(allow_none=True)
    dateline = fields.Nested(DatelineSchema, allow_none=True)
    bylines = fields.List(fields.Nested(BylineSchema))
    stamp = fields.Nested(
        StampSchema,
        allow_none=True,
        metadata={"description": "The source's own 'Last Updated' stamp."},
    )
    paragraphs = fields.Function(lambda parsed: len([p for p in parsed.body.split("\n\n") if p]))
    dropped = fields.List(
        fields.String(), metadata={"description": "Lines dropped as boilerplate."}
    )
    source_id = fields.String(allow_none=True)
    recognisers = fields.List(fields.String())


@dataclass(frozen=True)
class IngestOutcome:
    """What :class:`IngestResultSchema` dumps: the result, its article as editors see it."""

    result: IngestResult
    article: ArticleView


class IngestResultSchema(Schema):
    article = fields.Nested(ArticleSchema)
    article_created = fields.Boolean(attribute="result.article_created")
    revision_created = fields.Boolean(attribute="result.revision_created")
    duplicate = fields.Boolean(
        attribute="result.duplicate",
        metadata={"description": "The same copy was ingested before; nothing was stored."},
    )
    recognised = fields.Nested(RecognisedSchema, attribute="result.parsed")
    warnings = fields.List(
        fields.String(),
        attribute="result.warnings",
        metadata={"description": "What could not be recognised."},
    )
