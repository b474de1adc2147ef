"""Request and response shapes of the auth and users endpoints."""

from marshmallow import Schema, fields, validate

from cms.auth.models import EMAIL_MAX, NAME_MAX, Role
from cms.core.fields import JSONBoolean, Text, VisibleText


class TokenRequestSchema(Schema):
    email = VisibleText(EMAIL_MAX, required=True)
    password = Text(required=True, load_only=True, validate=validate.Length(min=1, max=1024))


class UserRefSchema(Schema):
    """A user named in another resource: an author, an actor, a publisher."""

    id = fields.Integer()
    name = fields.String()


class TokenSchema(Schema):
    token = fields.String(
        required=True, metadata={"description": "Send as `Authorization: Bearer <token>`."}
    )
    expires_at = fields.AwareDateTime(required=True)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)
    is_active = fields.Boolean(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX))
    name = VisibleText(NAME_MAX, required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    #: At least 12 characters, not all whitespace: checked by ``hash_password``.
    password = Text(
        multiline=True, required=True, load_only=True, validate=validate.Length(max=1024)
    )


class UserUpdateSchema(Schema):
    name = VisibleText(NAME_MAX)
    role = fields.Enum(Role, by_value=True)
    is_active = JSONBoolean()
