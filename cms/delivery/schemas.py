"""Shapes of the partner-facing content API and of the partner admin endpoints.

Shape only, no rules. :class:`PartnerArticleSchema` is what partners receive:
it is its own explicit schema, apart from the editors' ``ArticleSchema``, so
that it changes only on purpose (bump ``representations.REPRESENTATION`` with it).
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate

from cms.articles.content import SECTION_MAX
from cms.articles.models import VersionKind
from cms.articles.rendering import byline_text, dateline_text
from cms.articles.search.schemas import HighlightsSchema
from cms.articles.search.syntax import QUERY_MAX
from cms.core.fields import ISODate, JSONBoolean, Text, UTCDateTime, VisibleText, fields_at
from cms.delivery.models import (
    PARTNER_NAME_MAX,
    RATE_LIMIT_MAX,
    RIGHTS_TEXT_MAX,
    WEBHOOK_URL_MAX,
    DeliveryState,
    Partner,
    PartnerKey,
    UsageChannel,
    WebhookHeaders,
)
from cms.outbox.models import EventKind

ID_RANGE = validate.Range(min=1, max=2_147_483_647)
#: Longest long poll of the changes feed, in seconds.
MAX_WAIT = 30


# --- Partner-facing -------------------------------------------------------------------------


class PartnerDatelineSchema(Schema):
    city = fields.String()
    region = fields.String()
    country = fields.String()
    agency = fields.String()
    date = fields.String(metadata={"description": "Filing date, `YYYY-MM-DD`."})
    text = fields.Function(
        dateline_text, metadata={"description": "AP style: `DUSHANBE, Tajikistan (Reuters) —`."}
    )


class PartnerBylineSchema(Schema):
    name = fields.String()
    role = fields.String()
    affiliation = fields.String()


class PartnerCorrectionSchema(Schema):
    version = fields.Integer()
    note = fields.String()
    published_at = fields.AwareDateTime()


PUBSTATUS = validate.OneOf(["usable", "withheld", "canceled"])


class LineageLinkSchema(Schema):
    """A story this one follows, or one that follows it."""

    id = fields.Integer()
    uri = fields.String()
    href = fields.String(metadata={"description": "Its current version in the content API."})
    kind = fields.String(
        metadata={"description": "`rewrite`, `new-lede` or `replacement` (of a killed story)."}
    )


class PartnerArticleSchema(Schema):
    """A published version of a story, as partners see it (never a draft)."""

    id = fields.Integer(metadata={"description": "The article's id."})
    uri = fields.String(metadata={"description": "Stable identifier of the story (a tag URI)."})
    href = fields.String(metadata={"description": "Path of this version in the content API."})
    version = fields.Integer(metadata={"description": "Public version number: 1, 2, 3 …"})
    kind = fields.Enum(
        VersionKind,
        by_value=True,
        metadata={"description": "`first`, `update`, `minor` (typo fix) or `correction`."},
    )
    headline = fields.String()
    deck = fields.String(allow_none=True)
    slug = fields.String()
    body = fields.String(metadata={"description": "CommonMark source."})
    body_html = fields.String(metadata={"description": "Rendered, sanitised HTML of `body`."})
    dateline = fields.Nested(PartnerDatelineSchema, allow_none=True)
    bylines = fields.List(fields.Nested(PartnerBylineSchema))
    byline_text = fields.Function(
        lambda item: byline_text(item["bylines"]),
        metadata={"description": "E.g. `By Jane Roe and John Doe, Reuters`."},
    )
    section = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    language = fields.String(metadata={"description": "BCP 47 tag."})
    note = fields.String(allow_none=True, metadata={"description": "The version's public note."})
    corrections = fields.List(
        fields.Nested(PartnerCorrectionSchema),
        metadata={"description": "Corrections up to this version, oldest first."},
    )
    published_at = fields.AwareDateTime(metadata={"description": "When this version went out."})
    first_published_at = fields.AwareDateTime()
    last_updated_at = fields.AwareDateTime(
        metadata={"description": 'The public "Last Updated" stamp as of this version.'}
    )
    embargoed = fields.Boolean(
        metadata={"description": "True while the embargo holds (partners with embargo access)."}
    )
    embargo_until = fields.AwareDateTime(allow_none=True)
    pubstatus = fields.String(
        validate=PUBSTATUS,
        metadata={
            "description": "`usable`, or `withheld` while embargoed; a kill answers 410 "
            "with `canceled`."
        },
    )
    dateline_text = fields.Function(
        lambda item: dateline_text(item["dateline"]),
        metadata={"description": "The rendered dateline, with the agency: `DUSHANBE, … —`."},
    )
    credit = fields.String(
        allow_none=True,
        metadata={"description": "The agency to credit (the dateline's), e.g. `Reuters`."},
    )
    copyright_holder = fields.String(allow_none=True)
    copyright_notice = fields.String(
        allow_none=True, metadata={"description": "E.g. `© 2026 Newsroom CMS`."}
    )
    usage_terms = fields.String(allow_none=True)
    follows = fields.Nested(
        LineageLinkSchema,
        allow_none=True,
        metadata={"description": "The earlier story this one follows: replace it with this."},
    )
    followed_by = fields.List(
        fields.Nested(LineageLinkSchema),
        metadata={"description": "Later stories that follow this one."},
    )


class ArticleListArgsSchema(Schema):
    section = VisibleText(SECTION_MAX)
    updated_since = UTCDateTime(
        metadata={"description": "Only stories whose visible version appeared at or after this."},
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "`next_cursor` of the previous page."},
    )


class ArticleListSchema(Schema):
    items = fields.List(fields.Nested(PartnerArticleSchema), required=True)
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page."}
    )


class SearchArgsSchema(Schema):
    q = Text(
        required=True,
        validate=validate.Length(min=1, max=QUERY_MAX),
        metadata={
            "description": 'Web-search syntax: words, "quoted phrases", `OR`, `-word`; the '
            "last word also matches as a prefix unless the query ends in a space."
        },
    )
    section = VisibleText(SECTION_MAX)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "`next_cursor` of the previous page."},
    )


class PartnerSearchHitSchema(PartnerArticleSchema):
    """A story found by a search: its version as you see it, and where it matched."""

    highlights = fields.Nested(HighlightsSchema)


class SearchResultsSchema(Schema):
    items = fields.List(fields.Nested(PartnerSearchHitSchema), required=True)
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page."}
    )


class ArticleArgsSchema(Schema):
    version = fields.Integer(
        validate=ID_RANGE, metadata={"description": "An older public version."}
    )
    format = fields.String(
        validate=validate.OneOf(["json", "ninjs", "ninjs3"]),
        metadata={
            "description": "`ninjs` for IPTC ninjs 2.2 (or `Accept: application/ninjs+json`), "
            "`ninjs3` for 3.1 (or `Accept: application/ninjs+json; version=3.1`)."
        },
    )


class ChangesArgsSchema(Schema):
    after = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "`next_cursor` of the previous call; absent: from the start."},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    wait = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_WAIT),
        metadata={
            "description": f"Long polling: with nothing new, wait up to this many seconds "
            f"(at most {MAX_WAIT}) for an event before answering an empty page."
        },
    )


class ChangeSchema(Schema):
    """One event of the changes feed."""

    id = fields.Integer(metadata={"description": "Event id: increasing, the feed's order."})
    kind = fields.Enum(EventKind, by_value=True)
    article_id = fields.Integer()
    version = fields.Integer(
        metadata={"description": "The version published, or the one live when withdrawn."}
    )
    version_kind = fields.String(allow_none=True)
    at = fields.AwareDateTime(metadata={"description": "When the event happened."})
    section = fields.String(allow_none=True)
    slug = fields.String()
    note = fields.String(
        allow_none=True, metadata={"description": "Correction note, or the kill's reason."}
    )
    embargoed = fields.Boolean()
    embargo_until = fields.AwareDateTime(allow_none=True)
    pubstatus = fields.String(
        validate=PUBSTATUS, metadata={"description": "`usable`, `withheld` or `canceled`."}
    )
    href = fields.String(
        allow_none=True,
        metadata={"description": "The version in the content API (not for kills)."},
    )


class ChangesSchema(Schema):
    items = fields.List(fields.Nested(ChangeSchema), required=True)
    next_cursor = fields.String(
        required=True, metadata={"description": "Pass as `after` on the next call."}
    )
    has_more = fields.Boolean(
        required=True, metadata={"description": "More events are there right now."}
    )


class FeedArgsSchema(Schema):
    section = VisibleText(SECTION_MAX)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


# --- Admin ------------------------------------------------------------------------------------


class PartnerKeySchema(Schema):
    id = fields.Integer()
    prefix = fields.String(metadata={"description": "The key's first characters."})
    created_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)


class PartnerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    sections = fields.List(
        fields.String(), allow_none=True, metadata={"description": "`null`: every section."}
    )
    embargo_access = fields.Boolean()
    webhook_url = fields.String(allow_none=True)
    webhook_paused_at = fields.AwareDateTime(allow_none=True)
    webhook_paused_reason = fields.String(allow_none=True)
    copyright_holder = fields.String(
        allow_none=True,
        metadata={"description": "`null`: the newsroom's (`CMS_COPYRIGHT_HOLDER`)."},
    )
    usage_terms = fields.String(
        allow_none=True, metadata={"description": "`null`: the newsroom's (`CMS_USAGE_TERMS`)."}
    )
    webhook_headers = fields.Enum(
        WebhookHeaders,
        by_value=True,
        metadata={"description": "`standard` (Standard Webhooks) or `newsroom` (compatibility)."},
    )
    webhook_previous_secret_until = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "Until when the secret before the last rotation signs too."},
    )
    rate_limit = fields.String(
        allow_none=True, metadata={"description": "Its own limit; `null`: the default."}
    )
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    keys = fields.List(fields.Nested(PartnerKeySchema))


@dataclass(frozen=True)
class CreatedPartner:
    """A partner just created and its API key, shown this once."""

    partner: Partner
    api_key: str


class _CreatedPartnerFields(Schema):
    class Meta:
        include = fields_at("partner", PartnerSchema)


class PartnerCreatedSchema(_CreatedPartnerFields):
    """A :class:`CreatedPartner`: the partner, its API key and its webhook secret."""

    api_key = fields.String(
        metadata={"description": "Shown once: send as `Authorization: Bearer <key>`."}
    )
    webhook_secret = fields.String(
        attribute="partner.webhook_secret",
        metadata={"description": "Shown once: the HMAC-SHA256 key webhooks are signed with."},
    )


_SECTIONS = fields.List(
    VisibleText(SECTION_MAX),
    allow_none=True,
    validate=validate.Length(max=100),
    metadata={"example": ["world"]},
)


def _rights_text(description: str) -> Text:
    """A partner's copyright holder or usage terms: ``null`` for the newsroom's."""
    return Text(
        allow_none=True,
        validate=validate.Length(max=RIGHTS_TEXT_MAX),
        metadata={"description": description},
    )


_WEBHOOK_HEADERS = fields.Enum(
    WebhookHeaders,
    by_value=True,
    metadata={
        "description": "`standard`: Standard Webhooks; `newsroom`: the compatibility "
        "`X-Newsroom-*` headers."
    },
)
_RATE_LIMIT = Text(
    allow_none=True,
    validate=validate.Length(max=RATE_LIMIT_MAX),
    metadata={
        "description": "The partner's own limit, e.g. `1200/minute`; `null`: the default.",
        "example": "1200/minute",
    },
)


class PartnerCreateSchema(Schema):
    name = VisibleText(PARTNER_NAME_MAX, required=True)
    sections = _SECTIONS
    embargo_access = JSONBoolean(load_default=False)
    webhook_url = Text(allow_none=True, validate=validate.Length(min=1, max=WEBHOOK_URL_MAX))
    copyright_holder = _rights_text("Overrides `CMS_COPYRIGHT_HOLDER`.")
    usage_terms = _rights_text("Overrides `CMS_USAGE_TERMS`.")
    webhook_headers = _WEBHOOK_HEADERS
    rate_limit = _RATE_LIMIT


class PartnerUpdateSchema(Schema):
    name = VisibleText(PARTNER_NAME_MAX)
    sections = _SECTIONS
    embargo_access = JSONBoolean()
    webhook_url = Text(allow_none=True, validate=validate.Length(min=1, max=WEBHOOK_URL_MAX))
    webhook_paused = JSONBoolean(
        metadata={"description": "`false` resumes a webhook paused by a 410 answer."}
    )
    webhook_headers = _WEBHOOK_HEADERS
    rate_limit = _RATE_LIMIT
    active = JSONBoolean()
    copyright_holder = _rights_text("`null`: back to `CMS_COPYRIGHT_HOLDER`.")
    usage_terms = _rights_text("`null`: back to `CMS_USAGE_TERMS`.")


class KeyRequestSchema(Schema):
    revoke_others = JSONBoolean(
        load_default=False, metadata={"description": "Revoke the partner's other keys at once."}
    )


@dataclass(frozen=True)
class IssuedKey:
    """A partner's new key record and the key itself, shown this once."""

    key: PartnerKey
    api_key: str


