"""Statements run against the session's database beside the ORM's unit of work."""

from __future__ import annotations

from sqlalchemy import CursorResult, Delete, Update

from cms.core.extensions import db


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
