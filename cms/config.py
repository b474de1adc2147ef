"""Configuration read from the environment, with the documented defaults.

Every variable is listed in README.md ("Configuration").
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else int(value)


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def normalise_database_url(url: str) -> str:
    """Return ``url`` with a bare ``postgresql://`` scheme mapped to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict:
    """Return SQLAlchemy engine options suited to the database in ``url``."""
    if url.startswith("sqlite"):
        # Writers queue on SQLite's single write lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


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
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        "MAX_CONTENT_LENGTH": _int("CMS_MAX_BODY_BYTES", 2 * 1024 * 1024),
        "CMS_TIMEZONE": timezone,
        "CMS_CORS_ORIGINS": _list("CMS_CORS_ORIGINS"),
        "CMS_TOKEN_TTL_HOURS": _int("CMS_TOKEN_TTL_HOURS", 12),
        "CMS_PAGE_SIZE_MAX": _int("CMS_PAGE_SIZE_MAX", 100),
        "CMS_ALLOW_SELF_APPROVAL": _flag("CMS_ALLOW_SELF_APPROVAL"),
        "CMS_LOG_LEVEL": os.environ.get("CMS_LOG_LEVEL", "INFO"),
        "CMS_INGEST_MAX_BYTES": _int("CMS_INGEST_MAX_BYTES", 1024 * 1024),
        "CMS_INGEST_TAKE_WINDOW_HOURS": _int("CMS_INGEST_TAKE_WINDOW_HOURS", 24),
    }


#: Settings for flask-smorest and the OpenAPI document of the editors' API.
API_SETTINGS = {
    "API_TITLE": "Newsroom CMS — editors' API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_REDOC_PATH": "docs",
    "OPENAPI_REDOC_URL": "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Write, revise, review and publish stories. "
            "Authenticate with `Authorization: Bearer <token>` from `POST /api/v1/auth/tokens`."
        },
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    },
}
