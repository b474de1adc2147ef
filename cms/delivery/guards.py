"""The guard of every partner-facing (``/content/v1``) view: a partner API key and its quota."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Response, current_app, g, request

from cms.core.errors import TooManyRequests, Unauthorized
from cms.core.limiter import quotas
from cms.delivery.access import Reader, authenticate

#: Where a request keeps its quota state (the request's own, unlike ``g`` in tests).
_QUOTA = "cms.quota"


def partner_required(view: Callable) -> Callable:
    """Require ``Authorization: Bearer <partner API key>``.

    Each request counts against the partner's rate limit (its own, else
    ``CMS_PARTNER_RATE_LIMIT``); :func:`quota_headers` reports where it stands.
    Raises :class:`Unauthorized` (401) without a key, or for an unknown or
    revoked one (or an inactive partner's), and :class:`TooManyRequests` (429,
    with ``Retry-After``) over the limit.
    """

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key or len(key) > 200 or not key.isascii():
            raise Unauthorized("A partner API key is required: Authorization: Bearer <key>.")
        reader = g.reader = authenticate(key)
        limit = reader.rate_limit or current_app.config["CMS_PARTNER_RATE_LIMIT"]
        quota = quotas().hit(f"partner/{reader.partner_id}", limit)
        request.environ[_QUOTA] = quota
        if not quota.allowed:
            raise TooManyRequests(
                f"Over your rate limit of {limit}; try again in {quota.reset} seconds.",
                retry_after=quota.reset,
            )
        return view(*args, **kwargs)

    return guarded


def quota_headers(response: Response) -> Response:
    """Add the ``RateLimit-*`` headers to the answer of a request that counted against a
    quota (an ``after_request`` hook): successes, 304s and errors alike."""
    quota = request.environ.get(_QUOTA)
    if quota is not None:
        response.headers.update(quota.headers())
    return response


def current_reader() -> Reader:
    """Return the partner authenticated by :func:`partner_required`."""
    return g.reader
