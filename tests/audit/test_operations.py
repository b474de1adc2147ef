"""The history log: append-only, newest first."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cms.audit.models import AuditAction, AuditEntry
from cms.audit.operations import history_query, record_audit
from cms.core.extensions import db
from tests import factories


def _history(article):
    return list(db.session.scalars(history_query(article.id)))


def test_the_history_lists_an_articles_entries_newest_first(session, reporter, editor):
    article = factories.article(reporter)
    other = factories.article(reporter, headline="Another story")
    record_audit(article.id, AuditAction.SUBMIT, reporter, revision_number=1, reason="Ready")
    record_audit(
        article.id, AuditAction.REJECT, editor, revision_number=1, details={"from": "in_review"}
    )

    entries = _history(article)

    assert [(e.action, e.actor_id, e.reason) for e in entries] == [
        (AuditAction.REJECT, editor.id, None),
        (AuditAction.SUBMIT, reporter.id, "Ready"),
        (AuditAction.CREATE, reporter.id, None),
    ]
    assert entries[0].details == {"from": "in_review"}
    assert entries[1].details == {}
    assert [e.action for e in _history(other)] == [AuditAction.CREATE]


def test_history_entries_cannot_be_changed_or_deleted(session, reporter):
    article = factories.article(reporter)
    [entry] = _history(article)

    entry.reason = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        db.session.flush()
    db.session.rollback()

    [entry] = _history(article)
    db.session.delete(entry)
    with pytest.raises(TypeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1
