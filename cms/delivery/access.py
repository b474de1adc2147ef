"""Who is asking and what they may see: API-key authentication and visibility.

What a partner sees is decided by the outbox (``delivery_events``), the same
rows as the changes feed, so that the feed, the content API and the webhooks
always agree:

- a publication event is visible to a partner when its audience includes the
  partner (see :class:`~cms.outbox.models.Audience`: embargoed publications
  go to partners with embargo access, their later *release* to the others)
  and its section is one of the partner's sections (or the partner takes all);
- a kill is visible to a partner that could see an earlier publication of the
  story, whatever the section;
- the version a partner sees of a story is the one of its newest visible
  event; a story whose newest visible event is a kill is gone (410).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from cms.core.cache import LRU, app_cache
from cms.core.errors import Unauthorized
from cms.core.extensions import db
from cms.delivery.models import Partner, PartnerKey
from cms.outbox.models import Audience, DeliveryEvent, EventKind

log = logging.getLogger(__name__)


def key_digest(key: str) -> str:
    """Return the SHA-256 (hex) of an API key: what is stored and looked up."""
    return hashlib.sha256(key.encode()).hexdigest()


def _key_cache() -> LRU:
    """Positive API-key lookups: ``key hash → (monotonic expiry, Reader)``."""
    return app_cache("delivery.keys", 4096)


def forget_keys() -> None:
    """Drop this process's cached key lookups (after a key or partner changed)."""
    _key_cache().clear()


@dataclass(frozen=True, slots=True)
class Reader:
    """A partner, as far as what it may see goes."""

    partner_id: int
    #: ``None``: every section.
    sections: tuple[str, ...] | None
    embargo_access: bool
    #: The partner's own copyright holder and usage terms; ``None``: the newsroom's.
    copyright_holder: str | None = None
    usage_terms: str | None = None
    #: The partner's own rate limit; ``None``: ``CMS_PARTNER_RATE_LIMIT``.
    rate_limit: str | None = None

    @classmethod
    def of(cls, partner: Partner) -> Reader:
        sections = None if partner.sections is None else tuple(partner.sections)
        return cls(
            partner.id,
            sections,
            partner.embargo_access,
            partner.copyright_holder,
            partner.usage_terms,
            partner.rate_limit,
        )

    @property
    def kind(self) -> tuple[bool, tuple[str, ...] | None]:
        """What decides what the reader sees (embargo access and sections): readers of
        one kind share statements and remembered answers."""
        return (self.embargo_access, self.sections)

    @property
    def audiences(self) -> tuple[Audience, Audience]:
        other = Audience.EMBARGO_ACCESS if self.embargo_access else Audience.NO_EMBARGO_ACCESS
        return (Audience.ALL, other)

    def sees(self, audience: Audience, section: str | None) -> bool:
        """Whether a publication event with ``audience`` and ``section`` is for this partner."""
        if audience not in self.audiences:
            return False
        return self.sections is None or section in self.sections


def authenticate(key: str) -> Reader:
    """Return the reader a partner API key stands for.

    Positive answers are remembered in this process for
    ``CMS_PARTNER_KEY_CACHE_SECONDS``, so a revocation made by another process
    takes that long to reach this one. Raises :class:`Unauthorized` for an
    unknown or revoked key, or an inactive partner.
    """
    digest = key_digest(key)
    cached = _key_cache().get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    row = db.session.execute(
        select(
            Partner.id,
            Partner.sections,
            Partner.embargo_access,
            Partner.copyright_holder,
            Partner.usage_terms,
            Partner.rate_limit,
        )
        .join(PartnerKey, PartnerKey.partner_id == Partner.id)
        .where(
            PartnerKey.key_hash == digest,
            PartnerKey.revoked_at.is_(None),
            Partner.active.is_(True),
        )
    ).first()
    if row is None:
        raise Unauthorized(
            "A valid partner API key is required: Authorization: Bearer <key>.",
        )
    sections = None if row.sections is None else tuple(row.sections)
    reader = Reader(
        row.id,
        sections,
        row.embargo_access,
        row.copyright_holder,
        row.usage_terms,
        row.rate_limit,
    )
    ttl = current_app.config["CMS_PARTNER_KEY_CACHE_SECONDS"]
    if ttl > 0:
        _key_cache().put(digest, (time.monotonic() + ttl, reader))
    return reader


def visible(reader: Reader, event: Any = DeliveryEvent) -> ColumnElement[bool]:
    """SQL: ``event`` is a publication the reader may see (audience and section)."""
    condition = and_(event.kind != EventKind.WITHDRAWN, _one_of(event.audience, reader.audiences))
    if reader.sections is not None:
        condition = and_(condition, _one_of(event.section, reader.sections))
    return condition


def _one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """SQL: ``column IN (values)``, a bound parameter per value.

    SQLAlchemy renders a statement with an expanding ``IN`` parameter (``in_`` of
    plain values) anew on every execution: 80 µs of each partner read, whose
    statement is built once per kind of reader (``queries._statement``).
    """
    values = list(values)
    if not values:
        return column.in_(())
    return column.in_([literal(value, column.type) for value in values])


def _seen_before(reader: Reader, event: Any) -> ColumnElement[bool]:
    """SQL: the reader could see a publication of ``event``'s story before ``event``."""
    earlier = aliased(DeliveryEvent)
    return exists(
        select(earlier.id).where(
            earlier.article_id == event.article_id, earlier.id < event.id, visible(reader, earlier)
        )
    )


def _in_feed(reader: Reader, event: Any = DeliveryEvent) -> ColumnElement[bool]:
    """SQL: ``event`` belongs to the reader's changes feed."""
    return or_(
        visible(reader, event),
        and_(event.kind == EventKind.WITHDRAWN, _seen_before(reader, event)),
    )


def _current(reader: Reader, event: Any = DeliveryEvent) -> ColumnElement[bool]:
    """SQL: ``event`` may be the reader's current state of its story (kills count for all)."""
    return or_(event.kind == EventKind.WITHDRAWN, visible(reader, event))
