"""Request and response shapes of the articles endpoints. Shape only, no rules."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, post_dump, validate
from webargs.fields import DelimitedList

from cms.articles.content import (
    BYLINE_AFFILIATION_MAX,
    BYLINE_NAME_MAX,
    BYLINE_ROLE_MAX,
    BYLINES_MAX,
    DATELINE_PART_MAX,
    DECK_MAX,
    HEADLINE_MAX,
    KEYWORD_MAX,
    KEYWORDS_MAX,
    LANGUAGE_MAX,
    MESSAGE_MAX,
    SECTION_MAX,
    SLUG_MAX,
)
from cms.articles.diffs.review import DEFAULT_CONTEXT
from cms.articles.diffs.review import LAYOUTS as REVIEW_LAYOUTS
from cms.articles.listing import FACETS, SORTS
from cms.articles.models import Article, ArticleStatus, FollowKind, PublicState, public_state
from cms.articles.operations import MergeInfo
from cms.articles.rendering import byline_text, dateline_text, display_stamp
from cms.articles.search.schemas import HighlightsSchema
from cms.articles.search.syntax import QUERY_MAX
from cms.auth.schemas import UserRefSchema
from cms.core.fields import ISODate, Text, UTCDateTime, VisibleText, fields_at
from cms.core.pagination import CursorArgsSchema

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$"
STAMPS = ("created_at", "updated_at", "first_published_at", "last_updated_at")


class DatelineSchema(Schema):
    """Where (and by whom) the story was filed."""

    city = VisibleText(DATELINE_PART_MAX, required=True, metadata={"example": "Dushanbe"})
    region = VisibleText(
        DATELINE_PART_MAX, allow_none=True, metadata={"description": "State or province."}
    )
    country = VisibleText(DATELINE_PART_MAX, allow_none=True, metadata={"example": "Tajikistan"})
    agency = VisibleText(DATELINE_PART_MAX, allow_none=True, metadata={"example": "Reuters"})
    date = ISODate(
        allow_none=True,
        metadata={"description": "Filing date, `YYYY-MM-DD`, if shown.", "example": "2026-11-25"},
    )
    text = fields.Function(
        dateline_text,
        dump_only=True,
        metadata={"description": "AP style, e.g. `DUSHANBE, Tajikistan (Reuters) —`."},
    )


class BylineSchema(Schema):
    name = VisibleText(BYLINE_NAME_MAX, required=True, metadata={"example": "Jane Roe"})
    role = VisibleText(BYLINE_ROLE_MAX, allow_none=True, metadata={"example": "reporter"})
    affiliation = VisibleText(
        BYLINE_AFFILIATION_MAX, allow_none=True, metadata={"example": "Reuters"}
    )


class ArticleWriteSchema(Schema):
    """Fields a writer may send; on PATCH every field is optional."""

    headline = VisibleText(HEADLINE_MAX)
    deck = Text(multiline=True, allow_none=True, validate=validate.Length(max=DECK_MAX))
    slug = Text(validate=[validate.Length(max=SLUG_MAX), validate.Regexp(SLUG_PATTERN)])
    body = Text(multiline=True, metadata={"description": "CommonMark; raw HTML is not rendered."})
    dateline = fields.Nested(DatelineSchema, allow_none=True)
    bylines = fields.List(fields.Nested(BylineSchema), validate=validate.Length(max=BYLINES_MAX))
    section = VisibleText(SECTION_MAX, allow_none=True, metadata={"example": "world"})
    keywords = fields.List(VisibleText(KEYWORD_MAX), validate=validate.Length(max=KEYWORDS_MAX))
    language = Text(
        validate=[validate.Length(max=LANGUAGE_MAX), validate.Regexp(LANGUAGE_PATTERN)],
        metadata={"example": "en"},
    )
    message = Text(
        load_only=True,
        validate=validate.Length(max=MESSAGE_MAX),
        metadata={"description": "Why you made this change; kept with the revision."},
    )


class ArticleCreateSchema(ArticleWriteSchema):
    headline = VisibleText(HEADLINE_MAX, required=True)


class FollowsSchema(Schema):
    """The story an article follows, and how: its lineage, which partners see both ways."""

    follows = fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.Range(min=1, max=2_147_483_647),
        metadata={"description": "The earlier story's id; `null`: it follows none."},
    )
    kind = fields.Enum(
        FollowKind,
        by_value=True,
        allow_none=True,
        metadata={
            "description": "`rewrite`, `new-lede` or `replacement` (of a killed story); "
            "required with `follows`."
        },
    )


class RestoreSchema(Schema):
    message = Text(validate=validate.Length(max=MESSAGE_MAX))


class ArticleListArgsSchema(CursorArgsSchema):
    """The editors' list: full-text search, filters, order and facets (``docs/search.md``)."""

    q = Text(
        validate=validate.Length(max=QUERY_MAX),
        metadata={
            "description": 'Web-search syntax: words, "quoted phrases", `OR`, `-word`; the '
            "last word also matches as a prefix unless the query ends in a space."
        },
    )
    sort = fields.String(
        validate=validate.OneOf(SORTS),
        metadata={
            "description": "`relevance` (the default with `q`), `updated` (the default "
            "without: last edit first) or `published` (first publication first; only "
            "stories published at least once)."
        },
    )
    section = VisibleText(SECTION_MAX)
    status = fields.Enum(ArticleStatus, by_value=True)
    public_state = fields.Enum(PublicState, by_value=True)
    author = fields.Integer(
        validate=validate.Range(min=1, max=2**63 - 1),
        metadata={"description": "Stories in which this user (id) wrote a revision."},
    )
    byline = VisibleText(
        BYLINE_NAME_MAX, metadata={"description": "A byline name of the head (any case)."}
    )
    keyword = VisibleText(
        KEYWORD_MAX, metadata={"description": "A keyword of the head (any case)."}
    )
    language = Text(
        validate=[validate.Length(max=LANGUAGE_MAX), validate.Regexp(LANGUAGE_PATTERN)],
        metadata={"description": "The head's language tag, exactly."},
    )
    updated_after = UTCDateTime(metadata={"description": "Last edit at or after this."})
    updated_before = UTCDateTime(metadata={"description": "Last edit before this."})
    published_after = UTCDateTime(metadata={"description": "First published at or after this."})
    published_before = UTCDateTime(metadata={"description": "First published before this."})
    embargoed = fields.Boolean(
        metadata={"description": "Whether the live version is under an embargo now."}
    )
    facets = DelimitedList(
        fields.String(validate=validate.OneOf(FACETS)),
        validate=validate.Length(max=len(FACETS)),
        metadata={
            "description": "Counts over the whole result to return: "
            + ", ".join(f"`{facet}`" for facet in FACETS)
            + " (comma-separated)."
        },
    )


