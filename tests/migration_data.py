"""Rows written straight into the tables of an older schema, for tests of data migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table

from cms.core.extensions import db


def table(name: str) -> Table:
    """Return table ``name`` as the database has it now (whatever revision it is at)."""
    return Table(name, MetaData(), autoload_with=db.engine)


def insert_user_and_article(
    connection: Connection, now: datetime, *, role: str = "editor", **article: Any
) -> None:
    """Insert user 1 and their article 1 (slug ``s``); ``article`` overrides its columns."""
    connection.execute(
        table("users").insert(),
        {"id": 1, "email": "a@x.test", "name": "A", "role": role, "password_hash": "x",
         "is_active": True, "created_at": now},
    )  # fmt: skip
    connection.execute(
        table("articles").insert(),
        {"id": 1, "slug": "s", "status": "published", "head_number": 1, "lock_version": 1,
         "created_by_id": 1, "created_at": now, "updated_at": now, **article},
    )  # fmt: skip
