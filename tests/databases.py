"""Scratch databases for tests and benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, make_url, text

from cms.config import normalise_database_url


@contextmanager
def scratch_postgres(server_url: str, prefix: str = "cms_scratch") -> Iterator[str]:
    """Create an empty database on the server of ``server_url``, yield its URL, drop it."""
    server = make_url(normalise_database_url(server_url))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """Yield a list that collects the SQL of every statement ``engine`` runs in the block."""
    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