class _IssuedKeyFields(Schema):
    class Meta:
        include = fields_at("key", PartnerKeySchema)


class IssuedKeySchema(_IssuedKeyFields):
    """An :class:`IssuedKey`: the key's record and the key."""

    api_key = fields.String(metadata={"description": "Shown once."})


class WebhookSecretSchema(Schema):
    webhook_secret = fields.String(metadata={"description": "Shown once."})
    previous_secret_until = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "Until when the old secret signs too (both signatures sent)."},
    )


class SecretRotationSchema(Schema):
    overlap_hours = fields.Float(
        validate=validate.Range(min=0, max=24 * 30),
        metadata={
            "description": "How long the old secret keeps signing beside the new one; "
            "default `CMS_WEBHOOK_SECRET_OVERLAP_HOURS`, `0`: stop at once."
        },
    )


class UsageArgsSchema(Schema):
    from_ = ISODate(
        data_key="from", required=True, metadata={"description": "First day, `YYYY-MM-DD` (UTC)."}
    )
    to = ISODate(required=True, metadata={"description": "Last day, included."})


class UsageWebhookSchema(Schema):
    event_id = fields.Integer()
    kind = fields.Enum(EventKind, by_value=True)
    version = fields.Integer()
    delivered_at = fields.AwareDateTime()


