"""The one authorisation guard every editors' API view uses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from flask import g, request

from cms.auth.models import ApiToken, Role, User
from cms.auth.operations import Credentials, credentials_for, get_token, get_user
from cms.core.database import read_only_request
from cms.core.errors import Forbidden, Unauthorized


def auth_required(*roles: Role) -> Callable:
    """Require a valid bearer token and, if ``roles`` are given, one of them.

    A request that changes something gets its user loaded with the token (it
    will name them as the author of what it writes); a read loads the user only
    if the view asks for it (:func:`current_user`).
    Raises :class:`Unauthorized` (401) without a valid token and
    :class:`Forbidden` (403) when the user's role is not among ``roles``.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized()
            credentials = credentials_for(token.strip(), load_user=not read_only_request())
            if roles and credentials.role not in roles:
                needed = " or ".join(role.value for role in roles)
                raise Forbidden(f"This needs the {needed} role.")
            g.credentials = credentials
            return view(*args, **kwargs)

        return guarded

    return decorator


def current_user() -> User:
    """Return the user authenticated by :func:`auth_required`, loading it on first use."""
    credentials: Credentials = g.credentials
    if credentials.user is not None:
        return credentials.user
    user = get_user(credentials.user_id)
    # Kept on the request: the session's identity map holds objects only weakly.
    g.credentials = replace(credentials, user=user)
    return user


def current_token() -> ApiToken:
    """Return the token record authenticated by :func:`auth_required`."""
    return get_token(g.credentials.token_id)
