"""Scheduled publishing: the worker publishes each due job exactly once and catches up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from cms.articles import operations as article_ops
from cms.articles.models import ArticleStatus, Version, VersionKind
from cms.audit.models import AuditAction, AuditEntry
from cms.auth.models import Role
from cms.core.errors import PreconditionFailed
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.jobs import run_pass
from cms.outbox.models import Audience, DeliveryEvent
from cms.workflow import operations as ops
from cms.workflow.models import Approval, ScheduledPublication, ScheduleState
from tests import factories
from tests.concurrency import race


def _run(now):
    """One worker pass, as the CLI runs it; the scheduled publications' outcomes."""
    return [outcome for outcome in run_pass(now) if outcome.runner == "scheduled-publication"]


def _count(model, **where):
    statement = select(func.count()).select_from(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    return db.session.scalar(statement)


def _job(article_id):
    return db.session.scalar(
        select(ScheduledPublication)
        .where(ScheduledPublication.article_id == article_id)
        .order_by(ScheduledPublication.id.desc())
        .execution_options(populate_existing=True)
    )


def _scheduled_update(reporter, editor, publish_at, **options):
    """A live story whose approved update is scheduled for ``publish_at``."""
    article = factories.published(factories.article(reporter), editor)
    article, _ = article_ops.edit_article(article, article.etag, {"body": "Update."}, reporter)
    article = factories.approved(article, editor)
    article = ops.schedule(
        article, article.etag, editor, publish_at=publish_at, kind=VersionKind.UPDATE, **options
    )
    db.session.commit()
    return article


def test_a_scheduled_publication_runs_at_its_time_exactly_once(session, reporter, editor):
    publish_at = utcnow() + timedelta(hours=1)
    article = _scheduled_update(reporter, editor, publish_at)

    assert _run(publish_at - timedelta(seconds=1)) == []
    article = article_ops.get_article(article.id)
    assert article.live_version_number == 1
    assert article.scheduled_publish_at == publish_at

    [outcome] = _run(publish_at)
    assert (outcome.result, outcome.runner) == ("done", "scheduled-publication")
    article = article_ops.get_article(article.id)
    assert article.live_version_number == 2
    assert article.live.revision_number == 2
    assert article.live.published_at == publish_at
    assert article.live.published_by_id == editor.id
    assert article.last_updated_at == publish_at
    assert article.scheduled_publish_at is None
    assert article.status == ArticleStatus.PUBLISHED
    job = _job(article.id)
    assert (job.state, job.version_number) == (ScheduleState.DONE, 2)

    assert _run(publish_at + timedelta(minutes=5)) == []
    assert _count(Version, article_id=article.id) == 2
    assert _count(DeliveryEvent, article_id=article.id) == 2


def test_a_publication_missed_while_the_worker_was_down_is_caught_up(session, reporter, editor):
    publish_at = utcnow() + timedelta(minutes=1)
    article = _scheduled_update(reporter, editor, publish_at)
    restarted = publish_at + timedelta(days=2)

    [outcome] = _run(restarted)

    assert outcome.result == "done"
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.article_id == article.id, AuditEntry.action == AuditAction.PUBLISH)
        .order_by(AuditEntry.id.desc())
    )
    assert entry.details["via"] == "scheduler"
    assert entry.details["late_by_seconds"] == 2 * 24 * 3600
    assert entry.actor_id == editor.id


