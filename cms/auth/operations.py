"""Operations on users and tokens. They flush; the caller commits."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, cached_property
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app
from sqlalchemy import Select, bindparam, func, select

from cms.auth.models import ApiToken, Role, User
from cms.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from cms.core.extensions import db
from cms.core.types import utcnow

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
#: Shortest password accepted, in characters.
MIN_PASSWORD_LENGTH = 12


class AuthState:
    """What authentication keeps per process, on ``app.extensions["cms.auth"]``."""

    @cached_property
    def dummy_hash(self) -> str:
        """A hash verified against when the e-mail is unknown, so both paths cost the same.

        Made on first use, not at import: argon2 takes tens of milliseconds.
        """
        return _hasher.hash(secrets.token_hex(16))


def init_app(app: Flask) -> None:
    """Give ``app`` its authentication state (:class:`AuthState`)."""
    app.extensions["cms.auth"] = AuthState()


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``.

    Raises :class:`ValidationFailed` if the password is shorter than
    :data:`MIN_PASSWORD_LENGTH` characters or is nothing but whitespace.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        _refuse_password(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if not password.strip():
        _refuse_password("Use some characters besides spaces.")
    return _hasher.hash(password)


def _refuse_password(rule: str) -> NoReturn:
    raise ValidationFailed(f"Password refused: {rule}", errors={"json": {"password": [rule]}})


def create_user(*, email: str, name: str, role: str, password: str) -> User:
    """Create a user.

    Raises :class:`ValidationFailed` for an unknown role or a password that
    :func:`hash_password` refuses, and
    :class:`Conflict` when the e-mail address is taken.
    """
    try:
        role_value = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            f"Unknown role {role!r}; use one of {allowed}.",
            errors={"json": {"role": [f"Must be one of: {allowed}."]}},
        ) from None
    email = email.strip().lower()
    if db.session.scalar(select(func.count()).where(User.email == email)):
        raise Conflict(f"A user with e-mail {email} already exists.")
    user = User(
        email=email, name=name.strip(), role=role_value, password_hash=hash_password(password)
    )
    db.session.add(user)
    db.session.flush()
    log.info("created user %s with role %s", user.id, role_value)
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(email: str, password: str) -> tuple[str, ApiToken]:
    """Check the credentials and return a new token and its record.

    Raises :class:`Unauthorized` for an unknown e-mail, a wrong password or an
    inactive user, without saying which.
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    known = user.password_hash if user else current_app.extensions["cms.auth"].dummy_hash
    try:
        _hasher.verify(known, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("Wrong e-mail or password.") from None
    if user is None or not user.is_active:
        raise Unauthorized("Wrong e-mail or password.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = ApiToken(
        user=user,
        token_hash=_token_digest(token),
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["CMS_TOKEN_TTL_HOURS"]),
    )
    db.session.add(record)
    db.session.flush()
    return token, record


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who a live token speaks for: enough to authorise a request."""

    token_id: int
    user_id: int
    role: Role
    #: The user, when :func:`credentials_for` was asked to load it.
    user: User | None = None


@cache
def _credentials_query() -> Select:
    # Built once (every editors' request runs it, and building costs more than
    # running): plain columns, nothing for the ORM to load or track.
    return (
        select(
            ApiToken.id,
            ApiToken.user_id,
            ApiToken.expires_at,
            ApiToken.revoked_at,
            User.role,
            User.is_active,
        )
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == bindparam("digest"))
    )


@cache
def _credentials_and_user_query() -> Select:
    return _credentials_query().add_columns(User)


def credentials_for(token: str, *, load_user: bool = False) -> Credentials:
    """Return the credentials of the raw ``token``, with its user when ``load_user``.

    One statement either way. Without the user it loads no ORM object, so a
    read that never asks who is reading pays for none (see :func:`get_user`).
    Raises :class:`Unauthorized` if the token is unknown, expired, revoked or its
    user is inactive.
    """
    digest = {"digest": _token_digest(token)}
    if load_user:
        row = db.session.execute(_credentials_and_user_query(), digest).first()
    else:
        row = db.session.connection().execute(_credentials_query(), digest).first()
    if row is None:
        raise Unauthorized("The token is unknown or has been revoked.")
    token_id, user_id, expires_at, revoked_at, role, is_active = row[:6]
    if revoked_at is not None or not is_active:
        raise Unauthorized("The token is unknown or has been revoked.")
    if expires_at <= utcnow():
        raise Unauthorized("The token has expired; request a new one.")
    return Credentials(token_id, user_id, role, row.User if load_user else None)


def get_token(token_id: int) -> ApiToken:
    """Return the token record with ``token_id``.

    Raises :class:`NotFound` if there is none.
    """
    record = db.session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"There is no token {token_id}.")
    return record


def revoke_token(record: ApiToken) -> None:
    """Revoke a token so that it is refused from now on."""
    record.revoked_at = utcnow()
    db.session.flush()


def update_user(
    user: User, *, name: str | None = None, role: Role | None = None, is_active: bool | None = None
) -> User:
    """Change a user's name, role or active flag; ``None`` leaves a field alone.

    Raises :class:`Conflict` when the change would leave no active admin: the
    last one can neither demote nor deactivate themselves.
    """
    demoted = role is not None and role is not Role.ADMIN
    if user.is_active and user.role is Role.ADMIN and (demoted or is_active is False):
        _keep_an_admin(user)
    if name is not None:
        user.name = name.strip()
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    db.session.flush()
    return user


def _keep_an_admin(leaving: User) -> None:
    """Raise :class:`Conflict` if ``leaving`` is the only active admin.

    The other active admins' rows stay locked until the commit (PostgreSQL), so
    two admins demoting each other at once cannot both succeed.
    """
    others = db.session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != leaving.id)
        .with_for_update()
    ).all()
    if not others:
        raise Conflict(
            f"{leaving.name} is the last active admin; make another user an admin first."
        )


def get_user(user_id: int) -> User:
    """Return the user with ``user_id``.

    Raises :class:`NotFound` if there is none.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user
