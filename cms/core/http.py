"""Request plumbing shared by all blueprints: request ids, logging, JSON bodies,
conditional requests.

Every JSON request body is parsed once here, before any view runs, with its
nesting depth and the length of its numbers bounded: a body nested thousands
deep or an integer of thousands of digits is a 400 problem, never a recursion
or conversion error deep inside a parser.

Conditional requests (RFC 9110 §13) are decided here and nowhere else, for the
editors' API and the partners' content API alike: ``If-None-Match`` is
compared weakly (a cache revalidating ``W/"x"`` holds ``"x"``), ``If-Match``
strongly (a write must name the exact state it was based on).
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, has_request_context, request
from werkzeug.datastructures import ETags
from werkzeug.http import parse_etags, unquote_etag
from werkzeug.sansio.utils import get_current_url, get_host

from cms.core.database import UNAVAILABLE, read_only_request, unavailable_response
from cms.core.errors import (
    BodyTooLarge,
    MalformedJSON,
    PreconditionFailed,
    PreconditionRequired,
    UnsupportedMediaType,
)
from cms.core.extensions import db

log = logging.getLogger("cms.request")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: RFC 9110 §8.8.3: ``entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE``. werkzeug's
#: parser also takes unquoted junk as a tag; a header that is not ``*`` or a
#: list of these names no tag at all.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_ENTITY_TAGS = re.compile(rf"\*|{_ENTITY_TAG}(?:[ \t]*,[ \t]*{_ENTITY_TAG})*")

#: The deepest nesting of arrays and objects a JSON body may have (a document is 3 deep).
MAX_JSON_DEPTH = 32
#: The longest number literal a JSON body may hold, in characters.
MAX_JSON_NUMBER_LENGTH = 64

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
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else secrets.token_hex(16)
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


def init_body_limit(app: Flask) -> None:
    """Refuse a body over ``MAX_CONTENT_LENGTH`` with 413, including one sent in chunks.

    werkzeug refuses a declared ``Content-Length`` over the limit, but a chunked
    body (no ``Content-Length``) it only cuts short at the limit, so the JSON
    parser would see a truncated document and answer 400. This reads such a body
    here, before anything else does, up to one byte past the limit.
    """

    @app.before_request
    def read_body_within_limit() -> None:
        limit = request.max_content_length
        if limit is None:
            return
        declared = request.content_length
        if declared is None and request.environ.get("wsgi.input_terminated"):
            body = _read_at_most(request.environ["wsgi.input"], limit + 1)
            # From here on the body is an ordinary one with a length.
            request.environ["wsgi.input"] = io.BytesIO(body)
            request.environ["CONTENT_LENGTH"] = str(len(body))
            declared = len(body)
        if declared is not None and declared > limit:
            raise BodyTooLarge(f"The request body is larger than {limit} bytes.")


def _read_at_most(stream: Any, size: int) -> bytes:
    """Read from ``stream`` until it ends or ``size`` bytes have come."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def public_url(path: str | None = None, query_string: bytes = b"") -> str:
    """Return the absolute URL of ``path`` in this app as the public reaches it.

    Without ``path``, the URL of the app's root, ending in ``/``. Scheme, host and
    prefix come from ``CMS_PUBLIC_URL`` when it is set, else from the address the
    server listens on (WSGI ``SERVER_NAME`` and ``SERVER_PORT``); never from the
    ``Host`` header, which any client may forge.
    """
    configured = current_app.config["CMS_PUBLIC_URL"]
    if configured:
        parts = urlsplit(configured)
        scheme, host, root = parts.scheme, parts.netloc, parts.path
    else:
        port = request.environ.get("SERVER_PORT", "")
        server = (request.environ["SERVER_NAME"], int(port) if port.isdigit() else None)
        scheme, root = request.scheme, request.root_path
        host = get_host(scheme, None, server)
    return get_current_url(scheme, host, root, path, query_string or None)


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


