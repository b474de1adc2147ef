"""SQLite set-up: real transactions, WAL, foreign keys, and the write lock taken at BEGIN
(``BEGIN IMMEDIATE``): at once for a writing request, a CLI command or a job, or at the
first write for requests that defer it; read-only requests read without a transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import Engine, event

from cms.core.database import READ_METHODS

_writer: ContextVar[bool] = ContextVar("sqlite_writer", default=False)
#: ``app.extensions`` key: the blueprints whose writing requests defer the write lock.
_DEFERRED = "cms.sqlite.deferred_write_lock"


@contextmanager
def writing() -> Iterator[None]:
    """Mark transactions begun inside the block (a CLI command, a worker job) as writers.

    Requests need no marking: their method says it.
    """
    token = _writer.set(True)
    try:
        yield
    finally:
        _writer.reset(token)


def _set_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT;
    # turn it off and emit BEGIN ourselves (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def defer_write_lock(app: Flask, *blueprints: str) -> None:
    """Let writing requests to ``blueprints`` take SQLite's write lock at their first write.

    Only for views whose writes are guarded the PostgreSQL way, by a
    compare-and-swap or a unique constraint, never by "nobody else writes
    meanwhile": their reads before the first write are not in the transaction.
    """
    app.extensions.setdefault(_DEFERRED, set()).update(blueprints)


def _defers_lock() -> bool:
    return request.blueprint in current_app.extensions.get(_DEFERRED, ())


def _begin(connection) -> None:
    # A deferred transaction that read before another writer committed cannot
    # take the write lock later (SQLITE_BUSY_SNAPSHOT, no waiting). Writers
    # therefore take it at BEGIN and queue on the busy timeout; reads stay
    # concurrent and never hold the write lock. A read-only request needs no
    # transaction at all (each statement reads the newest commit); a writing
    # request that defers the lock begins at its first write (:func:`_write_lock`).
    if has_request_context():
        if request.method in READ_METHODS or _defers_lock():
            return
        writer = True
    else:
        writer = _writer.get()
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _reads_only(statement: str, context) -> bool:
    """Whether ``statement`` is a plain ``SELECT`` (SQLite drops ``FOR UPDATE`` from the
    SQL, so the statement object is asked; such a read takes the write lock)."""
    if statement.lstrip()[:6].upper() != "SELECT":
        return False
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is None


def _write_lock(connection, cursor, statement, _parameters, context, _executemany) -> None:
    # A request that defers the lock reads without a transaction until its
    # first write (or SELECT … FOR UPDATE), then takes the write lock with
    # BEGIN IMMEDIATE: the lock is held from there to the commit, not through
    # the whole request (the token lookup, loading, diffing, rendering the
    # body). Reads before it see the newest commit each, as under PostgreSQL's
    # READ COMMITTED; what a write was based on is checked by its
    # compare-and-swap or a constraint, as there.
    if not has_request_context() or request.method in READ_METHODS or not _defers_lock():
        return
    if connection.connection.driver_connection.in_transaction:
        return
    if not _reads_only(statement, context):
        cursor.execute("BEGIN IMMEDIATE")


def configure_sqlite(engine: Engine) -> None:
    """Install the connection and transaction hooks on a SQLite ``engine``."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "before_cursor_execute", _write_lock)