class DocumentSchema(Schema):
    """The content of one revision, with its rendered forms."""

    headline = fields.String()
    deck = fields.String(allow_none=True)
    slug = fields.String()
    body = fields.Function(lambda revision: revision.body.markdown)
    body_html = fields.Function(
        lambda revision: revision.body.html,
        metadata={"description": "Rendered, sanitised HTML of `body`."},
    )
    dateline = fields.Nested(DatelineSchema, allow_none=True)
    bylines = fields.List(fields.Nested(BylineSchema))
    byline_text = fields.Function(
        lambda revision: byline_text(revision.bylines),
        metadata={"description": "E.g. `By Jane Roe and John Doe, Reuters`."},
    )
    section = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    language = fields.String()


class ArticleSummarySchema(Schema):
    """An article in a list: its head's headline and where it stands."""

    id = fields.Integer()
    revision = fields.Integer(attribute="head_number", metadata={"description": "Head revision."})
    status = fields.Enum(ArticleStatus, by_value=True)
    headline = fields.String(attribute="head.headline")
    slug = fields.String()
    section = fields.String(allow_none=True)
    byline_text = fields.Function(lambda article: byline_text(article.head.bylines))
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime(metadata={"description": "Time of the last content edit."})
    first_published_at = fields.AwareDateTime(allow_none=True)
    last_updated_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": 'The public "Last Updated" stamp.'}
    )
    public_state = fields.Function(
        lambda article: public_state(article.status, article.live_version_number).value,
        metadata={
            "description": "What readers see, whatever the working copy's `status`.",
            "enum": [state.value for state in PublicState],
        },
    )
    live_version = fields.Integer(
        attribute="live_version_number",
        allow_none=True,
        metadata={"description": "The public version readers see (or saw, if withdrawn)."},
    )
    approved_revision = fields.Integer(
        attribute="approved_revision_number",
        allow_none=True,
        metadata={"description": "The revision `publish` would publish."},
    )
    scheduled_publish_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When the scheduled publication will run."}
    )
    embargo_until = fields.Function(
        lambda article: (
            article.live.embargo_until.isoformat()
            if article.live is not None and article.live.embargo_until is not None
            else None
        ),
        metadata={"description": "The live version's embargo, if it has one.",
                  "type": "string", "format": "date-time", "nullable": True},
    )  # fmt: skip
    follows = fields.Integer(
        attribute="follows_id",
        allow_none=True,
        metadata={
            "description": "The earlier story this one follows (set with "
            "`PUT /articles/{id}/follows`; a new wire take of a killed story starts one)."
        },
    )
    follows_kind = fields.Enum(
        FollowKind,
        by_value=True,
        allow_none=True,
        metadata={"description": "`rewrite`, `new-lede` or `replacement`."},
    )


