"""SQLite set-up: real transactions, WAL, foreign keys and write locks taken early;
read-only requests read without a transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import Engine, event

from cms.core.database import READ_METHODS

_writer: ContextVar[bool] = ContextVar("sqlite_writer", default=False)


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


def _begin(connection) -> None:
    # A deferred transaction that read before another writer committed cannot
    # take the write lock later (SQLITE_BUSY_SNAPSHOT, no waiting). Writers
    # therefore take it at BEGIN and queue on the busy timeout; reads stay
    # concurrent and never hold the write lock. A read-only request needs no
    # transaction at all: each of its statements reads the newest commit.
    if has_request_context():
        if request.method in READ_METHODS:
            return
        writer = True
    else:
        writer = _writer.get()
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def configure_sqlite(engine: Engine) -> None:
    """Install the connection and transaction hooks on a SQLite ``engine``."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
