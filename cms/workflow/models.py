"""Approvals of exact revisions and scheduled publications."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms.articles.models import VersionKind, revision_reference
from cms.auth.models import User
from cms.core.extensions import Model
from cms.core.types import UTCDateTime, enum_type, utcnow


class ScheduleState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Approval(Model):
    """An editor's approval of one exact revision (its number and its content).

    Rows are never changed. The approval in force is the article's newest one
    while its status is ``approved``; ``Article.approved_revision_number`` names
    its revision.
    """

    __tablename__ = "approvals"
    __table_args__ = (revision_reference("revision_number"),)

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


class ScheduledPublication(Model):
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