class _RefusedJSONError(ValueError):
    """A JSON value that parses but that we do not take."""


def _parse_int(literal: str) -> int:
    if len(literal) > MAX_JSON_NUMBER_LENGTH:
        raise _RefusedJSONError(f"a number is longer than {MAX_JSON_NUMBER_LENGTH} characters")
    return int(literal)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_JSON_NUMBER_LENGTH:
        raise _RefusedJSONError(f"a number is longer than {MAX_JSON_NUMBER_LENGTH} characters")
    number = float(literal)
    if not math.isfinite(number):
        raise _RefusedJSONError(f"the number {literal} is out of range")
    return number


def _parse_constant(name: str) -> Any:
    raise _RefusedJSONError(f"{name} is not a JSON value")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects in ``value`` nest more than ``limit`` deep (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json_body(data: bytes) -> Any:
    """Return the JSON value of a request body, within :data:`MAX_JSON_DEPTH` and
    :data:`MAX_JSON_NUMBER_LENGTH`.

    Raises :class:`MalformedJSON` for a body that is not JSON (or not UTF-8),
    that holds ``NaN`` or ``Infinity``, an overlong or infinite number, or
    arrays and objects nested too deep.
    """
    too_deep = f"The body nests arrays and objects more than {MAX_JSON_DEPTH} deep."
    try:
        value = json.loads(
            data,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except _RefusedJSONError as refused:
        raise MalformedJSON(f"The body is refused: {refused}.") from None
    except RecursionError:
        raise MalformedJSON(too_deep) from None
    except ValueError as error:
        raise MalformedJSON(f"The body is not valid JSON: {error}.") from None
    if isinstance(value, (dict, list)) and _deeper_than(value, MAX_JSON_DEPTH):
        raise MalformedJSON(too_deep)
    return value


def init_json_bodies(app: Flask) -> None:
    """Check every JSON request body with :func:`parse_json_body` before any view runs.

    The views' argument parser reads the same body again; by then it is known
    to be bounded.
    """

    @app.before_request
    def check_json_body() -> None:
        if request.is_json:
            data = request.get_data(cache=True)
            if data:
                parse_json_body(data)


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
    ``last_modified``, when given. The 304 carries ``ETag`` and ``headers``, as
    the 200 would, but not ``Last-Modified``: with an ETag, RFC 9110 §15.4.5
    asks a 304 to leave it out.
    """
    if_none_match = request.headers.get("If-None-Match", "").strip()
    if if_none_match:
        # A cache usually sends back exactly the tag it was given: no parsing then.
        matched = if_none_match == etag or weak_match(if_none_match, etag)
    else:
        since = request.if_modified_since
        matched = (
            last_modified is not None
            and since is not None
            and last_modified.replace(microsecond=0) <= since
        )
    return Response(status=304, headers={"ETag": etag, **(headers or {})}) if matched else None


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
    nothing, so bad input changes nothing. A read-only request (``GET``,
    ``HEAD``, ``OPTIONS``) runs without a transaction and has nothing to commit.
    A database that cannot be reached or does not answer in time, in the view or
    at the commit, makes the answer a 503 problem with ``Retry-After``.
    """
    for error_class in UNAVAILABLE:
        app.register_error_handler(error_class, unavailable_response)

    @app.after_request
    def commit_on_success(response: Response) -> Response:
        if not db.session.registry.has():
            return response  # the request never used the session
        session = db.session
        if read_only_request() and not (session.new or session.dirty or session.deleted):
            # A read ran without a transaction (cms.core.database): nothing to end.
            return response
        try:
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
        except UNAVAILABLE as error:
            return unavailable_response(error)
        return response

    @app.teardown_request
    def end_session(_error: BaseException | None) -> None:
        # Normally the app context ends with the request and Flask-SQLAlchemy
        # closes the session then; this also holds when a context outlives it.
        if db.session.registry.has():
            db.session.remove()
