"""The worker's pass (cms.jobs): every runner in order, one commit per job."""

from __future__ import annotations

import threading
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


def test_the_timed_lane_never_calls_a_partner(app, session, monkeypatch, reporter, editor):
    monkeypatch.setitem(app.config, "CMS_WEBHOOK_ALLOW_PRIVATE", True)
    with receivers.running() as receiver:
        partner, _ = factories.partner(webhook_url=receiver.url)
        receiver.secret = partner.webhook_secret
        factories.published(factories.article(reporter), editor)

        timed = jobs.run_pass(utcnow(), runners=jobs.TIMED_RUNNERS)
        assert receiver.requests == []
        sent = jobs.run_pass(utcnow(), runners=jobs.SENDING_RUNNERS)

    assert [(o.runner, o.result) for o in timed] == [("fan-out", "done")]
    assert [(o.runner, o.result) for o in sent] == [
        ("webhook", "claimed"),
        ("webhook", "delivered"),
    ]
    assert len(receiver.requests) == 1


@pytest.mark.live
def test_work_runs_both_lanes_logs_what_breaks_and_stops_when_asked(live_db, monkeypatch, caplog):
    monkeypatch.setitem(live_db.config, "CMS_WEBHOOK_ALLOW_PRIVATE", True)

    def broken(now, tried):
        raise RuntimeError("the job broke")

    monkeypatch.setattr(jobs, "TIMED_RUNNERS", (*jobs.TIMED_RUNNERS, broken))
    stop = threading.Event()
    with receivers.running() as receiver:
        partner, _ = factories.partner(webhook_url=receiver.url)
        receiver.secret = partner.webhook_secret
        factories.published(
            factories.article(factories.user(role="reporter")), factories.user(role="editor")
        )
        db.session.remove()
        worker = threading.Thread(
            target=jobs.work,
            args=(live_db,),
            kwargs={"interval": 0.1, "senders": 2, "stopping": stop.is_set},
        )
        worker.start()
        try:
            receiver.wait_for(lambda requests: len(requests) == 1, timeout=60)
        finally:
            stop.set()
            worker.join(timeout=60)

    assert not worker.is_alive()
    assert receiver.requests[0].verified
    assert "worker pass failed" in caplog.text
    assert "the job broke" in caplog.text
