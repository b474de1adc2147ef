"""The delivery outbox: one event per publication, update, correction and kill."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cms.core.types import UTCDateTime, utcnow
from cms.extensions import db

#: 64-bit on PostgreSQL; on SQLite only ``INTEGER`` is an alias of the rowid.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class EventKind(enum.StrEnum):
    """What happened to the story, as partners are told."""

    PUBLISHED = "published"
    UPDATED = "updated"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"


class DeliveryEvent(db.Model):
    """An outbox row, written in the same transaction as the change it reports.

    ``id`` orders the changes feed. Writers take a transaction-wide lock before
    inserting (see ``cms.workflow.operations.record_delivery_event``), so ids
    become visible in increasing order: a reader that has seen id *n* never
    later finds a committed event below *n*.
    """

    __tablename__ = "delivery_events"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(EventId, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EventKind] = mapped_column(
        Enum(
            EventKind,
            name="event_kind",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda kinds: [kind.value for kind in kinds],
        )
    )
    #: The public version published, or the one live when the story was withdrawn.
    version_number: Mapped[int] = mapped_column(Integer)
    #: The revision that version holds.
    revision_number: Mapped[int] = mapped_column(Integer)
    #: The version's kind (``first``, ``update``, ``minor``, ``correction``);
    #: ``None`` for a withdrawal.
    version_kind: Mapped[str | None] = mapped_column(String(16))
    #: Partners not allowed embargoed copy must not see the event before this.
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The article's section and slug at the time, for routing and URLs.
    section: Mapped[str | None] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(120))
    #: The correction note or the reason for the withdrawal.
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
