"""The guard of every partner-facing (``/content/v1``) view: a partner API key."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import g, request

from cms.core.errors import Unauthorized
from cms.delivery.access import Reader, authenticate


def partner_required(view: Callable) -> Callable:
    """Require ``Authorization: Bearer <partner API key>``.

    Raises :class:`Unauthorized` (401) without a key, or for an unknown or
    revoked one (or an inactive partner's).
    """

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key or len(key) > 200 or not key.isascii():
            raise Unauthorized("A partner API key is required: Authorization: Bearer <key>.")
        g.reader = authenticate(key)
        return view(*args, **kwargs)

    return guarded


def current_reader() -> Reader:
    """Return the partner authenticated by :func:`partner_required`."""
    return g.reader