class UsageItemSchema(Schema):
    day = fields.String(metadata={"description": "`YYYY-MM-DD` (UTC)."})
    article_id = fields.Integer()
    fetches = fields.Dict(
        keys=fields.String(validate=validate.OneOf([c.value for c in UsageChannel])),
        values=fields.Integer(),
        metadata={"description": "Fetches by channel: `api` (JSON), `ninjs`, `feed`."},
    )
    webhooks = fields.List(
        fields.Nested(UsageWebhookSchema),
        metadata={"description": "The webhooks of this story delivered that day."},
    )


class UsageSchema(Schema):
    partner_id = fields.Integer()
    from_ = fields.String(data_key="from")
    to = fields.String()
    items = fields.List(
        fields.Nested(UsageItemSchema),
        metadata={"description": "One per day and story, by day then story."},
    )


class DeliveryEventSchema(Schema):
    id = fields.Integer()
    kind = fields.Enum(EventKind, by_value=True)
    article_id = fields.Integer()
    version = fields.Integer(attribute="version_number")
    created_at = fields.AwareDateTime()


class DeliveryAttemptSchema(Schema):
    number = fields.Integer()
    started_at = fields.AwareDateTime()
    duration_ms = fields.Integer()
    status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "`delivered`, `retry`, `dead` or `lost`."})


class DeliverySchema(Schema):
    id = fields.Integer()
    event = fields.Nested(DeliveryEventSchema)
    state = fields.Enum(DeliveryState, by_value=True)
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(
        metadata={"description": "Pending: when it is due; delivering: when the lease ends."}
    )
    last_attempt_at = fields.AwareDateTime(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class DeliveryDetailSchema(DeliverySchema):
    attempt_log = fields.List(fields.Nested(DeliveryAttemptSchema))


class DeliveryFilterSchema(Schema):
    state = fields.Enum(DeliveryState, by_value=True)
