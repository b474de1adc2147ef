"""The session's database beside the ORM's unit of work: bulk statements, outages, and
read-only requests, which run without a transaction.
"""

from __future__ import annotations

import logging
import select
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, has_request_context, request
from sqlalchemy import (
    BindParameter,
    CursorResult,
    Delete,
    Engine,
    Executable,
    Update,
    bindparam,
    event,
)
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from cms.core.errors import DatabaseUnavailable, problem_response
from cms.core.extensions import db

log = logging.getLogger(__name__)

#: What SQLAlchemy raises when the database refuses or drops a connection, does
#: not answer in time (connect or statement timeout), or no pooled connection
#: frees up in time. A request that meets one is answered 503, not 500.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)

#: Methods that change nothing: their requests read without a transaction.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Marks, in a pooled connection's ``info``, one switched to autocommit for a read.
_AUTOCOMMIT = "cms.read_only"
#: Execution option (``statement.execution_options(**{CUSTOM_PLAN: True})``): PostgreSQL
#: plans the statement for its own parameters every time (:func:`configure_custom_plans`).
CUSTOM_PLAN = "cms_custom_plan"
#: Where a pooled connection's ``info`` keeps psycopg's own ``prepare_threshold``.
_PREPARE_THRESHOLD = "cms.prepare_threshold"


def read_only_request() -> bool:
    """Whether a request is being served and its method changes nothing."""
    return has_request_context() and request.method in READ_METHODS


def _begin_postgresql(connection) -> None:
    # A read needs no transaction: without one, psycopg sends no BEGIN and the
    # unit of work's commit sends no COMMIT (two round trips fewer). Under READ
    # COMMITTED each statement saw its own snapshot anyway.
    if read_only_request():
        connection.connection.driver_connection.autocommit = True
        connection.connection.info[_AUTOCOMMIT] = True


def _checkin_postgresql(dbapi_connection, record) -> None:
    # Back in the pool, a connection lent to a read is transactional again.
    if record.info.pop(_AUTOCOMMIT, False) and dbapi_connection is not None:
        dbapi_connection.autocommit = False


def configure_liveness(engine: Engine) -> None:
    """Make a PostgreSQL ``engine``'s pool replace connections the server has closed.

    What ``pool_pre_ping`` promises (a database restart never hands a request a
    dead connection) without its round trip on every checkout: a server that
    closes a connection (a restart, a terminated backend) says so and closes the
    socket, so only an idle pooled connection with something to read may be
    dead. Such a one is pinged (the dialect's ping, as ``pool_pre_ping`` does),
    and replaced by the pool if the ping fails.
    """
    if engine.dialect.name != "postgresql":
        return
    dialect = engine.dialect

    def check(dbapi_connection, _record, _proxy) -> None:
        try:
            readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
            if readable:
                dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("pooled connection closed by the server") from error

    event.listen(engine, "checkout", check)


def configure_custom_plans(engine: Engine) -> None:
    """Plan the statements marked with :data:`CUSTOM_PLAN` for their own parameters, every
    time, on a PostgreSQL ``engine``.

    psycopg prepares a statement it has run five times, and from then on PostgreSQL may
    reuse one generic plan for any parameters. For most statements that saves planning;
    for a search it is a trap: a plan made for no word in particular read every match of a
    common one, 0.6 s instead of 0.15 s at 100,000 stories. A marked statement is sent
    unprepared, so it is planned with its values; every other one is prepared as before.
    """
    if engine.dialect.name != "postgresql":
        return

    def remember_threshold(dbapi_connection, record) -> None:
        record.info[_PREPARE_THRESHOLD] = dbapi_connection.prepare_threshold

    def choose(connection, cursor, _statement, _parameters, context, _executemany) -> None:
        custom = context is not None and context.execution_options.get(CUSTOM_PLAN, False)
        cursor.connection.prepare_threshold = (
            None if custom else connection.connection.info.get(_PREPARE_THRESHOLD, 5)
        )

    event.listen(engine, "connect", remember_threshold)
    event.listen(engine, "before_cursor_execute", choose)


def configure_read_only(engine: Engine) -> None:
    """Let read-only requests on a PostgreSQL ``engine`` run without a transaction.

    (SQLite's are set up by :func:`cms.core.sqlite.configure_sqlite`.)
    """
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "begin", _begin_postgresql)
    event.listen(engine, "checkin", _checkin_postgresql)


def set_parameters(names: Iterable[str]) -> dict[str, BindParameter]:
    """The ``SET`` clause of an UPDATE built once and run many times: each of the columns
    ``names`` to a bound parameter, whose values :func:`set_values` gives."""
    return {name: bindparam(f"new_{name}") for name in names}


def set_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters that give the columns of :func:`set_parameters` their ``values``."""
    return {f"new_{name}": value for name, value in values.items()}


def changed_rows(statement: Update | Delete, parameters: dict[str, Any] | None = None) -> int:
    """Execute a bulk UPDATE or DELETE (with ``parameters`` for its bound parameters)
    and return how many rows it matched.

    The statement's ``WHERE`` is the whole guard of a compare-and-swap, so the
    session's objects are left as they are: a caller that needs them reloads
    them. Pending changes are flushed first, as the ORM would before any statement.
    """
    return execute(statement, parameters).rowcount


def execute(statement: Executable, parameters: dict[str, Any] | None = None) -> CursorResult:
    """Execute a Core statement on the session's connection, pending changes flushed
    first as the ORM would, and return its result.

    For statements whose rows the unit of work does not track (bulk writes,
    append-only inserts, plain-row reads): the ORM's own execution of them costs
    30 to 40 µs more a statement, for bookkeeping they do not need.
    """
    session = db.session
    session.flush()
    return session.connection().execute(statement, parameters)


def unavailable_response(error: Exception) -> Response:
    """Log ``error`` (one of :data:`UNAVAILABLE`) and return the 503 problem for it."""
    cause = getattr(error, "orig", None) or error
    # The cause, not the statement: its parameters may hold credentials.
    first_line = str(cause).strip().partition("\n")[0]
    log.warning("database unavailable: %s: %s", type(cause).__name__, first_line)
    return problem_response(DatabaseUnavailable())
