"""Writing the outbox: one typed call per thing partners are told.

Each call flushes an event in the caller's transaction, so an event exists
exactly when the change it reports commits. Who receives it by webhook is
decided later by the delivery worker (:mod:`cms.delivery.dispatch`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from cms.articles.models import Revision, Version, VersionKind
from cms.core.changes import announce
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.outbox.models import Audience, DeliveryEvent, EventKind

#: Key of the PostgreSQL advisory lock that orders delivery events (ASCII "feed").
FEED_LOCK_KEY = 0x66656564

#: What partners are told a publication of each kind is.
_PUBLICATION_EVENTS = {
    VersionKind.FIRST: EventKind.PUBLISHED,
    VersionKind.UPDATE: EventKind.UPDATED,
    VersionKind.MINOR: EventKind.UPDATED,
    VersionKind.CORRECTION: EventKind.CORRECTED,
}


def lock_feed() -> None:
    """Take the transaction-wide lock that orders delivery events (PostgreSQL only).

    Taken before every insert, so events are numbered in the order their
    transactions commit: the changes feed can page by id without ever skipping
    one committed late. (SQLite already serialises writers.)
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(FEED_LOCK_KEY)))


def audience_for(event: DeliveryEvent) -> Audience:
    """Return who a new event is for: an embargo still running keeps it to embargo partners."""
    at = event.created_at or utcnow()
    if (
        event.kind != EventKind.WITHDRAWN
        and event.embargo_until is not None
        and event.embargo_until > at
    ):
        return Audience.EMBARGO_ACCESS
    return Audience.ALL


def record_publication(version: Version, revision: Revision, *, at: datetime) -> DeliveryEvent:
    """Tell partners that ``version`` (which holds ``revision``) was published at ``at``."""
    return _append(
        DeliveryEvent(
            article_id=version.article_id,
            kind=_PUBLICATION_EVENTS[version.kind],
            version_number=version.number,
            revision_number=revision.number,
            version_kind=version.kind.value,
            embargo_until=version.embargo_until,
            section=revision.section,
            slug=revision.slug,
            note=version.note,
            created_at=at,
        )
    )


def record_withdrawal(
    version: Version, revision: Revision, *, reason: str, at: datetime
) -> DeliveryEvent:
    """Tell every partner who had the story that ``version``, the live one, is killed."""
    return _append(
        DeliveryEvent(
            article_id=version.article_id,
            kind=EventKind.WITHDRAWN,
            version_number=version.number,
            revision_number=revision.number,
            version_kind=None,
            embargo_until=None,
            section=revision.section,
            slug=revision.slug,
            note=reason,
            created_at=at,
        )
    )


def record_release(embargoed: DeliveryEvent, *, at: datetime) -> DeliveryEvent:
    """Tell partners without embargo access of ``embargoed`` now that its embargo ended.

    The release is a new event with a new id, so it comes after everything
    those partners have already paged past.
    """
    return _append(
        DeliveryEvent(
            article_id=embargoed.article_id,
            kind=embargoed.kind,
            version_number=embargoed.version_number,
            revision_number=embargoed.revision_number,
            version_kind=embargoed.version_kind,
            embargo_until=embargoed.embargo_until,
            section=embargoed.section,
            slug=embargoed.slug,
            note=embargoed.note,
            created_at=at,
            audience=Audience.NO_EMBARGO_ACCESS,
            releases_id=embargoed.id,
        )
    )


def _append(event: DeliveryEvent) -> DeliveryEvent:
    """Number ``event`` after every committed one and flush it; set its audience if unset.

    It is announced (:func:`cms.core.changes.announce`): when the transaction commits,
    long polls wake and partner views remembered before it are refreshed.
    """
    lock_feed()
    if event.audience is None:
        event.audience = audience_for(event)
    db.session.add(event)
    db.session.flush()
    announce(f"event {event.id}")
    return event
