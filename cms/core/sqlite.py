"""SQLite set-up: real transactions, WAL, foreign keys and write locks taken early."""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import Engine, event

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    # concurrent. Outside a request (CLI, worker, tests' outer transaction) we
    # assume a writer.
    if has_request_context() and request.method in _READ_METHODS:
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure_sqlite(engine: Engine) -> None:
    """Install the connection and transaction hooks on a SQLite ``engine``."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
