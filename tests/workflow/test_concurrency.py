"""Concurrency and atomicity, with real commits: one version per race, no orphan events."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cms.articles import operations as article_ops
from cms.articles.models import Article, ArticleStatus, Version
from cms.audit.models import AuditAction, AuditEntry
from cms.auth.models import User
from cms.core.errors import Conflict
from cms.core.extensions import db
from cms.outbox.models import DeliveryEvent
from cms.workflow import operations as ops
from cms.workflow.models import Approval
from tests import factories

pytestmark = pytest.mark.live


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _approved_story():
    """An approved story and two editors' auth headers, committed for real."""
    reporter = factories.user(role="reporter")
    editors = [factories.user(role="editor"), factories.user(role="editor")]
    article = factories.approved(factories.article(reporter), editors[0])
    headers = [factories.auth(editor) for editor in editors]
    article_id, etag = article.id, article.etag
    db.session.remove()
    return article_id, etag, headers


def _race(app, requests, meet_after_precondition: bool):
    """Send ``requests`` (path, headers, body) at once, each from its own client.

    With ``meet_after_precondition`` (PostgreSQL), every request passes its
    If-Match check before any of them writes, so the compare-and-swap decides.
    """
    start = threading.Barrier(len(requests))
    checked = threading.Barrier(len(requests))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send(path, headers, body):
        try:
            start.wait(timeout=10)
            response = app.test_client().post(path, json=body, headers=headers)
            statuses.append(response.status_code)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    real_check = ops.ensure_current

    def check_then_meet(article, if_match):
        real_check(article, if_match)
        checked.wait(timeout=10)

    patch = pytest.MonkeyPatch()
    if meet_after_precondition:
        patch.setattr(ops, "ensure_current", check_then_meet)
    try:
        threads = [threading.Thread(target=send, args=request) for request in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        patch.undo()
    assert errors == []
    return sorted(statuses)


def test_two_editors_publishing_at_once_make_one_version(live_db, dialect):
    article_id, etag, headers = _approved_story()
    path = f"/api/v1/articles/{article_id}/publish"

    statuses = _race(
        live_db,
        [(path, {**h, "If-Match": etag}, None) for h in headers],
        meet_after_precondition=dialect == "postgresql",
    )

    assert statuses == [200, 412]
    assert _count(Version) == 1
    assert _count(DeliveryEvent) == 1
    assert db.session.scalar(select(Article.live_version_number)) == 1


def test_publish_racing_reject_one_wins_and_the_other_changes_nothing(live_db, dialect):
    article_id, etag, headers = _approved_story()

    statuses = _race(
        live_db,
        [
            (f"/api/v1/articles/{article_id}/publish", {**headers[0], "If-Match": etag}, None),
            (
                f"/api/v1/articles/{article_id}/reject",
                {**headers[1], "If-Match": etag},
                {"reason": "Hold it"},
            ),
        ],
        meet_after_precondition=dialect == "postgresql",
    )

    assert statuses == [200, 412]
    status = db.session.scalar(select(Article.status))
    versions = _count(Version)
    assert (status, versions) in {(ArticleStatus.PUBLISHED, 1), (ArticleStatus.DRAFT, 0)}
    assert _count(DeliveryEvent) == versions


def test_a_failed_transaction_leaves_neither_version_nor_event(live_db):
    article_id, etag, _headers = _approved_story()
    editor_id = db.session.scalar(select(Approval.approved_by_id))
    editor = db.session.get(User, editor_id)

    ops.publish(article_ops.get_article(article_id), etag, editor)
    assert _count(Version) == 1
    assert _count(DeliveryEvent) == 1
    # Something later in the same unit of work fails at the database (NOT NULL).
    db.session.add(AuditEntry(article_id=article_id, action=AuditAction.EDIT, actor_id=None))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.remove()

    assert _count(Version) == 0
    assert _count(DeliveryEvent) == 0
    article = article_ops.get_article(article_id)
    assert (article.status, article.etag, article.live_version_number) == (
        ArticleStatus.APPROVED,
        etag,
        None,
    )


@pytest.mark.parametrize("action", ["publish", "withdraw"])
def test_a_request_failing_after_its_event_was_written_commits_nothing(
    live_db, monkeypatch, action
):
    article_id, etag, headers = _approved_story()
    if action == "withdraw":
        editor = db.session.get(User, db.session.scalar(select(Approval.approved_by_id)))
        etag = ops.publish(article_ops.get_article(article_id), etag, editor).etag
        db.session.commit()
        db.session.remove()
    events_before = _count(DeliveryEvent)
    written: list[int] = []

    def fail_after_the_event(article_id, action, *args, **kwargs):
        written.append(_count(DeliveryEvent))
        raise Conflict("Deliberate failure after the outbox row was written.")

    monkeypatch.setattr(ops, "record_audit", fail_after_the_event)
    response = live_db.test_client().post(
        f"/api/v1/articles/{article_id}/{action}",
        json={"reason": "Legal"} if action == "withdraw" else None,
        headers={**headers[1], "If-Match": etag},
    )

    assert response.status_code == 409
    assert written == [events_before + 1]
    db.session.remove()
    assert _count(DeliveryEvent) == events_before
    assert _count(Version) == events_before
    assert article_ops.get_article(article_id).etag == etag
