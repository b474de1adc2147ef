"""Operational endpoints outside the versioned APIs: health, and the API docs' own files."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from flask import Blueprint, Response, send_from_directory
from sqlalchemy.exc import SQLAlchemyError

from cms.config import SWAGGER_UI_URL
from cms.core.errors import DatabaseUnavailable
from cms.core.extensions import db

blp = Blueprint("core", __name__)

#: The package whose ``static/`` folder holds Swagger UI's files (the JS and CSS only:
#: the package's own Python code, web-framework glue, is never imported).
SWAGGER_UI_PACKAGE = "swagger_ui"


@blp.get("/healthz")
def healthz():
    """Report whether the process can reach its database (200 or 503)."""
    try:
        # A pooled connection, not the ORM session: this is every request's floor.
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError:
        raise DatabaseUnavailable("The database does not answer.") from None
    return {"status": "ok", "database": db.engine.dialect.name}


@functools.cache
def swagger_ui_folder() -> Path:
    """Return the folder of Swagger UI's static files, found once, on first use.

    Raises :class:`RuntimeError` when the package is not installed.
    """
    spec = importlib.util.find_spec(SWAGGER_UI_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{SWAGGER_UI_PACKAGE} is not installed; it is a dependency")
    return Path(spec.submodule_search_locations[0]) / "static"


@blp.get(f"{SWAGGER_UI_URL}<path:filename>")
def swagger_ui_file(filename: str) -> Response:
    """Serve one of Swagger UI's files to the API docs pages (404 for anything else)."""
    return send_from_directory(swagger_ui_folder(), filename)
