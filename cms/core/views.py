"""Operational endpoints outside the versioned APIs: health, and the API docs' own files."""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory
from sqlalchemy.exc import SQLAlchemyError

from cms.config import SWAGGER_UI_URL
from cms.core.errors import DatabaseUnavailable
from cms.core.extensions import db

blp = Blueprint("core", __name__)
log = logging.getLogger(__name__)

#: The package whose ``static/`` folder holds Swagger UI's files (the JS and CSS only:
#: the package's own Python code, web-framework glue, is never imported).
SWAGGER_UI_PACKAGE = "swagger_ui"


#: Where an app keeps its :class:`HealthProbe`.
_PROBE = "cms.health_probe"


@dataclass
class HealthProbe:
    """The last database probe of one process: when it ran and whether the database answered."""

    lock: threading.Lock
    at: float = -float("inf")
    answered: bool = False

    def answers(self, interval: float) -> bool:
        """Whether the database answers, probing it unless the last probe is under
        ``interval`` seconds old (concurrent requests wait for one probe)."""
        with self.lock:
            if time.monotonic() - self.at >= interval:
                self.answered = _database_answers()
                self.at = time.monotonic()
            return self.answered


def _database_answers() -> bool:
    try:
        # A pooled connection, not the ORM session.
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
        log.warning("health probe: the database does not answer: %s", type(error).__name__)
        return False
    return True


def _probe() -> HealthProbe:
    probe = current_app.extensions.get(_PROBE)
    if probe is None:
        probe = current_app.extensions.setdefault(_PROBE, HealthProbe(threading.Lock()))
    return probe


@blp.get("/healthz")
def healthz():
    """Report whether the process can reach its database (200 or 503).

    The database is probed at most once per ``CMS_HEALTH_PROBE_SECONDS`` per
    process, and the answer (either way) is reused until then: the endpoint
    needs no credentials, so how often it is called must not decide how often
    the database is queried. Raises :class:`DatabaseUnavailable` when the last
    probe got no answer.
    """
    if not _probe().answers(current_app.config["CMS_HEALTH_PROBE_SECONDS"]):
        raise DatabaseUnavailable("The database does not answer.")
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
