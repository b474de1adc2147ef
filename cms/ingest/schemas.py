"""Response shape of the ingest endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from cms.articles.schemas import ArticleSchema, ArticleView, BylineSchema, DatelineSchema
from cms.core.pagination import CursorArgsSchema
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


class NotAppliedSchema(Schema):
    """A part of a new take that overlapped the desk's edits: the desk's text stayed."""

    field = fields.String()
    paragraph = fields.Integer(
        metadata={"description": "For the body: index of the paragraph in the previous take."}
    )
    previous_take = fields.Raw(metadata={"description": "The part in the previous take."})
    desk = fields.Raw(metadata={"description": "The part as the desk left it (kept)."})
    take = fields.Raw(metadata={"description": "The part in this take (not applied)."})


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
    not_applied = fields.List(
        fields.Nested(NotAppliedSchema),
        attribute="result.not_applied",
        metadata={
            "description": "A new take: the parts the desk had edited too, so its text stayed."
        },
    )
    follows = fields.Integer(
        attribute="result.follows",
        allow_none=True,
        metadata={"description": "The killed story this take follows: a new draft was started."},
    )


#: Most takes on one page: each is diffed against the one before it while the page is made.
TAKES_PER_PAGE_MAX = 5


class TakePageArgsSchema(CursorArgsSchema):
    """Pages of takes are short: a take of 1 MB takes about a second to diff."""

    limit = fields.Integer(
        load_default=TAKES_PER_PAGE_MAX,
        validate=validate.Range(min=1, max=TAKES_PER_PAGE_MAX),
        metadata={"example": TAKES_PER_PAGE_MAX},
    )


class TakeSchema(Schema):
    """One piece of copy ingested into the story, with the diff from the previous take."""

    id = fields.Integer(attribute="copy.id")
    received_at = fields.AwareDateTime(attribute="copy.received_at")
    received_by = fields.String(attribute="copy.received_by.name")
    revision = fields.Integer(
        attribute="copy.revision_number",
        metadata={"description": "The article's head revision after this take."},
    )
    source_id = fields.String(attribute="copy.source_id", allow_none=True)
    source_stamp = fields.Nested(
        StampSchema,
        attribute="copy.source_stamp",
        allow_none=True,
        metadata={"description": "The source's own 'Last Updated' stamp, as recognised."},
    )
    headline = fields.String(attribute="copy.headline")
    dropped = fields.Function(
        lambda take: take.copy.report.get("dropped", []),
        metadata={"description": "Lines dropped as boilerplate."},
    )
    warnings = fields.Function(lambda take: take.copy.report.get("warnings", []))
    not_applied = fields.Function(
        lambda take: take.copy.report.get("not_applied", []),
        metadata={"description": "Parts of the take not applied: the desk had edited them too."},
    )
    summary = fields.String(
        allow_none=True, metadata={"description": "The diff from the previous take in one line."}
    )
    diff = fields.Dict(
        allow_none=True,
        metadata={
            "description": "From the previous take (`null` for the first): as "
            "`GET /api/v1/articles/{id}/diff` gives `fields`, `body` and `stats`."
        },
    )