class LiveVersionSchema(Schema):
    """The public version readers see."""

    number = fields.Integer()
    revision = fields.Integer(attribute="revision_number")
    kind = fields.String()
    published_at = fields.AwareDateTime()
    embargo_until = fields.AwareDateTime(allow_none=True)


class CorrectionSchema(Schema):
    """A public correction: what was wrong, when it was fixed, in which version."""

    version = fields.Integer(attribute="number")
    note = fields.String()
    published_at = fields.AwareDateTime()


class MergeSchema(Schema):
    """Present when an edit was merged with changes made since its base."""

    base_revision = fields.Integer(metadata={"description": "The revision the writer edited."})
    head_revision = fields.Integer(metadata={"description": "The head the edit was merged with."})


@dataclass(frozen=True)
class ArticleView:
    """An article as the editors' API shows it: what :class:`ArticleSchema` dumps.

    flask-smorest dumps every response of a view with one schema instance made
    at import, and marshmallow 4 has no schema context, so what the schema
    cannot know travels here, beside the article: the zone to display stamps
    in (``CMS_TIMEZONE``, which the view reads) and, after a merged edit, how
    it was merged.
    """

    article: Article
    timezone: str
    merge: MergeInfo | None = None


def _display_stamps(view: ArticleView) -> dict:
    shown = {name: display_stamp(getattr(view.article, name), view.timezone) for name in STAMPS}
    return {"timezone": view.timezone, **shown}


#: The head revision's document, then the article's own state: the order the
#: fields have always had in a response.
_ARTICLE_FIELDS = {
    **fields_at("article.head", DocumentSchema),
    **fields_at("article", ArticleSummarySchema, exclude=DocumentSchema().declared_fields),
}


class _ArticleFields(Schema):
    class Meta:
        include = _ARTICLE_FIELDS


class ArticleSchema(_ArticleFields):
    """An article: its head revision's content, state and stamps; dumps an :class:`ArticleView`."""

    display = fields.Function(
        _display_stamps, metadata={"description": "Stamps for display, in `CMS_TIMEZONE`."}
    )
    live = fields.Nested(LiveVersionSchema, attribute="article.live", allow_none=True)
    corrections = fields.List(fields.Nested(CorrectionSchema), attribute="article.corrections")
    withdrawn_at = fields.AwareDateTime(attribute="article.withdrawn_at", allow_none=True)
    withdrawal_reason = fields.String(attribute="article.withdrawal_reason", allow_none=True)

    merge = fields.Nested(MergeSchema, dump_only=True)

    @post_dump
    def _drop_absent_merge(self, data: dict, **_kwargs) -> dict:
        if data.get("merge") is None:
            data.pop("merge", None)
        return data


class RevisionSummarySchema(Schema):
    """A revision in the history list."""

    number = fields.Integer()
    author = fields.Nested(UserRefSchema)
    created_at = fields.AwareDateTime()
    message = fields.String(allow_none=True)
    restored_from = fields.Integer(allow_none=True)
    summary = fields.String(metadata={"description": "What changed against the previous one."})
    content_hash = fields.String()


class RevisionSchema(RevisionSummarySchema, DocumentSchema):
    """One revision in full: who, when, why and the whole document."""


#: Longest phrase the pickaxe (``revisions?contains=``) looks for, in characters.
PHRASE_MAX = 200


class RevisionListArgsSchema(CursorArgsSchema):
    """A page of revisions; with ``contains``, only those that changed the phrase's count."""

    contains = VisibleText(
        maximum=PHRASE_MAX,
        multiline=True,
        metadata={
            "description": "The pickaxe: list only the revisions that changed how many times "
            "this phrase occurs in the headline, deck and body Markdown (case-sensitive, "
            f"literal, 1 to {PHRASE_MAX} characters)."
        },
    )


class OccurrencesSchema(Schema):
    """How many times the phrase occurs in the revision before, and in this one."""

    before = fields.Integer(
        metadata={"description": "In the previous revision (0 before the first)."}
    )
    after = fields.Integer(metadata={"description": "In this revision."})


class _RevisionListingFields(Schema):
    class Meta:
        include = fields_at("revision", RevisionSummarySchema)


class RevisionListingSchema(_RevisionListingFields):
    """A revision in the list (an ``listing.RevisionListing``)."""

    occurrences = fields.Nested(
        OccurrencesSchema, metadata={"description": "Only with `contains`."}
    )

    @post_dump
    def _without_absent_occurrences(self, data: dict, **kwargs) -> dict:
        if data.get("occurrences") is None:
            data.pop("occurrences", None)
        return data