def test_the_cli_worker_runs_due_jobs_once(app, session, reporter, editor):
    article_id = _scheduled_update(reporter, editor, utcnow() + timedelta(hours=1)).id
    # Time passes: the job falls due.
    db.session.execute(
        update(ScheduledPublication).values(publish_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["cms", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert article_ops.get_article(article_id).live_version_number == 2
    assert _job(article_id).state == ScheduleState.DONE


def _approve_behind_the_schedulers_back(article, editor):
    db.session.add(
        Approval(
            article_id=article.id,
            revision_number=1,
            content_hash=article_ops.get_revision(article, 1).content_hash,
            approved_by_id=editor.id,
        )
    )


def _withdraw_approval_behind_the_schedulers_back(article, editor):
    article_ops.swap_state(article, status=ArticleStatus.IN_REVIEW)


def _demote_the_scheduling_editor(article, editor):
    editor.role = Role.REPORTER


@pytest.mark.parametrize(
    "sabotage",
    [
        _approve_behind_the_schedulers_back,
        _withdraw_approval_behind_the_schedulers_back,
        _demote_the_scheduling_editor,
    ],
)
def test_a_job_that_may_no_longer_publish_fails_visibly(session, reporter, editor, sabotage):
    publish_at = utcnow() + timedelta(hours=1)
    article = _scheduled_update(reporter, editor, publish_at)
    sabotage(article, editor)
    db.session.commit()

    [outcome] = _run(publish_at)

    assert outcome.result == "failed"
    job = _job(article.id)
    assert job.state == ScheduleState.FAILED
    assert "not published" in job.outcome
    article = article_ops.get_article(article.id)
    assert article.live_version_number == 1
    assert article.scheduled_publish_at is None
    assert _count(Version, article_id=article.id) == 1
    assert _count(AuditEntry, article_id=article.id, action=AuditAction.SCHEDULE_FAILED) == 1
    assert _run(publish_at + timedelta(hours=1)) == []


def test_a_failing_job_does_not_hold_up_the_others(session, reporter, editor):
    publish_at = utcnow() + timedelta(hours=1)
    broken = _scheduled_update(reporter, editor, publish_at)
    healthy = _scheduled_update(reporter, editor, publish_at + timedelta(minutes=1))
    _withdraw_approval_behind_the_schedulers_back(broken, editor)
    db.session.commit()

    outcomes = _run(publish_at + timedelta(hours=1))

    assert [(o.job_id, o.result) for o in outcomes] == [
        (_job(broken.id).id, "failed"),
        (_job(healthy.id).id, "done"),
    ]


def test_a_job_is_retried_when_the_article_changed_while_publishing(
    session, reporter, editor, monkeypatch
):
    publish_at = utcnow() + timedelta(hours=1)
    article = _scheduled_update(reporter, editor, publish_at)
    real_swap = ops.swap_state
    calls = []

    def lose_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise PreconditionFailed("someone else wrote first")
        return real_swap(*args, **kwargs)

    monkeypatch.setattr(ops, "swap_state", lose_once)

    [outcome] = _run(publish_at)
    assert outcome.result == "retry"
    assert _job(article.id).state == ScheduleState.PENDING

    [outcome] = _run(publish_at)
    assert outcome.result == "done"
    assert _count(Version, article_id=article.id) == 2


def test_rescheduling_replaces_the_pending_job(session, reporter, editor):
    first = utcnow() + timedelta(hours=1)
    article = _scheduled_update(reporter, editor, first)
    later = first + timedelta(hours=3)

    article = ops.schedule(
        article, article.etag, editor, publish_at=later, kind=VersionKind.UPDATE
    )
    db.session.commit()

    assert _count(ScheduledPublication, state=ScheduleState.PENDING) == 1
    assert _count(ScheduledPublication, state=ScheduleState.CANCELLED) == 1
    assert _run(first) == []
    assert [o.result for o in _run(later)] == ["done"]


def test_publishing_now_cancels_the_schedule(session, reporter, editor):
    publish_at = utcnow() + timedelta(hours=1)
    article = _scheduled_update(reporter, editor, publish_at)

    ops.publish(article, article.etag, editor, kind=VersionKind.UPDATE)
    db.session.commit()

    assert _job(article.id).state == ScheduleState.CANCELLED
    assert _run(publish_at) == []
    assert _count(Version, article_id=article.id) == 2


def test_a_scheduled_first_publication_with_an_embargo(session, reporter, editor):
    publish_at = utcnow() + timedelta(hours=1)
    embargo = publish_at + timedelta(hours=1)
    article = factories.approved(factories.article(reporter), editor)
    ops.schedule(article, article.etag, editor, publish_at=publish_at, embargo_until=embargo)
    db.session.commit()

    _run(publish_at)

    [event] = db.session.scalars(
        select(DeliveryEvent).where(DeliveryEvent.article_id == article.id)
    ).all()
    assert (event.version_number, event.embargo_until) == (1, embargo)
    assert event.audience is Audience.EMBARGO_ACCESS
    article = article_ops.get_article(article.id)
    assert article.first_published_at == publish_at


@pytest.mark.live
def test_two_workers_racing_on_a_due_job_publish_it_once(live_db):
    app = live_db
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    publish_at = utcnow() + timedelta(hours=1)
    article_id = _scheduled_update(reporter, editor, publish_at).id
    db.session.remove()

    outcomes = [o for run in race(app, lambda: _run(publish_at)) for o in run]

    assert [o.result for o in outcomes if o.result == "done"] == ["done"]
    assert _count(Version, article_id=article_id) == 2
    assert _count(DeliveryEvent, article_id=article_id) == 2
    assert _job(article_id).state == ScheduleState.DONE
