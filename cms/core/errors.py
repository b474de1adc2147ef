"""The one error shape of the API: RFC 9457 problem details.

Operations and guards raise :class:`Problem` (or a subclass); werkzeug's own
HTTP errors (404, 405, 413 …) and webargs' validation errors are rendered the
same way by :func:`problem_response`. Nothing builds an error body by hand.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from flask import Response, g, json, request
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Prefix of our problem ``type`` URIs: tag URIs (RFC 4151) name a problem
#: without pretending there is a page to fetch.
TYPE_PREFIX = "tag:newsroom-cms,2026:"
#: Characters a URI path keeps unencoded (RFC 3986 ``pchar`` and ``/``), besides unreserved ones.
_PATH_SAFE = "/!$&'()*+,;=:@"


class ProblemSchema(Schema):
    """The problem document (RFC 9457) every error answers with, for the OpenAPI documents.

    The members of RFC 9457 §3.1 and our common extensions; a problem type may
    add its own members (``additionalProperties``).
    """

    class Meta:
        unknown = INCLUDE

    type = fields.String(
        required=True,
        metadata={
            "format": "uri-reference",
            "description": f"`about:blank` or a `{TYPE_PREFIX}…` URI naming the problem type.",
        },
    )
    title = fields.String(required=True, metadata={"description": "The status's reason phrase."})
    status = fields.Integer(required=True, metadata={"minimum": 400, "maximum": 599})
    detail = fields.String(metadata={"description": "What went wrong, for a person."})
    instance = fields.String(
        required=True,
        metadata={"format": "uri-reference", "description": "The path of the request."},
    )
    request_id = fields.String(metadata={"description": "The request's `X-Request-Id`."})
    errors = fields.Dict(
        metadata={"description": "Validation errors: location → field → messages."}
    )


class Problem(HTTPException):
    """An HTTP error with a problem type, a detail and extension members."""

    code = 400
    #: Short kebab-case name of the problem type; ``None`` means ``about:blank``.
    slug: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(description=detail)
        self.extensions = extensions
        self.extra_headers = headers or {}


class BadRequest(Problem):
    code = 400


class MalformedJSON(BadRequest):
    """A JSON body that cannot be parsed, or whose nesting or numbers exceed the bounds."""

    slug = "malformed-json"


class UnknownQueryParameter(BadRequest):
    """A query parameter the endpoint does not declare, or one given more than once.

    ``errors`` maps ``query`` → parameter → messages, like a validation error.
    """

    slug = "unknown-query-parameter"


class Unauthorized(Problem):
    code = 401
    slug = "unauthenticated"

    def __init__(self, detail: str = "A valid bearer token is required.", **extensions: Any):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extensions)


class Forbidden(Problem):
    code = 403
    slug = "forbidden"


class NotFound(Problem):
    code = 404


class NotAcceptable(Problem):
    code = 406


class Conflict(Problem):
    code = 409
    slug = "conflict"


class MergeConflict(Conflict):
    """An edit of an older revision overlaps changes made since (``?merge=1``)."""

    slug = "merge-conflict"


class Gone(Problem):
    code = 410
    slug = "gone"


class PreconditionFailed(Problem):
    code = 412
    slug = "stale-revision"


class BodyTooLarge(Problem):
    """A request body over ``MAX_CONTENT_LENGTH`` (``CMS_MAX_BODY_BYTES``), however sent."""

    code = 413


class CopyTooLarge(Problem):
    """Wire copy over ``CMS_INGEST_MAX_BYTES``."""

    code = 413


class UnsupportedMediaType(Problem):
    code = 415


class ValidationFailed(Problem):
    """422 with per-field messages: ``errors`` maps location → field → messages."""

    code = 422
    slug = "validation-error"


class PreconditionRequired(Problem):
    code = 428
    slug = "if-match-required"


class TooManyRequests(Problem):
    """A rate limit was reached; ``Retry-After`` says in how many seconds to try again."""

    code = 429
    slug = "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(
            detail, headers={"Retry-After": str(retry_after)}, retry_after=retry_after
        )


class DatabaseUnavailable(Problem):
    """The database refused, dropped or did not answer in time; worth retrying soon."""

    code = 503
    slug = "database-unavailable"
    #: Seconds a client is asked to wait before trying again (``Retry-After``).
    retry_after = 5

    def __init__(self, detail: str = "The database is unavailable; try again shortly."):
        super().__init__(detail, headers={"Retry-After": str(self.retry_after)})


def problem_body(error: HTTPException) -> dict[str, Any]:
    """Return the problem-details members describing ``error``."""
    status = error.code or 500
    slug = getattr(error, "slug", None)
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = error.name
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
    }
    detail = error.description
    # werkzeug's default descriptions are written for browsers; keep them, they are plain text.
    if detail:
        body["detail"] = detail
    # Validation errors raised by webargs carry their per-field messages in ``data``.
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        body["type"] = f"{TYPE_PREFIX}validation-error"
        body["detail"] = "The request does not match the expected shape."
        body["errors"] = data["messages"]
    body.update(getattr(error, "extensions", {}))
    # ``request.path`` is decoded; a URI reference (RFC 9457 §3.1.5) needs it percent-encoded.
    body["instance"] = quote(request.path, safe=_PATH_SAFE)
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    return body


def problem_response(error: HTTPException) -> Response:
    """Render ``error`` as an ``application/problem+json`` response."""
    if isinstance(error.code, int) and error.code >= 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            # Flask has already logged the traceback; keep the request id beside it.
            log.error("unhandled %s", type(original).__name__)
            error = _internal_error()
    body = problem_body(error)
    response = Response(json.dumps(body), status=error.code or 500, mimetype=PROBLEM_MEDIA_TYPE)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    for name, value in getattr(error, "extra_headers", {}).items():
        response.headers[name] = value
    data_headers = (getattr(error, "data", None) or {}).get("headers") or {}
    for name, value in data_headers.items():
        response.headers[name] = value
    return response


def _internal_error() -> Problem:
    problem = Problem("The server could not complete the request; it has been logged.")
    problem.code = 500
    return problem
