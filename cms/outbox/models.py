"""The outbox: what partners are told happened to a story, in the order it happened.

One row per publication, update, correction, kill and embargo release, written
in the same transaction as the change it reports. Partners read it as the
changes feed; the delivery worker fans each event out to webhook deliveries.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from cms.articles.content import SECTION_MAX, SLUG_MAX
from cms.core.extensions import Model
from cms.core.types import UTCDateTime, enum_type, utcnow

#: 64-bit on PostgreSQL; on SQLite only ``INTEGER`` is an alias of the rowid.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class EventKind(enum.StrEnum):
    """What happened to the story, as partners are told."""

    PUBLISHED = "published"
    UPDATED = "updated"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"


class Audience(enum.StrEnum):
    """Which partners an event is for, as far as embargoes go.

    An embargoed publication is told at once to partners allowed embargoed copy
    and, when the embargo ends, to the others by a second event (a *release*)
    with a new id, so that every partner's view of the feed is in id order.
    """

    #: Every partner (sections permitting).
    ALL = "all"
    #: Only partners allowed embargoed copy: a publication under embargo.
    EMBARGO_ACCESS = "embargo_access"
    #: Only partners not allowed embargoed copy: the release of an embargoed publication.
    NO_EMBARGO_ACCESS = "no_embargo_access"


class DeliveryEvent(Model):
    """An outbox row, written in the same transaction as the change it reports.

    ``id`` orders the changes feed. Writers take a transaction-wide lock before
    inserting (see :func:`cms.outbox.operations.lock_feed`), so ids
    become visible in increasing order: a reader that has seen id *n* never
    later finds a committed event below *n*.
    """

    __tablename__ = "delivery_events"
    __table_args__ = (
        Index("ix_delivery_events_article_id_id", "article_id", "id"),
        # At most one release per embargoed event.
        Index("uq_delivery_events_releases_id", "releases_id", unique=True),
        # The embargoes still to be released, for the worker.
        Index(
            "ix_delivery_events_embargo_pending",
            "embargo_until",
            sqlite_where=text("audience = 'embargo_access' AND lifted_at IS NULL"),
            postgresql_where=text("audience = 'embargo_access' AND lifted_at IS NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "event_kind", 16))
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
    section: Mapped[str | None] = mapped_column(String(SECTION_MAX))
    slug: Mapped[str] = mapped_column(String(SLUG_MAX))
    #: The correction note or the reason for the withdrawal.
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Which partners see the event (see :class:`Audience`).
    audience: Mapped[Audience] = mapped_column(
        enum_type(Audience, "event_audience", 20), default=Audience.ALL, server_default="all"
    )
    #: On a release: the embargoed event it releases. Same table, same article
    #: (deleted together), so no foreign key that would make SQLite rebuild the table.
    releases_id: Mapped[int | None] = mapped_column(EventId)
    #: On an embargoed event: when the worker dealt with the end of its embargo
    #: (wrote the release, or found it superseded or the story withdrawn).
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
