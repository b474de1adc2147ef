"""The worker's pass (cms.jobs): every runner in order, one commit per job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cms import jobs
from cms.articles import operations as article_ops
from cms.articles.models import Article
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.workflow import operations as workflow_ops
from tests import factories, receivers


def test_a_pass_publishes_then_fans_out_then_sends(app, session, monkeypatch, reporter, editor):
    monkeypatch.setitem(app.config, "CMS_WEBHOOK_ALLOW_PRIVATE", True)
    with receivers.running() as receiver:
        partner, _ = factories.partner(webhook_url=receiver.url)
        receiver.secret = partner.webhook_secret
        article = factories.approved(factories.article(reporter), editor)
        publish_at = utcnow() + timedelta(minutes=5)
        workflow_ops.schedule(article, article.etag, editor, publish_at=publish_at)
        db.session.commit()

        assert jobs.run_pass(publish_at - timedelta(seconds=1)) == []
        outcomes = jobs.run_pass(publish_at)

    assert [(o.runner, o.result) for o in outcomes] == [
        ("scheduled-publication", "done"),
        ("fan-out", "done"),
        ("webhook", "claimed"),
        ("webhook", "delivered"),
    ]
    assert [r.payload["event"]["kind"] for r in receiver.requests] == ["published"]


def test_a_pass_stops_between_jobs_when_asked(session, reporter, editor):
    for headline in ("One", "Two"):
        factories.published(factories.article(reporter, headline=headline), editor)

    first = jobs.run_pass(utcnow(), stopping=lambda: True)
    rest = jobs.run_pass(utcnow())

    assert [(o.runner, o.result) for o in first] == [("fan-out", "done")]
    assert [(o.runner, o.result) for o in rest] == [("fan-out", "done")]
    assert first[0].job_id < rest[0].job_id


def test_a_failing_job_is_rolled_back_and_raised(session, monkeypatch, reporter):
    def broken(now, tried):
        article_ops.create_article({**factories.STORY, "headline": "Half done"}, reporter)
        raise RuntimeError("the job broke")

    monkeypatch.setattr(jobs, "JOB_RUNNERS", (broken,))

    with pytest.raises(RuntimeError, match="the job broke"):
        jobs.run_pass(utcnow())
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0
