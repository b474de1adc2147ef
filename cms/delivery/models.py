"""Partners and their keys, and webhook deliveries of the outbox's events.

The worker turns each event of the outbox (:mod:`cms.outbox`) into webhook
``Delivery`` rows, one per (event, subscribed partner), and records each HTTP
attempt.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms.core.extensions import Model
from cms.core.types import JSONType, UTCDateTime, enum_type, utcnow
from cms.outbox.models import DeliveryEvent, EventId

#: Longest partner name, in characters.
PARTNER_NAME_MAX = 200
#: Longest webhook URL, in characters.
WEBHOOK_URL_MAX = 2000
#: Longest copyright holder or usage terms of a partner, in characters.
RIGHTS_TEXT_MAX = 1000
#: Longest rate limit, in characters (flask-limiter's notation: ``600/minute``).
RATE_LIMIT_MAX = 100


class WebhookHeaders(enum.StrEnum):
    """How a partner's webhooks are signed."""

    #: Standard Webhooks: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.
    STANDARD = "standard"
    #: Compatibility: the ``X-Newsroom-*`` headers of the first release.
    NEWSROOM = "newsroom"


class Partner(Model):
    """A syndication customer: what it may see and where its webhooks go."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(PARTNER_NAME_MAX), unique=True)
    #: Sections the partner receives; ``None`` means every section (and stories
    #: without one), an empty list none.
    sections: Mapped[list[str] | None] = mapped_column(JSONType)
    #: Whether the partner sees embargoed versions before the embargo ends.
    embargo_access: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Where webhooks are POSTed; ``None``: the partner only pulls.
    webhook_url: Mapped[str | None] = mapped_column(String(WEBHOOK_URL_MAX))
    #: The HMAC-SHA256 key that signs webhooks: ``whsec_`` + the key's bytes in
    #: standard base64. Stored as is, since the worker must sign with it; it is
    #: shown once (at creation or rotation) and never logged.
    webhook_secret: Mapped[str] = mapped_column(String(100))
    #: The secret before the last rotation, still signing (beside the new one)
    #: until ``webhook_previous_secret_until``.
    webhook_previous_secret: Mapped[str | None] = mapped_column(String(100))
    webhook_previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which headers sign its webhooks: Standard Webhooks, or the compatibility
    #: ``X-Newsroom-*`` ones (partners that integrated before Standard Webhooks).
    webhook_headers: Mapped[WebhookHeaders] = mapped_column(
        enum_type(WebhookHeaders, "webhook_headers", 16),
        default=WebhookHeaders.STANDARD,
        server_default=WebhookHeaders.STANDARD.value,
    )
    #: The partner's own rate limit on the content API (``1200/minute``);
    #: ``None``: ``CMS_PARTNER_RATE_LIMIT``.
    rate_limit: Mapped[str | None] = mapped_column(String(RATE_LIMIT_MAX))
    #: Set when the receiver answered 410 Gone: deliveries wait until an admin
    #: resumes the webhook (PATCH ``webhook_paused: false`` or a new ``webhook_url``).
    webhook_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    webhook_paused_reason: Mapped[str | None] = mapped_column(String(500))
    #: An inactive partner's keys are refused and its webhooks wait.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: The copyright holder named in what this partner receives; ``None``: the
    #: newsroom's ``CMS_COPYRIGHT_HOLDER``.
    copyright_holder: Mapped[str | None] = mapped_column(String(RIGHTS_TEXT_MAX))
    #: The usage terms sent to this partner; ``None``: the newsroom's ``CMS_USAGE_TERMS``.
    usage_terms: Mapped[str | None] = mapped_column(String(RIGHTS_TEXT_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    keys: Mapped[list[PartnerKey]] = relationship(
        back_populates="partner", order_by="PartnerKey.id", lazy="selectin"
    )


class PartnerKey(Model):
    """An API key of a partner. Several may be live at once, so rotation can overlap."""

    __tablename__ = "partner_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    #: The key's first characters (``nrk_`` and 8 more), shown to tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 (hex) of the whole key. Keys are 256 random bits, so a fast hash is enough.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the key is revoked; a revoked key is refused.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship(back_populates="keys")


class DeliveryState(enum.StrEnum):
    """Where a webhook delivery stands."""

    #: Waiting for ``next_attempt_at`` (and for the partner's earlier deliveries).
    PENDING = "pending"
    #: A worker has it until ``next_attempt_at`` (its lease); after that it is due again.
    DELIVERING = "delivering"
    #: The receiver answered 2xx.
    DELIVERED = "delivered"
    #: Given up: attempts exhausted, or an answer that retrying cannot change.
    DEAD = "dead"


class Delivery(Model):
    """One event to one partner's webhook, tried until delivered or dead."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "partner_id"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_deliveries_partner_id_id", "partner_id", "id"),
        # What the worker looks at: open deliveries, by due time and per partner in order.
        Index(
            "ix_deliveries_open_due",
            "next_attempt_at",
            sqlite_where=text("state IN ('pending', 'delivering')"),
            postgresql_where=text("state IN ('pending', 'delivering')"),
        ),
        Index(
            "ix_deliveries_open_partner_event",
            "partner_id",
            "event_id",
            sqlite_where=text("state IN ('pending', 'delivering')"),
            postgresql_where=text("state IN ('pending', 'delivering')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        EventId, ForeignKey("delivery_events.id", ondelete="CASCADE")
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    state: Mapped[DeliveryState] = mapped_column(
        enum_type(DeliveryState, "delivery_state", 16), default=DeliveryState.PENDING
    )
    #: Attempts made so far (including one in flight); the receiver sees the number.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: ``attempts`` when the delivery was last (re)queued: a manual redelivery
    #: gives a fresh allowance of ``CMS_WEBHOOK_MAX_ATTEMPTS`` from there.
    attempts_base: Mapped[int] = mapped_column(Integer, default=0)
    #: When an admin last queued it again by hand: the retry window
    #: (``CMS_WEBHOOK_RETRY_HOURS``) runs from then, else from ``created_at``.
    requeued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Pending: when it is due. Delivering: when the worker's lease ends.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: HTTP status of the last answer, ``None`` if there was none.
    last_status: Mapped[int | None] = mapped_column(Integer)
    #: Why the last attempt failed (network error, status, refused address …).
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[DeliveryEvent] = relationship(lazy="joined", innerjoin=True)
    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.number", lazy="raise_on_sql", viewonly=True
    )


class DeliveryAttempt(Model):
    """One finished HTTP attempt of a delivery: the delivery log."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    #: 1, 2, 3 … per delivery; the ``X-Newsroom-Attempt`` header carried it.
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    #: HTTP status of the answer, ``None`` if there was none.
    status: Mapped[int | None] = mapped_column(Integer)
    #: What went wrong, if anything.
    error: Mapped[str | None] = mapped_column(String(500))
    #: What the attempt led to: ``delivered``, ``retry`` or ``dead``.
    outcome: Mapped[str] = mapped_column(String(16))


class FanOutCursor(Model):
    """How far the worker has fanned the outbox out into webhook deliveries.

    One row. The worker moves it past one event at a time with a
    compare-and-swap, in the transaction that queues that event's deliveries,
    so every event is fanned out exactly once and in id order (the order in
    which events commit, see :func:`cms.outbox.operations.lock_feed`).
    """

    __tablename__ = "fan_out_cursor"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The newest event whose deliveries have been queued; 0 before the first.
    event_id: Mapped[int] = mapped_column(EventId)


class UsageChannel(enum.StrEnum):
    """How a partner fetched a story."""

    #: The content API's JSON (one story, or a list of them).
    API = "api"
    #: The content API's IPTC ninjs.
    NINJS = "ninjs"
    #: An Atom or JSON Feed document that carried the story.
    FEED = "feed"


class PartnerUsage(Model):
    """How often a partner fetched a story on a day, by channel.

    Counted in each API process's memory and added here every
    ``CMS_USAGE_FLUSH_SECONDS`` (:mod:`cms.delivery.usage`), never written per request.
    """

    __tablename__ = "partner_usage"
    __table_args__ = (
        UniqueConstraint("partner_id", "day", "article_id", "channel"),
        CheckConstraint("fetches >= 0", name="fetches_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    #: The UTC day of the fetches.
    day: Mapped[date] = mapped_column(Date)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    channel: Mapped[UsageChannel] = mapped_column(enum_type(UsageChannel, "usage_channel", 8))
    fetches: Mapped[int] = mapped_column(Integer, default=0)
