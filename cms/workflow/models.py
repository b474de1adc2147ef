"""Approvals, public versions, scheduled publications and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms.auth.models import User
from cms.core.types import JSONType, UTCDateTime, enum_type, utcnow
from cms.extensions import db


def _revision_reference(column: str) -> ForeignKeyConstraint:
    """A foreign key from ``(article_id, column)`` to the revision it names."""
    return ForeignKeyConstraint(
        ["article_id", column],
        ["revisions.article_id", "revisions.number"],
        ondelete="CASCADE",
    )


class VersionKind(enum.StrEnum):
    """What a publication is to readers."""

    #: The first publication of the story.
    FIRST = "first"
    #: A substantive update: moves the public "Last Updated" stamp.
    UPDATE = "update"
    #: A fix that changes no facts (typo, style): leaves "Last Updated" alone.
    MINOR = "minor"
    #: Corrects an error: needs a public correction note; moves "Last Updated".
    CORRECTION = "correction"


class ScheduleState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


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


class Approval(db.Model):
    """An editor's approval of one exact revision (its number and its content).

    Rows are never changed. The approval in force is the article's newest one
    while its status is ``approved``; ``Article.approved_revision_number`` names
    its revision.
    """

    __tablename__ = "approvals"
    __table_args__ = (_revision_reference("revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    #: The approved revision.
    revision_number: Mapped[int] = mapped_column(Integer)
    #: That revision's ``content_hash`` when approved: what the editor read.
    content_hash: Mapped[str] = mapped_column(String(64))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    approved_by: Mapped[User] = relationship(lazy="joined")


class Version(db.Model):
    """A public version of an article: what readers and partners saw from ``published_at``.

    Numbered 1, 2, 3 … per article, apart from revision numbers: only
    publications count. Rows are never changed; corrections are the versions
    of kind ``correction``.
    """

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("article_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("kind <> 'correction' OR note IS NOT NULL", name="correction_has_note"),
        _revision_reference("revision_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    #: 1, 2, 3 … per article, in order of publication.
    number: Mapped[int] = mapped_column(Integer)
    #: The revision this version published: the approved one, not necessarily the head.
    revision_number: Mapped[int] = mapped_column(Integer)
    #: The revision's content hash, equal to the approval's.
    content_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[VersionKind] = mapped_column(enum_type(VersionKind, "version_kind", 16))
    #: The public note: the correction text for a correction, optional otherwise.
    note: Mapped[str | None] = mapped_column(Text)
    #: Until this instant, partner-facing output shows this version only to
    #: partners allowed embargoed copy.
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The editor who published it (for a scheduled publication, who scheduled it).
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The approval this version carried out.
    approval_id: Mapped[int] = mapped_column(ForeignKey("approvals.id"))

    published_by: Mapped[User] = relationship(lazy="joined")


class ScheduledPublication(db.Model):
    """A job: publish an approval at ``publish_at``, exactly once.

    The worker claims a due job by moving it from ``pending`` with a
    compare-and-swap and publishes in the same transaction.
    """

    __tablename__ = "scheduled_publications"
    __table_args__ = (
        Index("ix_scheduled_publications_state_publish_at", "state", "publish_at"),
        # At most one pending publication per article.
        Index(
            "uq_scheduled_publications_pending_article",
            "article_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    #: The approval to publish; if it is no longer in force, the job fails.
    approval_id: Mapped[int] = mapped_column(ForeignKey("approvals.id"))
    #: When to publish; a worker that was down at that time catches up.
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[VersionKind] = mapped_column(enum_type(VersionKind, "version_kind", 16))
    note: Mapped[str | None] = mapped_column(Text)
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[ScheduleState] = mapped_column(
        enum_type(ScheduleState, "schedule_state", 16), default=ScheduleState.PENDING
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the job was done, cancelled or failed.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the job failed or was cancelled.
    outcome: Mapped[str | None] = mapped_column(String(500))
    #: The version the job published.
    version_number: Mapped[int | None] = mapped_column(Integer)

    created_by: Mapped[User] = relationship(lazy="joined")


class AuditEntry(db.Model):
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
