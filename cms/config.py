"""Configuration read from the environment, with the documented defaults.

Every variable is listed in docs/operations.md ("Configuration").
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else int(value)


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else float(value)


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


#: Seconds allowed to connect to the database (``CMS_DB_CONNECT_TIMEOUT``).
DEFAULT_DB_CONNECT_TIMEOUT = 5
#: Seconds any one statement may run on PostgreSQL (``CMS_DB_STATEMENT_TIMEOUT``):
#: under gunicorn's 30-second worker timeout.
DEFAULT_DB_STATEMENT_TIMEOUT = 20.0


def normalise_database_url(url: str) -> str:
    """Return ``url`` with a bare ``postgresql://`` scheme mapped to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def public_url(value: str) -> str | None:
    """Return ``CMS_PUBLIC_URL`` without its trailing slash, or ``None`` when it is empty.

    Raises ``ValueError`` unless it is an absolute http(s) URL with a host and
    no credentials, query or fragment.
    """
    value = value.strip()
    if not value:
        return None
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"CMS_PUBLIC_URL={value!r} must be an http(s) URL like https://cms.example.com, "
            "without credentials, query or fragment"
        )
    return value.rstrip("/")


def engine_options(
    url: str,
    *,
    connect_timeout: int = DEFAULT_DB_CONNECT_TIMEOUT,
    statement_timeout: float = DEFAULT_DB_STATEMENT_TIMEOUT,
) -> dict:
    """Return SQLAlchemy engine options suited to the database in ``url``.

    On PostgreSQL, ``connect_timeout`` (seconds) bounds connecting and waiting for
    a pooled connection, and ``statement_timeout`` (seconds, ``0`` for none) every
    statement, so that a database that does not answer fails a request quickly.
    """
    if url.startswith("sqlite"):
        # Writers queue on SQLite's single write lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    connect_args: dict[str, object] = {"connect_timeout": connect_timeout}
    # No JIT: compiling a search's plan cost ~55 ms of every such request, more than
    # the query saves on tables this size.
    options = ["-c jit=off"]
    if statement_timeout > 0:
        options.append(f"-c statement_timeout={round(statement_timeout * 1000)}")
    connect_args["options"] = " ".join(options)
    # Pooled connections closed by the server are replaced at checkout without a
    # ping per request: cms.core.database.configure_liveness.
    return {"pool_timeout": connect_timeout, "connect_args": connect_args}


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from ``CMS_*`` environment variables.

    Raises ``ValueError`` when a variable is malformed (for example an unknown
    time zone), so that a misconfigured process fails at start, not mid-request.
    """
    default_db = "sqlite:///" + str(Path(instance_path) / "cms.db")
    url = normalise_database_url(os.environ.get("CMS_DATABASE_URL", default_db))
    timezone = os.environ.get("CMS_TIMEZONE", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"CMS_TIMEZONE={timezone!r} is not a known IANA time zone") from exc
    connect_timeout = _int("CMS_DB_CONNECT_TIMEOUT", DEFAULT_DB_CONNECT_TIMEOUT)
    statement_timeout = _float("CMS_DB_STATEMENT_TIMEOUT", DEFAULT_DB_STATEMENT_TIMEOUT)
    if connect_timeout < 1:
        raise ValueError("CMS_DB_CONNECT_TIMEOUT must be at least 1 second")
    if statement_timeout < 0:
        raise ValueError("CMS_DB_STATEMENT_TIMEOUT must not be negative")
    health_probe = _float("CMS_HEALTH_PROBE_SECONDS", 1.0)
    if health_probe < 0:
        raise ValueError("CMS_HEALTH_PROBE_SECONDS must not be negative")
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(
            url, connect_timeout=connect_timeout, statement_timeout=statement_timeout
        ),
        "CMS_HEALTH_PROBE_SECONDS": health_probe,
        "MAX_CONTENT_LENGTH": _int("CMS_MAX_BODY_BYTES", 2 * 1024 * 1024),
        "CMS_PUBLIC_URL": public_url(os.environ.get("CMS_PUBLIC_URL", "")),
        "CMS_TIMEZONE": timezone,
        "CMS_CORS_ORIGINS": _list("CMS_CORS_ORIGINS"),
        "CMS_TOKEN_TTL_HOURS": _int("CMS_TOKEN_TTL_HOURS", 12),
        "CMS_PAGE_SIZE_MAX": _int("CMS_PAGE_SIZE_MAX", 100),
        "CMS_ALLOW_SELF_APPROVAL": _flag("CMS_ALLOW_SELF_APPROVAL"),
        "CMS_LOG_LEVEL": os.environ.get("CMS_LOG_LEVEL", "INFO"),
        "CMS_INGEST_MAX_BYTES": _int("CMS_INGEST_MAX_BYTES", 1024 * 1024),
        "CMS_INGEST_TAKE_WINDOW_HOURS": _int("CMS_INGEST_TAKE_WINDOW_HOURS", 24),
        "CMS_COPYRIGHT_HOLDER": os.environ.get("CMS_COPYRIGHT_HOLDER", "Newsroom CMS"),
        "CMS_USAGE_TERMS": os.environ.get(
            "CMS_USAGE_TERMS",
            "For use by licensed partners only. Credit the newsroom and any agency named.",
        ),
        **webhook_settings(),
        **login_limits(),
        **partner_transport(),
    }


def login_limits() -> dict:
    """Read where rate limits are counted, the limits on logging in, and the proxies in front.

    Raises ``ValueError`` for a limit that is not in flask-limiter's notation
    (``10 per 15 minutes``, ``20/minute``; several separated by ``;``) and for
    a negative number of proxies.
    """
    settings = {
        "CMS_RATELIMIT_STORAGE_URL": os.environ.get("CMS_RATELIMIT_STORAGE_URL", "memory://"),
        "CMS_LOGIN_LIMIT_PER_ACCOUNT": os.environ.get(
            "CMS_LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"
        ),
        "CMS_LOGIN_LIMIT_PER_ADDRESS": os.environ.get(
            "CMS_LOGIN_LIMIT_PER_ADDRESS", "20 per minute"
        ),
    }
    for name in ("CMS_LOGIN_LIMIT_PER_ACCOUNT", "CMS_LOGIN_LIMIT_PER_ADDRESS"):
        try:
            parse_many(settings[name])
        except ValueError:
            raise ValueError(
                f"{name}={settings[name]!r} is not a rate limit like '10 per 15 minutes'"
            ) from None
    hops = _int("CMS_PROXY_HOPS", 0)
    if hops < 0:
        raise ValueError("CMS_PROXY_HOPS must not be negative")
    return {**settings, "CMS_PROXY_HOPS": hops}


def webhook_settings() -> dict:
    """Read the delivery settings (webhooks, partner keys) from the environment.

    Raises ``ValueError`` for values that cannot work: no attempt at all, no
    sending thread, a non-positive timeout or backoff, or a lease shorter than
    twice the timeout (an attempt's deadline must leave its worker time to
    record the outcome before the claim lapses and another worker sends again).
    """
    settings = {
        "CMS_WEBHOOK_MAX_ATTEMPTS": _int("CMS_WEBHOOK_MAX_ATTEMPTS", 100),
        "CMS_WEBHOOK_TIMEOUT": _float("CMS_WEBHOOK_TIMEOUT", 10.0),
        "CMS_WEBHOOK_BACKOFF_BASE": _float("CMS_WEBHOOK_BACKOFF_BASE", 30.0),
        "CMS_WEBHOOK_BACKOFF_MAX": _float("CMS_WEBHOOK_BACKOFF_MAX", 3600.0),
        "CMS_WEBHOOK_LEASE_SECONDS": _float("CMS_WEBHOOK_LEASE_SECONDS", 60.0),
        "CMS_WEBHOOK_ALLOW_PRIVATE": _flag("CMS_WEBHOOK_ALLOW_PRIVATE"),
        "CMS_PARTNER_KEY_CACHE_SECONDS": _float("CMS_PARTNER_KEY_CACHE_SECONDS", 5.0),
        "CMS_PARTNER_VIEW_CACHE_SECONDS": _float("CMS_PARTNER_VIEW_CACHE_SECONDS", 5.0),
        "CMS_WORKER_SENDERS": _int("CMS_WORKER_SENDERS", 4),
        "CMS_WEBHOOK_RETRY_HOURS": _float("CMS_WEBHOOK_RETRY_HOURS", 72.0),
        "CMS_WEBHOOK_SECRET_OVERLAP_HOURS": _float("CMS_WEBHOOK_SECRET_OVERLAP_HOURS", 24.0),
    }
    if settings["CMS_WEBHOOK_MAX_ATTEMPTS"] < 1:
        raise ValueError("CMS_WEBHOOK_MAX_ATTEMPTS must be at least 1")
    for name in ("CMS_WEBHOOK_TIMEOUT", "CMS_WEBHOOK_BACKOFF_BASE", "CMS_WEBHOOK_BACKOFF_MAX"):
        if settings[name] <= 0:
            raise ValueError(f"{name} must be positive")
    if settings["CMS_WEBHOOK_LEASE_SECONDS"] < 2 * settings["CMS_WEBHOOK_TIMEOUT"]:
        raise ValueError("CMS_WEBHOOK_LEASE_SECONDS must be at least twice CMS_WEBHOOK_TIMEOUT")
    if settings["CMS_WORKER_SENDERS"] < 1:
        raise ValueError("CMS_WORKER_SENDERS must be at least 1")
    for name in ("CMS_PARTNER_KEY_CACHE_SECONDS", "CMS_PARTNER_VIEW_CACHE_SECONDS"):
        if settings[name] < 0:
            raise ValueError(f"{name} must not be negative")
    if settings["CMS_WEBHOOK_RETRY_HOURS"] <= 0:
        raise ValueError("CMS_WEBHOOK_RETRY_HOURS must be positive")
    if settings["CMS_WEBHOOK_SECRET_OVERLAP_HOURS"] < 0:
        raise ValueError("CMS_WEBHOOK_SECRET_OVERLAP_HOURS must not be negative")
    return settings


def partner_transport() -> dict:
    """Read the partners' rate limit, long polling and usage counting settings.

    Raises ``ValueError`` for a rate limit not in flask-limiter's notation, a
    poll interval that is not positive, or a negative flush interval.
    """
    rate_limit = os.environ.get("CMS_PARTNER_RATE_LIMIT", "600/minute")
    poll = _float("CMS_LONG_POLL_INTERVAL", 0.25)
    flush = _float("CMS_USAGE_FLUSH_SECONDS", 30.0)
    try:
        parse_many(rate_limit)
    except ValueError:
        raise ValueError(
            f"CMS_PARTNER_RATE_LIMIT={rate_limit!r} is not a rate limit like '600/minute'"
        ) from None
    if poll <= 0:
        raise ValueError("CMS_LONG_POLL_INTERVAL must be positive")
    if flush < 0:
        raise ValueError("CMS_USAGE_FLUSH_SECONDS must not be negative")
    return {
        "CMS_PARTNER_RATE_LIMIT": rate_limit,
        "CMS_LONG_POLL_INTERVAL": poll,
        "CMS_USAGE_FLUSH_SECONDS": flush,
    }


#: Where the app serves Swagger UI's own files (``cms.core.views``), so that the
#: API docs pages load nothing from another host and work offline.
SWAGGER_UI_URL = "/swagger-ui/"
#: Swagger UI options: no online validator (it would send the document elsewhere).
SWAGGER_UI_CONFIG = {"validatorUrl": None}

#: Settings for flask-smorest and the OpenAPI document of the editors' API.
API_SETTINGS = {
    "API_TITLE": "Newsroom CMS — editors' API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_URL,
    "OPENAPI_SWAGGER_UI_CONFIG": SWAGGER_UI_CONFIG,
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Write, revise, review and publish stories. "
            "Authenticate with `Authorization: Bearer <token>` from `POST /api/v1/auth/tokens`."
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `POST /api/v1/auth/tokens`.",
                }
            }
        },
        # Every operation that does not say otherwise (only logging in does) needs a token.
        "security": [{"bearerAuth": []}],
    },
}


#: Settings of the partners' content API (``/content/v1``), read by its own
#: flask-smorest ``Api`` (config prefix ``CONTENT_``), with its own OpenAPI document.
CONTENT_API_SETTINGS = {
    "CONTENT_API_TITLE": "Newsroom CMS — partners' content API",
    "CONTENT_API_VERSION": "v1",
    "CONTENT_OPENAPI_VERSION": "3.1.0",
    "CONTENT_OPENAPI_URL_PREFIX": "/content/v1",
    "CONTENT_OPENAPI_JSON_PATH": "openapi.json",
    "CONTENT_OPENAPI_SWAGGER_UI_PATH": "docs",
    "CONTENT_OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_URL,
    "CONTENT_OPENAPI_SWAGGER_UI_CONFIG": SWAGGER_UI_CONFIG,
    "CONTENT_API_SPEC_OPTIONS": {
        "info": {
            "description": "Published stories for syndication partners: articles, the changes "
            "feed, Atom / JSON Feed and IPTC ninjs. Authenticate with "
            "`Authorization: Bearer <partner API key>`."
        },
        "components": {
            "securitySchemes": {
                "partnerKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A partner API key, issued by the newsroom's admins.",
                }
            }
        },
        "security": [{"partnerKey": []}],
    },
}