REVISION_REFERENCE = r"^(?:[1-9][0-9]{0,9}|head|approved|published)$"
DIFF_FORMATS = ("json", "html", "text")
#: The most unchanged paragraphs a review diff shows around a change.
MAX_CONTEXT = 50


class DiffArgsSchema(Schema):
    """Which two revisions to compare, and how to show the difference."""

    from_ref = Text(
        data_key="from",
        validate=validate.Regexp(REVISION_REFERENCE),
        metadata={"description": "A revision number, `head`, `approved` or `published`. "
                  "Default: the revision before `to`."},
    )  # fmt: skip
    to_ref = Text(
        data_key="to",
        load_default="head",
        validate=validate.Regexp(REVISION_REFERENCE),
        metadata={"description": "As `from`. Default: `head`."},
    )
    format = fields.String(
        validate=validate.OneOf(DIFF_FORMATS),
        metadata={"description": "`json` (default), `html` or `text`; `Accept` works too."},
    )
    layout = fields.String(
        validate=validate.OneOf(REVIEW_LAYOUTS),
        metadata={"description": "HTML only: the review rendering, `inline` or "
                  "`side-by-side`, with labelled sides, context, moved-from marks and metadata "
                  "as readers see it. Without `layout` or `context`, the plain fragment."},
    )  # fmt: skip
    context = fields.Integer(
        validate=validate.Range(min=0, max=MAX_CONTEXT),
        metadata={"description": "HTML only: unchanged paragraphs shown around each change in "
                  f"the review rendering (default {DEFAULT_CONTEXT}); longer runs are collapsed."},
    )  # fmt: skip


class WordOpSchema(Schema):
    op = fields.String(metadata={"enum": ["equal", "insert", "delete"]})
    text = fields.String()


class DiffSchema(Schema):
    """The difference between two revisions, as operations."""

    article_id = fields.Integer()
    from_revision = fields.Integer(data_key="from")
    to_revision = fields.Integer(data_key="to")
    summary = fields.String()
    fields_ = fields.List(
        fields.Dict(),
        attribute="diff.fields",
        data_key="fields",
        metadata={
            "description": "Changed metadata fields: `{field, old, new}`; headline and deck add "
            "`words` (word operations), dateline adds `changes` per part, bylines `changes` "
            "(insert, delete, move, change), keywords `added`/`removed`."
        },
    )
    body = fields.Dict(
        attribute="diff.body",
        metadata={
            "description": "`{changed, paragraphs, separators}`: paragraph operations `equal`, "
            "`insert`, `delete`, `change` and `move` (with `old_index`/`new_index`, `text` or "
            "`words`); applying them to the old body gives the new body exactly."
        },
    )
    stats = fields.Dict(
        attribute="diff.stats",
        metadata={
            "description": "words_added, words_removed, paragraphs_changed/added/removed/moved"
        },
    )


class BlameLineSchema(Schema):
    index = fields.Integer(metadata={"description": "Paragraph index in the head body."})
    text = fields.String()
    revision = fields.Integer(metadata={"description": "The revision that last changed it."})
    author = fields.Nested(UserRefSchema)
    at = fields.AwareDateTime()


class BlameSchema(Schema):
    article_id = fields.Integer()
    revision = fields.Integer(metadata={"description": "The head revision blamed."})
    paragraphs = fields.List(fields.Nested(BlameLineSchema))


class MergeArgsSchema(Schema):
    merge = fields.Boolean(
        load_default=False,
        metadata={"description": "Merge with changes made since the revision `If-Match` names "
                  "instead of refusing with 412."},
    )  # fmt: skip


class ArticleListItemSchema(Schema):
    """An article in the list; dumps an :class:`~cms.articles.listing.ArticleHit`."""

    class Meta:
        include = fields_at("article", ArticleSummarySchema)

    highlights = fields.Nested(
        HighlightsSchema,
        allow_none=True,
        metadata={"description": "With `q`: the headline and excerpts, matches marked."},
    )

    @post_dump
    def _drop_absent_highlights(self, data: dict, **_kwargs) -> dict:
        if data.get("highlights") is None:
            data.pop("highlights", None)
        return data


class FacetCountSchema(Schema):
    value = fields.String(allow_none=True, required=True)
    count = fields.Integer(required=True)


ArticleListSchema = Schema.from_dict(
    {
        "items": fields.List(fields.Nested(ArticleListItemSchema), required=True),
        "next_cursor": fields.String(
            required=True,
            allow_none=True,
            metadata={"description": "Pass as `cursor` for the next page; null on the last."},
        ),
        "facets": fields.Dict(
            keys=fields.String(),
            values=fields.List(fields.Nested(FacetCountSchema)),
            metadata={"description": "With `facets=`: per facet, the counts, largest first."},
        ),
    },
    name="ArticleList",
)
