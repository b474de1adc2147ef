"""Request and response shapes of notes and presence. Shape only, no rules."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cms.auth.schemas import UserRefSchema
from cms.core.fields import VisibleText
from cms.notes.models import NOTE_MAX
from cms.notes.operations import ACTIVITIES, PRESENCE_TTL


class NoteCreateSchema(Schema):
    """A new note, optionally anchored to a revision and one of its paragraphs."""

    body = VisibleText(NOTE_MAX, multiline=True, required=True)
    revision = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The revision the note is about."},
    )
    paragraph = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The paragraph of `revision` (from 1); needs `revision`."},
    )


class NoteSchema(Schema):
    """An editorial note: newsroom only, never shown to partners or in feeds."""

    id = fields.Integer()
    article_id = fields.Integer()
    author = fields.Nested(UserRefSchema)
    body = fields.String()
    revision = fields.Integer(attribute="revision_number", allow_none=True)
    paragraph = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class NoteListSchema(Schema):
    items = fields.List(fields.Nested(NoteSchema), required=True)


class PresenceArgsSchema(Schema):
    activity = fields.String(
        load_default=ACTIVITIES[0],
        validate=validate.OneOf(ACTIVITIES),
        metadata={"description": "`editing` (default) or `viewing`."},
    )


class PresenceEntrySchema(Schema):
    user = fields.Nested(UserRefSchema)
    activity = fields.String()
    since = fields.AwareDateTime()
    since_display = fields.String(
        metadata={"description": "`since` as a clock time in `CMS_TIMEZONE`, e.g. `14:02`."}
    )
    expires_at = fields.AwareDateTime()


class PresenceSchema(Schema):
    """Who has the story open now. Advisory: it never blocks a write."""

    ttl = fields.Integer(
        metadata={"description": f"Seconds a presence lasts unless renewed ({PRESENCE_TTL})."}
    )
    items = fields.List(fields.Nested(PresenceEntrySchema))
