"""The shape of a history entry as the editors' API shows it."""

from __future__ import annotations

from marshmallow import Schema, fields

from cms.audit.models import AuditAction
from cms.auth.schemas import UserRefSchema


class AuditEntrySchema(Schema):
    """One line of the history."""

    id = fields.Integer()
    action = fields.Enum(AuditAction, by_value=True)
    actor = fields.Nested(UserRefSchema)
    at = fields.AwareDateTime()
    revision = fields.Integer(attribute="revision_number", allow_none=True)
    version = fields.Integer(attribute="version_number", allow_none=True)
    reason = fields.String(allow_none=True)
    details = fields.Dict()
