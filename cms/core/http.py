"""Request plumbing shared by all blueprints: request ids, logging, preconditions."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

from cms.core.errors import PreconditionRequired, UnsupportedMediaType

log = logging.getLogger("cms.request")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


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


def init_unit_of_work(app: Flask) -> None:
    """Commit once per successful request; anything else is rolled back.

    Operations only flush. A request that ends in an error status commits
    nothing, so bad input changes nothing.
    """
    from cms.core.extensions import db

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
