"""The scheduler's job: publish a scheduled publication when it falls due, exactly once.

Run by the worker (:mod:`cms.jobs`); the job flushes and the worker commits.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update

from cms.articles.models import Version
from cms.articles.operations import get_article, swap_state
from cms.audit.models import AuditAction
from cms.audit.operations import record_audit
from cms.core.database import changed_rows
from cms.core.errors import Conflict, PreconditionFailed, Problem
from cms.core.extensions import db
from cms.core.jobs import JobOutcome, outcome_factory
from cms.workflow.models import ScheduledPublication, ScheduleState
from cms.workflow.operations import approval_in_force, publish_approval, resolve_kind, situation
from cms.workflow.workflow import (
    Action,
    RoleError,
    TransitionError,
    transition,
)

log = logging.getLogger(__name__)


def run_next_scheduled_publication(now: datetime, tried: set[int]) -> JobOutcome | None:
    """Publish the next scheduled publication due at ``now``, if any.

    The job is claimed with a compare-and-swap (``pending`` → ``done``) and
    published in the same transaction, so with any number of workers it runs
    once; on PostgreSQL ``SKIP LOCKED`` keeps workers off each other's job. A
    job due long ago (the worker was down) is caught up. A job whose approval
    is no longer in force fails visibly instead of publishing something else.
    """
    candidates = (
        select(ScheduledPublication.id)
        .where(
            ScheduledPublication.state == ScheduleState.PENDING,
            ScheduledPublication.publish_at <= now,
        )
        .order_by(ScheduledPublication.publish_at, ScheduledPublication.id)
        .limit(1)
    )
    if tried:
        candidates = candidates.where(ScheduledPublication.id.not_in(tried))
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    job_id = db.session.scalar(candidates)
    if job_id is None:
        return None
    outcome = outcome_factory("scheduled-publication", job_id)
    try:
        with db.session.begin_nested():
            claimed = changed_rows(
                update(ScheduledPublication)
                .where(
                    ScheduledPublication.id == job_id,
                    ScheduledPublication.state == ScheduleState.PENDING,
                )
                .values(state=ScheduleState.DONE, finished_at=now)
            )
            if claimed != 1:
                return outcome("skipped", "another worker ran it")
            version = _carry_out(_load_job(job_id), now)
            return outcome("done", f"article {version.article_id} version {version.number}")
    except PreconditionFailed:
        # Someone changed the article while we published: try again next pass.
        return outcome("retry", "the article changed meanwhile")
    except Problem as refused:
        # Refused for good (the claim was rolled back with the savepoint): say so.
        try:
            with db.session.begin_nested():
                _fail(_load_job(job_id), now, refused.description or "refused")
        except PreconditionFailed:
            return outcome("retry", "the article changed meanwhile")
        return outcome("failed", refused.description or "refused")


def _load_job(job_id: int) -> ScheduledPublication:
    return db.session.get_one(ScheduledPublication, job_id, populate_existing=True)


def _carry_out(job: ScheduledPublication, now: datetime) -> Version:
    """Publish a claimed job's approval as the scheduler would have at ``publish_at``.

    Raises :class:`Conflict` when the approval is no longer in force or the
    scheduling editor may no longer publish, :class:`ValidationFailed` when
    the kind no longer fits, and :class:`PreconditionFailed` when the article
    changed meanwhile.
    """
    article = get_article(job.article_id)
    approval = approval_in_force(article)
    try:
        next_status = transition(situation(article), Action.PUBLISH, job.created_by.role)
    except (TransitionError, RoleError) as exc:
        raise Conflict(str(exc)) from None
    if approval is None or approval.id != job.approval_id:
        raise Conflict("Its approval is no longer in force.")
    version = publish_approval(
        article,
        approval,
        job.created_by,
        next_status=next_status,
        kind=resolve_kind(article, job.kind, job.note),
        note=job.note,
        embargo_until=job.embargo_until,
        now=now,
        details={
            "via": "scheduler",
            "job_id": job.id,
            "scheduled_for": job.publish_at.isoformat(),
            "late_by_seconds": round((now - job.publish_at).total_seconds()),
        },
    )
    job.version_number = version.number
    db.session.flush()
    return version


def _fail(job: ScheduledPublication, now: datetime, problem: str) -> None:
    """Mark a job failed, clear the article's schedule and record why."""
    article = get_article(job.article_id)
    job.state = ScheduleState.FAILED
    job.finished_at = now
    job.outcome = f"not published: {problem}"[:500]
    if article.scheduled_publish_at is not None:
        swap_state(article, scheduled_publish_at=None)
    record_audit(
        article.id,
        AuditAction.SCHEDULE_FAILED,
        job.created_by,
        revision_number=article.approved_revision_number,
        reason=job.outcome,
        details={"job_id": job.id, "scheduled_for": job.publish_at.isoformat()},
        at=now,
    )
    log.warning("scheduled publication %s of article %s failed: %s", job.id, article.id, problem)
