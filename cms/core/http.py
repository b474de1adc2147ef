"""Request plumbing shared by all blueprints: request ids, logging, conditional requests.

Conditional requests (RFC 9110 §13) are decided here and nowhere else, for the
editors' API and the partners' content API alike: ``If-None-Match`` is
compared weakly (a cache revalidating ``W/"x"`` holds ``"x"``), ``If-Match``
strongly (a write must name the exact state it was based on).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from werkzeug.datastructures import ETags
from werkzeug.http import http_date, parse_etags, unquote_etag

from cms.core.errors import PreconditionFailed, PreconditionRequired, UnsupportedMediaType
from cms.core.extensions import db

log = logging.getLogger("cms.request")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: RFC 9110 §8.8.3: ``entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE``. werkzeug's
#: parser also takes unquoted junk as a tag; a header that is not ``*`` or a
#: list of these names no tag at all.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_ENTITY_TAGS = re.compile(rf"\*|{_ENTITY_TAG}(?:[ \t]*,[ \t]*{_ENTITY_TAG})*")

#: OpenAPI: the ``ETag`` header of a response that carries one.
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}}}
#: OpenAPI: the ``If-Match`` header every write needs.
IF_MATCH_HEADER = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ETag of the article state you edited.",
}
#: OpenAPI: the ``If-None-Match`` header a conditional read honours. Give it to
#: ``Blueprint.route(parameters=...)`` where the route has other parameters:
#: ``Blueprint.doc(parameters=...)`` would replace theirs.
IF_NONE_MATCH_HEADER = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "ETags of the copies you hold (weak comparison): "
    "a match is answered 304 without a body.",
}
#: ``Blueprint.doc`` arguments documenting ``If-Match`` and the problems it answers with
#: (:func:`if_match_header`, :func:`stale_precondition`).
IF_MATCH_DOC = {
    "parameters": [IF_MATCH_HEADER],
    "responses": {
        412: {
            "description": "Stale If-Match: it changed since you read it (`stale-revision`, "
            "with `current_etag`); reload and reapply."
        },
        428: {"description": "If-Match is missing, `*` or a list (`if-match-required`)."},
    },
}


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` to every log record ('-' outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app: Flask) -> None:
    """Log to stderr with the request id on every line, once per process."""
    root = logging.getLogger("cms")
    root.setLevel(app.config["CMS_LOG_LEVEL"])
    if not any(isinstance(f, RequestIdFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
        root.addHandler(handler)
        root.propagate = False


def init_request_tracking(app: Flask) -> None:
    """Give every request an id (kept from ``X-Request-Id`` when sane) and log it."""

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-Id"] = request_id
            elapsed = (time.perf_counter() - g.request_started) * 1000
            log.info(
                "%s %s %s %.1fms", request.method, request.path, response.status_code, elapsed
            )
        return response


def require_json_body() -> None:
    """Refuse a write whose body is not JSON with 415 (``before_request`` hook).

    Raises :class:`UnsupportedMediaType` for a non-empty body of another type.
    """
    if request.method not in _WRITE_METHODS:
        return
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    if has_body and not request.is_json:
        raise UnsupportedMediaType(
            f"Send the body as application/json, not {request.mimetype or 'untyped data'}."
        )


def _entity_tags(value: str) -> ETags:
    value = value.strip()
    if not _ENTITY_TAGS.fullmatch(value):
        return ETags()
    return parse_etags(value)


def weak_match(header: str, etag: str) -> bool:
    """Whether the ``If-None-Match`` value ``header`` names ``etag``, compared weakly.

    RFC 9110 §8.8.3.2: ``W/"x"`` and ``"x"`` match each other; ``*`` matches
    any tag. A malformed value matches nothing.
    """
    opaque, _weak = unquote_etag(etag)
    return _entity_tags(header).contains_weak(opaque)


def strong_match(header: str, etag: str) -> bool:
    """Whether the ``If-Match`` value ``header`` names ``etag``, compared strongly.

    Both must be strong and the same tag: a weak tag never matches. A
    malformed value matches nothing.
    """
    opaque, weak = unquote_etag(etag)
    return not weak and _entity_tags(header).is_strong(opaque)


def not_modified(
    etag: str,
    last_modified: datetime | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response | None:
    """Return the 304 answer when the request's copy is current, else ``None``.

    ``If-None-Match`` is compared weakly with ``etag`` and, when sent, decides
    alone (RFC 9110 §13.2.2); otherwise ``If-Modified-Since`` is compared with
    ``last_modified``, when given. The 304 carries ``ETag``, ``Last-Modified``
    and ``headers``, as the 200 would.
    """
    answer = {"ETag": etag, **(headers or {})}
    if last_modified is not None:
        answer["Last-Modified"] = http_date(last_modified)
    if_none_match = request.headers.get("If-None-Match", "")
    if if_none_match.strip():
        matched = weak_match(if_none_match, etag)
    else:
        since = request.if_modified_since
        matched = (
            last_modified is not None
            and since is not None
            and last_modified.replace(microsecond=0) <= since
        )
    return Response(status=304, headers=answer) if matched else None


def with_etag(
    body: Any, etag: str, status: int = 200, **headers: str
) -> tuple[Any, int, dict[str, str]]:
    """Return a view result: ``body`` with ``status``, its ``ETag`` and any other ``headers``."""
    return body, status, {"ETag": etag, **headers}


def if_match_header() -> str:
    """Return the single entity tag of the request's ``If-Match`` header.

    Raises :class:`PreconditionRequired` when the header is missing, is ``*`` or
    names several tags: every write must name the one revision it was based on.
    """
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise PreconditionRequired(
            "Send If-Match with the ETag of the revision you edited; "
            "writes without it could overwrite someone else's work."
        )
    if raw == "*" or "," in raw:
        raise PreconditionRequired("If-Match must name exactly one ETag, not '*' or a list.")
    return raw


def stale_precondition(
    if_match: str, etag: str, detail: str, **extensions: Any
) -> PreconditionFailed:
    """Return the 412 for a write whose ``if_match`` does not name the current ``etag``.

    ``detail`` says why (the resource changed); for a weak tag the problem says
    instead that a weak tag cannot be used for a write. Both name ``etag`` as
    ``current_etag``, after the ``extensions``.
    """
    if unquote_etag(if_match)[1]:
        detail = (
            f"If-Match names the weak ETag {if_match}, and a weak tag cannot be used for a "
            "write: it does not say which exact state you edited (a proxy that compresses "
            f"responses turns strong tags weak, for one). Send the strong ETag {etag}."
        )
    return PreconditionFailed(detail, **extensions, current_etag=etag)


def init_unit_of_work(app: Flask) -> None:
    """Commit once per successful request; anything else is rolled back.

    Operations only flush. A request that ends in an error status commits
    nothing, so bad input changes nothing.
    """

    @app.after_request
    def commit_on_success(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def end_session(_error: BaseException | None) -> None:
        # Normally the app context ends with the request and Flask-SQLAlchemy
        # closes the session then; this also holds when a context outlives it.
        db.session.remove()
