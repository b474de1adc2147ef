"""The delivery worker's jobs: embargo releases, webhook fan-out, claim, send and record.

Each runner does one job and flushes; :mod:`cms.jobs` commits it. A webhook
delivery is claimed (and committed) before its HTTP call, which runs outside
any transaction; its outcome is then recorded in a transaction of its own.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    Row,
    Select,
    Update,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.orm import aliased

from cms.articles.models import Article, ArticleStatus
from cms.core.database import changed_rows
from cms.core.extensions import db
from cms.core.jobs import JobOutcome, outcome_factory
from cms.core.sqlite import writing
from cms.core.types import utcnow
from cms.delivery import signing, webhooks
from cms.delivery.access import Reader
from cms.delivery.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    FanOutCursor,
    Partner,
    WebhookHeaders,
)
from cms.delivery.operations import signing_secrets
from cms.delivery.representations import webhook_payload
from cms.outbox.models import Audience, DeliveryEvent, EventKind
from cms.outbox.operations import lock_feed, record_release

log = logging.getLogger(__name__)

#: States of a delivery not yet delivered nor dead.
_OPEN = (DeliveryState.PENDING, DeliveryState.DELIVERING)


def fan_out_next_event(now: datetime, tried: set[int]) -> JobOutcome | None:
    """Queue the webhook deliveries of the next outbox event not yet fanned out, if any.

    The fan-out cursor moves past the event with a compare-and-swap in the
    transaction that queues its deliveries, so each event is fanned out
    exactly once and in id order however many workers run. (``now`` and
    ``tried`` are unused: an event is due as soon as it is committed, and the
    cursor, not a list of ids, says which one is next.)
    """
    cursor = db.session.scalar(select(FanOutCursor.event_id).where(FanOutCursor.id == 1))
    event = db.session.scalar(
        select(DeliveryEvent).where(DeliveryEvent.id > cursor).order_by(DeliveryEvent.id).limit(1)
    )
    if event is None:
        return None
    outcome = outcome_factory("fan-out", event.id)
    moved = changed_rows(
        update(FanOutCursor)
        .where(FanOutCursor.id == 1, FanOutCursor.event_id == cursor)
        .values(event_id=event.id)
    )
    if moved != 1:
        return outcome("skipped", "another worker fanned it out")
    queued = fan_out(event)
    return outcome("done", f"{queued} webhook deliveries queued")


def fan_out(event: DeliveryEvent) -> int:
    """Queue a webhook delivery of ``event`` for every partner it is for; return how many.

    The partners are those active with a webhook that existed when the event
    was written. A kill goes to every such partner that could see an earlier
    publication of the story. A paused webhook still gets its deliveries
    queued; they go out once it is resumed.
    """
    partners = db.session.execute(
        select(Partner.id, Partner.sections, Partner.embargo_access).where(
            Partner.active.is_(True),
            Partner.webhook_url.is_not(None),
            Partner.created_at <= event.created_at,
        )
    ).all()
    if not partners:
        return 0
    earlier: list[Row] = []
    if event.kind == EventKind.WITHDRAWN:
        earlier = list(
            db.session.execute(
                select(DeliveryEvent.audience, DeliveryEvent.section).where(
                    DeliveryEvent.article_id == event.article_id,
                    DeliveryEvent.id < event.id,
                    DeliveryEvent.kind != EventKind.WITHDRAWN,
                )
            ).all()
        )
    queued = 0
    for row in partners:
        reader = Reader(
            row.id, None if row.sections is None else tuple(row.sections), row.embargo_access
        )
        if event.kind == EventKind.WITHDRAWN:
            wanted = any(reader.sees(e.audience, e.section) for e in earlier)
        else:
            wanted = reader.sees(event.audience, event.section)
        if wanted:
            queued += 1
            db.session.add(
                Delivery(
                    event_id=event.id,
                    partner_id=row.id,
                    state=DeliveryState.PENDING,
                    attempts=0,
                    attempts_base=0,
                    next_attempt_at=event.created_at,
                    created_at=event.created_at,
                )
            )
    db.session.flush()
    return queued


def _claimable(statement: Select) -> Select:
    """Let concurrent PostgreSQL workers pass over rows another worker holds."""
    if db.session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


def release_next_embargo(now: datetime, tried: set[int]) -> JobOutcome | None:
    """Release the next embargoed publication whose embargo ended by ``now``, if any.

    Partners without embargo access learn of the version by a new event (a
    release, with a new id, so it comes after everything they have paged
    past). Nothing is released for a story since withdrawn, nor for a version
    those partners already have a newer one of. Claimed by a compare-and-swap
    on ``lifted_at``; the feed lock is taken before looking at the story, so a
    kill committing meanwhile is either seen or comes after the release.
    """
    candidates = (
        select(DeliveryEvent.id)
        .where(
            DeliveryEvent.audience == Audience.EMBARGO_ACCESS,
            DeliveryEvent.lifted_at.is_(None),
            DeliveryEvent.embargo_until <= now,
        )
        .order_by(DeliveryEvent.embargo_until, DeliveryEvent.id)
        .limit(1)
    )
    if tried:
        candidates = candidates.where(DeliveryEvent.id.not_in(tried))
    event_id = db.session.scalar(_claimable(candidates))
    if event_id is None:
        return None
    outcome = outcome_factory("embargo-release", event_id)
    claimed = changed_rows(
        update(DeliveryEvent)
        .where(DeliveryEvent.id == event_id, DeliveryEvent.lifted_at.is_(None))
        .values(lifted_at=now)
    )
    if claimed != 1:
        return outcome("skipped", "another worker released it")
    lock_feed()
    event = db.session.get_one(DeliveryEvent, event_id, populate_existing=True)
    status = db.session.scalar(select(Article.status).where(Article.id == event.article_id))
    if status == ArticleStatus.WITHDRAWN:
        return outcome("done", f"article {event.article_id} was withdrawn; nothing to release")
    newer = db.session.scalar(
        select(func.max(DeliveryEvent.version_number)).where(
            DeliveryEvent.article_id == event.article_id,
            DeliveryEvent.kind != EventKind.WITHDRAWN,
            DeliveryEvent.audience.in_((Audience.ALL, Audience.NO_EMBARGO_ACCESS)),
            DeliveryEvent.version_number > event.version_number,
        )
    )
    if newer is not None:
        return outcome(
            "done", f"article {event.article_id} version {newer} is already out; not released"
        )
    release = record_release(event, at=now)
    log.info(
        "embargo of article %s version %s ended: release event %s",
        event.article_id,
        event.version_number,
        release.id,
    )
    return outcome(
        "done", f"article {event.article_id} version {event.version_number}: event {release.id}"
    )


@dataclass(frozen=True, slots=True)
class _Claim:
    """A claimed delivery attempt: everything the HTTP call and its record need."""

    delivery_id: int
    partner_id: int
    event_id: int
    event_kind: str
    attempt: int
    attempts_base: int
    url: str
    #: The secrets that sign it: the current one, and the previous one during an overlap.
    secrets: tuple[str, ...] = field(repr=False)
    headers: WebhookHeaders
    body: bytes = field(repr=False)
    clock: datetime
    #: The end of its retry window: no retry is scheduled after it.
    retry_until: datetime


def claim_next_delivery(now: datetime, tried: set[int]) -> JobOutcome | None:
    """Claim the next webhook delivery due at ``now``; its outcome's ``then`` sends it.

    Per partner, deliveries go out in event order: one waits while an earlier
    one of the same partner is pending or in flight. The claim is a
    compare-and-swap on (state, attempts) that marks the delivery
    ``delivering`` with a lease of ``CMS_WEBHOOK_LEASE_SECONDS`` and counts the
    attempt; it is committed before the HTTP call, so each attempt number is
    sent at most once however many workers run. An attempt's deadline
    (``CMS_WEBHOOK_TIMEOUT``) is well inside its lease, so a lease runs out
    only when its worker died: the delivery is then due again, and that lost
    attempt counts against ``CMS_WEBHOOK_MAX_ATTEMPTS`` like any other; a lost
    last attempt makes the delivery ``dead`` (see :func:`_claim_lost`).
    """
    config = current_app.config
    earlier = aliased(Delivery)
    candidates = (
        select(
            Delivery.id,
            Delivery.partner_id,
            Delivery.state,
            Delivery.attempts,
            Delivery.attempts_base,
        )
        .join(Partner, Partner.id == Delivery.partner_id)
        .where(
            Delivery.state.in_(_OPEN),
            Delivery.next_attempt_at <= now,
            Partner.active.is_(True),
            Partner.webhook_url.is_not(None),
            Partner.webhook_paused_at.is_(None),
            ~exists(
                select(earlier.id).where(
                    earlier.partner_id == Delivery.partner_id,
                    earlier.state.in_(_OPEN),
                    earlier.event_id < Delivery.event_id,
                )
            ),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(1)
    )
    if tried:
        candidates = candidates.where(Delivery.id.not_in(tried))
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=Delivery)
    row = db.session.execute(candidates).first()
    if row is None:
        return None
    outcome = outcome_factory("webhook", row.id)
    partner = db.session.get_one(Partner, row.partner_id)
    if partner.webhook_url is None:
        # Removed since the query above; the delivery waits, unclaimed, for a new one.
        return outcome("skipped", "the partner's webhook was removed meanwhile")
    clock = max(now, utcnow())
    lost = row.state == DeliveryState.DELIVERING
    if lost and row.attempts - row.attempts_base >= config["CMS_WEBHOOK_MAX_ATTEMPTS"]:
        return _claim_lost(row, clock, outcome)
    attempt = row.attempts + 1
    claimed = changed_rows(
        _compare_and_swap(row).values(
            state=DeliveryState.DELIVERING,
            attempts=attempt,
            next_attempt_at=clock + timedelta(seconds=config["CMS_WEBHOOK_LEASE_SECONDS"]),
            last_attempt_at=clock,
        )
    )
    if claimed != 1:
        return outcome("skipped", "another worker claimed it")
    delivery = db.session.get_one(Delivery, row.id, populate_existing=True)
    if lost:
        _log_lost(row, clock)
    claim = _Claim(
        delivery_id=delivery.id,
        partner_id=partner.id,
        event_id=delivery.event_id,
        event_kind=delivery.event.kind.value,
        attempt=attempt,
        attempts_base=delivery.attempts_base,
        url=partner.webhook_url,
        secrets=tuple(signing_secrets(partner, clock)),
        headers=partner.webhook_headers,
        body=webhook_payload(delivery.event, Reader.of(partner), clock),
        clock=clock,
        retry_until=(delivery.requeued_at or delivery.created_at)
        + timedelta(hours=config["CMS_WEBHOOK_RETRY_HOURS"]),
    )
    db.session.flush()
    return outcome(
        "claimed",
        f"event {claim.event_id} to partner {partner.id}, attempt {attempt}",
        then=functools.partial(_send, claim),
    )


def _compare_and_swap(row: Row) -> Update:
    """Return an update of the delivery in ``row`` that applies only if no one changed it."""
    return update(Delivery).where(
        Delivery.id == row.id,
        Delivery.state == row.state,
        Delivery.attempts == row.attempts,
    )


#: What the log says of an attempt whose worker stopped before recording it.
_LOST = "the worker stopped during this attempt; its lease ran out"


def _log_lost(row: Row, clock: datetime) -> None:
    """Log the attempt in ``row``, whose lease ran out unrecorded, as ``lost``."""
    db.session.add(
        DeliveryAttempt(
            delivery_id=row.id,
            number=row.attempts,
            started_at=clock,
            duration_ms=0,
            status=None,
            error=_LOST,
            outcome="lost",
        )
    )


def _claim_lost(row: Row, clock: datetime, outcome: Callable[..., JobOutcome]) -> JobOutcome:
    """Make a delivery whose last allowed attempt was lost ``dead``, logging that attempt."""
    used = row.attempts - row.attempts_base
    claimed = changed_rows(
        _compare_and_swap(row).values(
            state=DeliveryState.DEAD,
            last_status=None,
            last_error=f"attempt {row.attempts}: {_LOST} (gave up after {used} attempts)",
        )
    )
    if claimed != 1:
        return outcome("skipped", "another worker claimed it")
    _log_lost(row, clock)
    db.session.flush()
    return outcome("dead", f"attempt {row.attempts} was lost; gave up after {used} attempts")


def _send(claim: _Claim) -> JobOutcome:
    """POST a claimed delivery (outside any transaction) and record what came of it."""
    config = current_app.config
    if claim.headers == WebhookHeaders.NEWSROOM:
        headers = signing.signed_headers(
            claim.secrets,
            event_id=claim.event_id,
            event_kind=claim.event_kind,
            attempt=claim.attempt,
            timestamp=int(time.time()),
            body=claim.body,
        )
    else:
        headers = signing.standard_headers(
            claim.secrets, event_id=claim.event_id, timestamp=int(time.time()), body=claim.body
        )
    started = utcnow()
    answer, refused = webhooks.post(
        claim.url,
        claim.body,
        headers,
        timeout=config["CMS_WEBHOOK_TIMEOUT"],
        allow_private=config["CMS_WEBHOOK_ALLOW_PRIVATE"],
    )
    verdict = webhooks.Verdict.DEAD if refused else webhooks.verdict(answer)
    # SQLite: recording writes, so its transaction takes the write lock at BEGIN.
    with writing():
        return _record(claim, started, answer, verdict)


def _describe(answer: webhooks.Answer, verdict: webhooks.Verdict) -> str | None:
    if answer.error:
        return answer.error
    if verdict == webhooks.Verdict.DELIVERED:
        return None
    if verdict == webhooks.Verdict.GONE:
        return "HTTP 410: the receiver says the endpoint is gone; the webhook is paused"
    return f"HTTP {answer.status}"


def _record(
    claim: _Claim, started: datetime, answer: webhooks.Answer, verdict: webhooks.Verdict
) -> JobOutcome:
    """Record one finished attempt: delivered, due again after a backoff, or dead.

    A failed attempt is retried while attempts are left and the retry would
    fall inside the delivery's retry window (``CMS_WEBHOOK_RETRY_HOURS`` from its
    creation, or from its last manual redelivery); otherwise it is dead.
    """
    config = current_app.config
    outcome = outcome_factory("webhook", claim.delivery_id)
    now = max(claim.clock, utcnow())
    error = _describe(answer, verdict)
    used = claim.attempt - claim.attempts_base
    values: dict[str, Any] = {"last_status": answer.status, "last_error": error}
    if verdict == webhooks.Verdict.DELIVERED:
        state, values["delivered_at"] = DeliveryState.DELIVERED, now
    elif verdict == webhooks.Verdict.RETRY and used < config["CMS_WEBHOOK_MAX_ATTEMPTS"]:
        delay = webhooks.backoff(
            used,
            base=config["CMS_WEBHOOK_BACKOFF_BASE"],
            maximum=config["CMS_WEBHOOK_BACKOFF_MAX"],
            retry_after=answer.retry_after,
        )
        values["next_attempt_at"] = now + timedelta(seconds=delay)
        state = (
            DeliveryState.PENDING
            if values["next_attempt_at"] <= claim.retry_until
            else DeliveryState.DEAD
        )
    else:
        state = DeliveryState.DEAD
    if state == DeliveryState.DEAD and verdict == webhooks.Verdict.RETRY:
        why = f"gave up after {used} attempts"
        if values.pop("next_attempt_at", None) is not None:
            why += f": its retry window of {config['CMS_WEBHOOK_RETRY_HOURS']:g}h ends first"
        values["last_error"] = f"{error} ({why})"[:500]
    recorded = changed_rows(
        update(Delivery)
        .where(
            Delivery.id == claim.delivery_id,
            Delivery.state == DeliveryState.DELIVERING,
            Delivery.attempts == claim.attempt,
        )
        .values(state=state, **values)
    )
    if recorded != 1:
        # Our lease ran out and another worker took the delivery over.
        log.warning("delivery %s attempt %s finished too late", claim.delivery_id, claim.attempt)
        return outcome("skipped", f"attempt {claim.attempt} outlived its lease")
    if verdict == webhooks.Verdict.GONE:
        changed_rows(
            update(Partner)
            .where(Partner.id == claim.partner_id, Partner.webhook_paused_at.is_(None))
            .values(webhook_paused_at=now, webhook_paused_reason=error)
        )
        log.warning("partner %s webhook paused: 410 Gone", claim.partner_id)
    result = "retry" if state == DeliveryState.PENDING else state.value
    db.session.add(
        DeliveryAttempt(
            delivery_id=claim.delivery_id,
            number=claim.attempt,
            started_at=started,
            duration_ms=answer.duration_ms,
            status=answer.status,
            error=error,
            outcome=result,
        )
    )
    db.session.flush()
    status = answer.status if answer.status is not None else answer.error
    return outcome(result, f"event {claim.event_id} attempt {claim.attempt}: {status}")
