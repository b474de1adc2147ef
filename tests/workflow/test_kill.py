"""A kill is final: a withdrawn story can be read, and nothing else, by anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cms.articles import operations as article_ops
from cms.articles.models import Revision, Version
from cms.audit.models import AuditEntry
from cms.core.errors import Conflict
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.outbox.models import DeliveryEvent
from cms.workflow import operations as ops
from tests import factories


@pytest.fixture
def killed(session, reporter, editor):
    article = factories.article(reporter)
    article = factories.updated(
        factories.published(article, editor), reporter, editor, headline="Cranes move again"
    )
    return factories.withdrawn(article, editor)


def _later() -> str:
    return (utcnow() + timedelta(hours=1)).isoformat()


#: Every write on an article: (method, path after the article's, query, body).
WRITES = {
    "edit": ("patch", "", "", {"headline": "Revived"}),
    "merge": ("patch", "", "?merge=1", {"headline": "Revived"}),
    "restore": ("post", "/revisions/1/restore", "", None),
    "submit": ("post", "/submit", "", None),
    "approve": ("post", "/approve", "", {"comment": "Fine"}),
    "reject": ("post", "/reject", "", {"reason": "No"}),
    "publish": ("post", "/publish", "", {"kind": "update"}),
    "schedule": ("post", "/schedule", "", {"publish_at": _later(), "kind": "update"}),
    "unschedule": ("post", "/unschedule", "", None),
    "withdraw": ("post", "/withdraw", "", {"reason": "Again"}),
}


def _footprint(article_id: int) -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(
            select(func.count()).select_from(model).where(model.article_id == article_id)
        )
        for model in (Revision, Version, AuditEntry, DeliveryEvent)
    )


@pytest.mark.parametrize("role", ["reporter", "editor", "admin"])
@pytest.mark.parametrize("write", WRITES)
def test_every_write_on_a_withdrawn_story_is_409_naming_the_state(client, killed, write, role):
    method, path, query, body = WRITES[write]
    user = factories.user(role=role)
    before = _footprint(killed.id)

    response = getattr(client, method)(
        f"/api/v1/articles/{killed.id}{path}{query}",
        json=body,
        headers={**factories.auth(user), "If-Match": killed.etag},
    )

    assert response.status_code == 409, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["current_status"] == "withdrawn"
    assert response.json["allowed_actions"] == []
    assert "withdrawn" in response.json["detail"]
    assert _footprint(killed.id) == before


@pytest.mark.parametrize("if_match", ['"1.1"', 'W/"1.1"'])
def test_a_stale_copy_of_a_withdrawn_story_learns_of_the_kill_not_of_the_staleness(
    client, killed, editor, if_match
):
    response = client.patch(
        f"/api/v1/articles/{killed.id}?merge=1",
        json={"headline": "Revived"},
        headers={**factories.auth(editor), "If-Match": if_match},
    )

    assert response.status_code == 409
    assert response.json["current_status"] == "withdrawn"


def test_the_operations_refuse_too_whoever_calls_them(session, killed, editor):
    with pytest.raises(Conflict, match="withdrawn"):
        article_ops.edit_article(killed, killed.etag, {"headline": "Revived"}, editor)
    with pytest.raises(Conflict, match="withdrawn"):
        article_ops.merge_edit(killed, '"1.1"', {"headline": "Revived"}, editor)
    with pytest.raises(Conflict, match="withdrawn"):
        article_ops.restore_revision(killed, 1, killed.etag, editor)
    with pytest.raises(Conflict, match="withdrawn"):
        ops.approve(killed, killed.etag, editor)


def test_a_withdrawn_story_stays_readable(client, killed, editor):
    headers = factories.auth(editor)
    base = f"/api/v1/articles/{killed.id}"

    for path in ("", "/revisions", "/revisions/1", "/diff", "/blame", "/history", "/versions"):
        assert client.get(base + path, headers=headers).status_code == 200, path
    actions = client.get(f"{base}/actions", headers=headers)
    assert actions.json == {"status": "withdrawn", "allowed_actions": []}
    assert client.get(base, headers=headers).json["public_state"] == "withdrawn"
