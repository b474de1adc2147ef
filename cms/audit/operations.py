"""Writing and reading the history log. Operations flush; the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select

from cms.audit.models import AuditAction, AuditEntry
from cms.auth.models import User
from cms.core.database import execute
from cms.core.pagination import SortKey
from cms.core.types import utcnow

#: Built once, on the table: the same statement for every entry, and no ORM bookkeeping.
_INSERT = insert(AuditEntry.metadata.tables[AuditEntry.__tablename__])


def record_audit(
    article_id: int,
    action: AuditAction,
    actor: User,
    *,
    revision_number: int | None = None,
    version_number: int | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append an entry to the article's history.

    One INSERT, at once: entries are append-only and nothing reads one back in the
    transaction that writes it, so the unit of work has nothing to track.
    """
    execute(
        _INSERT,
        {
            "article_id": article_id,
            "action": action,
            "actor_id": actor.id,
            "at": at or utcnow(),
            "revision_number": revision_number,
            "version_number": version_number,
            "reason": reason,
            "details": details or {},
        },
    )


#: The keyset order of an article's history: newest first (``ix_audit_entries_article_id_id``).
HISTORY_ORDER = (SortKey(AuditEntry.id),)


def history_query(article_id: int) -> Select:
    """Return a ``select()`` of the article's history, newest first."""
    return (
        select(AuditEntry)
        .where(AuditEntry.article_id == article_id)
        .order_by(AuditEntry.id.desc())
    )
