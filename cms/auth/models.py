"""Users and their API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms.core.extensions import Model
from cms.core.types import UTCDateTime, enum_type, utcnow

#: Longest e-mail address (RFC 5321's path limit), in characters.
EMAIL_MAX = 254
#: Longest display name, in characters.
NAME_MAX = 200


class Role(enum.StrEnum):
    """What a user may do; see the workflow table for the actions of each."""

    REPORTER = "reporter"
    EDITOR = "editor"
    ADMIN = "admin"


class User(Model):
    """A person who works in the newsroom."""

    __tablename__ = "users"
    #: The user list's keyset order (name, then id).
    __table_args__ = (Index("ix_users_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, stored lower-cased; unique.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    #: Display name, used for bylines and in revision histories.
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"))
    #: argon2id hash of the password (PHC string format).
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Inactive users can neither log in nor use their existing tokens.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(Model):
    """A bearer token; the token itself is shown once and only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 (hex) of the token. Tokens are 256 random bits, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: After this instant the token is refused.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when the token is revoked (logout); a revoked token is refused.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
