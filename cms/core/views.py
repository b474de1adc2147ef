"""Operational endpoints outside the versioned APIs."""

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cms.core.errors import DatabaseUnavailable
from cms.core.extensions import db

blp = Blueprint("core", __name__)


@blp.get("/healthz")
def healthz():
    """Report whether the process can reach its database (200 or 503)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise DatabaseUnavailable("The database does not answer.") from None
    return {"status": "ok", "database": db.engine.dialect.name}
