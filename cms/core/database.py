"""The session's database beside the ORM's unit of work: bulk statements, and outages."""

from __future__ import annotations

import logging

from flask import Response
from sqlalchemy import CursorResult, Delete, Update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from cms.core.errors import DatabaseUnavailable, problem_response
from cms.core.extensions import db

log = logging.getLogger(__name__)

#: What SQLAlchemy raises when the database refuses or drops a connection, does
#: not answer in time (connect or statement timeout), or no pooled connection
#: frees up in time. A request that meets one is answered 503, not 500.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)


def changed_rows(statement: Update | Delete) -> int:
    """Execute a bulk UPDATE or DELETE and return how many rows it matched.

    The statement's ``WHERE`` is the whole guard of a compare-and-swap, so the
    session's objects are left as they are (``synchronize_session=False``): a
    caller that needs them reloads them.
    """
    result = db.session.execute(statement, execution_options={"synchronize_session": False})
    # Session.execute is typed as returning any Result; a bulk UPDATE or DELETE
    # without RETURNING always gives the CursorResult that carries the row count.
    assert isinstance(result, CursorResult)
    return result.rowcount


def unavailable_response(error: Exception) -> Response:
    """Log ``error`` (one of :data:`UNAVAILABLE`) and return the 503 problem for it."""
    cause = getattr(error, "orig", None) or error
    # The cause, not the statement: its parameters may hold credentials.
    first_line = str(cause).strip().partition("\n")[0]
    log.warning("database unavailable: %s: %s", type(cause).__name__, first_line)
    return problem_response(DatabaseUnavailable())
