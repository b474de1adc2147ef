"""The article history log: one append-only entry for everything done to a story.

Every domain writes here (articles on create, edit and restore; the workflow on
each action; the scheduler when a job fails); nothing here knows those domains.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms.auth.models import User
from cms.core.extensions import Model
from cms.core.types import JSONType, UTCDateTime, enum_type, utcnow


class AuditAction(enum.StrEnum):
    """Everything the history records."""

    CREATE = "create"
    EDIT = "edit"
    RESTORE = "restore"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    PUBLISH = "publish"
    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    SCHEDULE_FAILED = "schedule_failed"
    WITHDRAW = "withdraw"


class AuditEntry(Model):
    """One line of an article's history. Append-only: rows are never changed or deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_article_id_id", "article_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    action: Mapped[AuditAction] = mapped_column(enum_type(AuditAction, "audit_action", 32))
    #: Who acted; for a scheduled publication, the editor who scheduled it.
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The revision acted on (written, submitted, approved, published …).
    revision_number: Mapped[int | None] = mapped_column(Integer)
    #: The public version made or withdrawn.
    version_number: Mapped[int | None] = mapped_column(Integer)
    #: The reason or message given (rejection, kill, revision message …).
    reason: Mapped[str | None] = mapped_column(Text)
    #: Anything else worth keeping, e.g. ``{"kind": "correction"}``.
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor: Mapped[User] = relationship(lazy="joined")


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_rewriting_history(_mapper, _connection, entry: AuditEntry) -> None:
    raise TypeError(f"audit entry {entry.id} is append-only; it cannot be changed")
