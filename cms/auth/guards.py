"""The one authorisation guard every editors' API view uses."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import g, request

from cms.auth.models import ApiToken, Role, User
from cms.auth.operations import token_for
from cms.core.errors import Forbidden, Unauthorized


def auth_required(*roles: Role) -> Callable:
    """Require a valid bearer token and, if ``roles`` are given, one of them.

    Raises :class:`Unauthorized` (401) without a valid token and
    :class:`Forbidden` (403) when the user's role is not among ``roles``.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized()
            record = token_for(token.strip())
            if roles and record.user.role not in roles:
                needed = " or ".join(role.value for role in roles)
                raise Forbidden(f"This needs the {needed} role.")
            g.api_token = record
            g.user = record.user
            return view(*args, **kwargs)

        return guarded

    return decorator


def current_user() -> User:
    """Return the user authenticated by :func:`auth_required`."""
    return g.user


def current_token() -> ApiToken:
    """Return the token record authenticated by :func:`auth_required`."""
    return g.api_token
