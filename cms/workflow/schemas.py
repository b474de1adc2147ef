"""Request and response shapes of the workflow endpoints. Shape only, no rules."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cms.articles.models import ArticleStatus, VersionKind
from cms.auth.schemas import UserRefSchema
from cms.core.fields import Text, UTCDateTime, VisibleText
from cms.workflow.workflow import Action


class CommentSchema(Schema):
    """Optional words for the history (submit, approve)."""

    comment = Text(
        multiline=True,
        validate=validate.Length(max=1000),
        metadata={"description": "Kept in the article's history."},
    )


class ReasonSchema(Schema):
    """A reason, required (reject, withdraw)."""

    reason = VisibleText(
        1000,
        multiline=True,
        required=True,
        metadata={"description": "Kept in the history; a kill's reason is told to partners."},
    )


class UnscheduleSchema(Schema):
    reason = Text(multiline=True, validate=validate.Length(max=1000))


class PublishSchema(Schema):
    """How to publish the approved revision."""

    kind = fields.Enum(
        VersionKind,
        by_value=True,
        metadata={
            "description": "`first` for the first publication (the default then); after it, "
            "`update` (substantive), `minor` (typo fix, leaves Last Updated alone) or "
            "`correction` (needs `note`)."
        },
    )
    note = Text(
        multiline=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Public note; the correction text for a correction."},
    )
    embargo_until = UTCDateTime(
        metadata={
            "description": "Partners not allowed embargoed copy see this version only from "
            "then. ISO 8601 with an offset."
        }
    )


class ScheduleSchema(PublishSchema):
    publish_at = UTCDateTime(
        required=True,
        metadata={"description": "ISO 8601 with an offset, in the future."},
    )


class VersionSchema(Schema):
    """A public version."""

    number = fields.Integer()
    revision = fields.Integer(attribute="revision_number")
    content_hash = fields.String()
    kind = fields.Enum(VersionKind, by_value=True)
    note = fields.String(allow_none=True)
    embargo_until = fields.AwareDateTime(allow_none=True)
    published_at = fields.AwareDateTime()
    published_by = fields.Nested(UserRefSchema)


class AllowedActionsSchema(Schema):
    """What the authenticated user may do with the article now."""

    status = fields.Enum(ArticleStatus, by_value=True)
    allowed_actions = fields.List(fields.Enum(Action, by_value=True))
