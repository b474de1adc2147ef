"""The workflow API: actions under /api/v1/articles/{id}/, history, versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cms.articles import operations as article_ops
from cms.articles.models import Version
from cms.audit.models import AuditEntry
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.outbox.models import DeliveryEvent
from tests import factories
from tests.paging import walk

ACTIONS = ("submit", "approve", "reject", "publish", "schedule", "unschedule", "withdraw")


def _url(article_id: int, action: str) -> str:
    return f"/api/v1/articles/{article_id}/{action}"


def _act(client, user_headers, article_id, action, etag, body=None):
    return client.post(
        _url(article_id, action), json=body, headers={**user_headers, "If-Match": etag}
    )


def _later(**delta) -> str:
    return (utcnow() + timedelta(**delta)).isoformat()


def _body(action: str) -> dict | None:
    """A valid body for ``action``."""
    if action in ("reject", "withdraw"):
        return {"reason": "Because."}
    if action == "schedule":
        return {"publish_at": _later(hours=1)}
    return None


@pytest.fixture
def staff(reporter, editor, admin):
    """Auth headers per role."""
    return {
        "reporter": factories.auth(reporter),
        "editor": factories.auth(editor),
        "admin": factories.auth(admin),
    }


def test_a_story_goes_from_draft_to_published_through_the_api(client, reporter, staff):
    article = factories.article(reporter)
    etag = article.etag

    submitted = _act(client, staff["reporter"], article.id, "submit", etag, {"comment": "Ready"})
    assert submitted.status_code == 200
    assert submitted.json["status"] == "in_review"
    assert submitted.headers["ETag"] != etag

    approved = _act(client, staff["editor"], article.id, "approve", submitted.headers["ETag"])
    assert approved.status_code == 200
    assert approved.json["status"] == "approved"
    assert approved.json["approved_revision"] == 1

    published = _act(client, staff["editor"], article.id, "publish", approved.headers["ETag"])
    assert published.status_code == 200
    body = published.json
    assert body["status"] == "published"
    assert body["public_state"] == "published"
    assert body["live_version"] == 1
    assert body["live"]["revision"] == 1
    assert body["live"]["kind"] == "first"
    assert body["first_published_at"] == body["last_updated_at"] == body["live"]["published_at"]
    assert body["approved_revision"] is None
    assert body["corrections"] == []
    assert published.headers["ETag"] == '"1.4"'

    shown = client.get(f"/api/v1/articles/{article.id}", headers=staff["reporter"])
    assert shown.headers["ETag"] == published.headers["ETag"]
    assert shown.json["live_version"] == 1


def test_publish_via_the_api_publishes_the_approved_revision_not_the_head(
    client, reporter, editor, staff
):
    article = factories.approved(factories.article(reporter), editor)
    edited = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "Late unreviewed change"},
        headers={**staff["reporter"], "If-Match": article.etag},
    )

    published = _act(client, staff["editor"], article.id, "publish", edited.headers["ETag"])

    assert published.status_code == 200
    assert published.json["revision"] == 2
    assert published.json["live"]["revision"] == 1
    versions = client.get(f"/api/v1/articles/{article.id}/versions", headers=staff["editor"])
    assert [(v["number"], v["revision"]) for v in versions.json["items"]] == [(1, 1)]


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_requires_if_match(client, reporter, staff, action):
    article = factories.article(reporter)

    response = client.post(_url(article.id, action), json=_body(action), headers=staff["editor"])

    assert response.status_code == 428
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_refuses_a_stale_if_match(client, reporter, staff, action):
    article = factories.article(reporter)

    response = _act(client, staff["editor"], article.id, action, '"1.0"', _body(action))

    assert response.status_code == 412
    assert response.json["current_etag"] == article.etag


def test_a_wrong_transition_is_409_listing_the_allowed_actions(client, reporter, staff):
    article = factories.article(reporter)

    response = _act(client, staff["editor"], article.id, "publish", article.etag)

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.json["allowed_actions"] == ["submit"]
    assert response.json["current_status"] == "draft"


@pytest.mark.parametrize("action", ["approve", "reject", "publish", "withdraw"])
def test_a_missing_right_is_403(client, reporter, editor, staff, action):
    article = factories.submitted(factories.article(reporter), reporter)

    response = _act(client, staff["reporter"], article.id, action, article.etag, _body(action))

    assert response.status_code == 403
    assert response.json["type"].endswith("forbidden")


def test_admins_may_do_what_editors_do(client, reporter, staff):
    article = factories.submitted(factories.article(reporter), reporter)
    approved = _act(client, staff["admin"], article.id, "approve", article.etag)
    published = _act(client, staff["admin"], article.id, "publish", approved.headers["ETag"])
    withdrawn = _act(
        client,
        staff["admin"],
        article.id,
        "withdraw",
        published.headers["ETag"],
        {"reason": "Legal"},
    )

    assert [approved.status_code, published.status_code, withdrawn.status_code] == [200] * 3
    assert withdrawn.json["public_state"] == "withdrawn"
    assert withdrawn.json["withdrawal_reason"] == "Legal"


def test_self_approval_is_403(client, editor, staff):
    article = factories.submitted(factories.article(editor), editor)

    response = _act(client, staff["editor"], article.id, "approve", article.etag)

    assert response.status_code == 403
    assert "another editor" in response.json["detail"]


@pytest.mark.parametrize("action", ["reject", "withdraw"])
def test_reject_and_withdraw_need_a_reason(client, reporter, editor, staff, action):
    article = factories.published(factories.article(reporter), editor)

    response = _act(client, staff["editor"], article.id, action, article.etag, {})

    assert response.status_code == 422
    assert "reason" in response.json["errors"]["json"]


def test_a_correction_without_a_note_is_422(client, reporter, editor, staff):
    article = factories.published(factories.article(reporter), editor)
    edited = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"body": "Corrected."},
        headers={**staff["reporter"], "If-Match": article.etag},
    )
    approved = _act(client, staff["admin"], article.id, "approve", edited.headers["ETag"])

    refused = _act(
        client,
        staff["editor"],
        article.id,
        "publish",
        approved.headers["ETag"],
        {"kind": "correction"},
    )
    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["note"]

    corrected = _act(
        client,
        staff["editor"],
        article.id,
        "publish",
        approved.headers["ETag"],
        {"kind": "correction", "note": "The vote closes on Friday, not Thursday."},
    )
    assert corrected.status_code == 200
    assert corrected.json["corrections"] == [
        {
            "version": 2,
            "note": "The vote closes on Friday, not Thursday.",
            "published_at": corrected.json["last_updated_at"],
        }
    ]


@pytest.mark.parametrize(
    ("publish_at", "message"),
    [
        ("2031-05-01T09:00:00", "aware"),
        ("2031-05-01", "aware"),
        ("next tuesday", "datetime"),
        ((datetime.now(UTC) - timedelta(minutes=5)).isoformat(), "future"),
    ],
    # Named, not derived from the values: pytest-xdist's workers must collect the same tests.
    ids=["naive", "date only", "words", "past"],
)
def test_schedule_refuses_naive_malformed_and_past_times(
    client, reporter, editor, staff, publish_at, message
):
    article = factories.approved(factories.article(reporter), editor)

    response = _act(
        client, staff["editor"], article.id, "schedule", article.etag, {"publish_at": publish_at}
    )

    assert response.status_code == 422
    assert message in " ".join(response.json["errors"]["json"]["publish_at"])


def test_schedule_and_unschedule(client, reporter, editor, staff):
    article = factories.approved(factories.article(reporter), editor)
    when = "2031-05-01T09:00:00+02:00"

    scheduled = _act(
        client, staff["editor"], article.id, "schedule", article.etag, {"publish_at": when}
    )
    assert scheduled.status_code == 200
    assert scheduled.json["scheduled_publish_at"] == "2031-05-01T07:00:00+00:00"
    assert scheduled.json["status"] == "approved"

    unscheduled = _act(
        client, staff["editor"], article.id, "unschedule", scheduled.headers["ETag"]
    )
    assert unscheduled.status_code == 200
    assert unscheduled.json["scheduled_publish_at"] is None
    assert unscheduled.json["approved_revision"] == 1

    again = _act(client, staff["editor"], article.id, "unschedule", unscheduled.headers["ETag"])
    assert again.status_code == 409
    assert "unschedule" not in again.json["allowed_actions"]


def test_schedule_refuses_an_embargo_ending_before_publication(client, reporter, editor, staff):
    article = factories.approved(factories.article(reporter), editor)

    response = _act(
        client,
        staff["editor"],
        article.id,
        "schedule",
        article.etag,
        {"publish_at": _later(hours=2), "embargo_until": _later(hours=1)},
    )

    assert response.status_code == 422
    assert "embargo_until" in response.json["errors"]["json"]


def test_allowed_actions_endpoint_answers_for_the_caller(client, reporter, staff):
    article = factories.submitted(factories.article(reporter), reporter)

    as_reporter = client.get(f"/api/v1/articles/{article.id}/actions", headers=staff["reporter"])
    as_editor = client.get(f"/api/v1/articles/{article.id}/actions", headers=staff["editor"])

    assert as_reporter.json == {"status": "in_review", "allowed_actions": []}
    assert as_editor.json == {"status": "in_review", "allowed_actions": ["approve", "reject"]}


def test_history_lists_every_action_newest_first(client, reporter, editor, staff):
    article = factories.published(factories.article(reporter), editor)
    withdrawn = _act(
        client, staff["editor"], article.id, "withdraw", article.etag, {"reason": "Recalled"}
    )
    assert withdrawn.status_code == 200

    history = client.get(f"/api/v1/articles/{article.id}/history", headers=staff["reporter"])

    assert history.status_code == 200
    items = history.json["items"]
    assert [item["action"] for item in items] == [
        "withdraw",
        "publish",
        "approve",
        "submit",
        "create",
    ]
    assert items[0]["actor"] == {"id": editor.id, "name": editor.name}
    assert items[0]["reason"] == "Recalled"
    assert items[0]["version"] == 1
    assert items[1]["revision"] == 1
    assert items[1]["details"]["kind"] == "first"
    assert datetime.fromisoformat(items[0]["at"]).utcoffset() is not None
    assert history.json["next_cursor"] is None


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_history_cannot_be_changed_through_the_api(client, reporter, staff, method):
    article = factories.article(reporter)
    url = f"/api/v1/articles/{article.id}/history"

    response = getattr(client, method)(
        url, json={"action": "publish"}, headers={**staff["admin"], "If-Match": article.etag}
    )

    assert response.status_code == 405
    assert len(client.get(url, headers=staff["admin"]).json["items"]) == 1


def test_a_refused_action_changes_nothing(client, reporter, editor, staff):
    article = factories.published(factories.article(reporter), editor)

    response = _act(
        client, staff["reporter"], article.id, "withdraw", article.etag, {"reason": "x"}
    )

    assert response.status_code == 403
    shown = client.get(f"/api/v1/articles/{article.id}", headers=staff["editor"])
    assert shown.headers["ETag"] == article.etag
    assert shown.json["public_state"] == "published"
    assert db.session.scalar(select(func.count()).select_from(DeliveryEvent)) == 1
    assert db.session.scalar(select(func.count()).select_from(Version)) == 1


def test_actions_on_an_unknown_article_are_404(client, staff):
    response = _act(client, staff["editor"], 4242, "submit", '"1.1"')

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("publish", {"embargo_until": "9999-12-31T23:59:59-23:00"}),
        ("schedule", {"publish_at": "9999-12-31T23:59:59-23:00"}),
        ("schedule", {"publish_at": "0001-01-01T00:00:00+23:00"}),
    ],
)
def test_times_beyond_utc_range_are_422_not_a_500(client, reporter, editor, staff, action, body):
    article = factories.approved(factories.article(reporter), editor)

    refused = _act(client, staff["editor"], article.id, action, article.etag, body)

    assert refused.status_code == 422
    assert refused.json["errors"]["json"]


def _deck_edit(article, author, n):
    edited, _ = article_ops.edit_article(article, article.etag, {"deck": f"Deck {n}"}, author)
    db.session.commit()
    return edited


def test_history_pages_by_cursor_each_once_while_entries_are_added(client, reporter, staff):
    article = factories.article(reporter)
    for n in range(4):
        article = _deck_edit(article, reporter, n)
    entries = select(AuditEntry.id).where(AuditEntry.article_id == article.id)
    before = list(db.session.scalars(entries.order_by(AuditEntry.id.desc())))
    counter = iter(range(10, 20))

    def add_entry():
        nonlocal article
        article = _deck_edit(article, reporter, next(counter))

    path = f"/api/v1/articles/{article.id}/history"
    listed = walk(client, path, staff["reporter"], limit=2, between=add_entry)

    assert listed == before


def test_versions_page_by_cursor_each_once_while_versions_are_added(
    client, reporter, editor, staff
):
    article = factories.published(factories.article(reporter), editor)
    for n in range(3):
        article = factories.updated(article, reporter, editor, deck=f"Update {n}")
    counter = iter(range(10, 20))

    def add_version():
        nonlocal article
        article = factories.updated(article, reporter, editor, deck=f"Update {next(counter)}")

    path = f"/api/v1/articles/{article.id}/versions"
    listed = walk(client, path, staff["reporter"], limit=3, between=add_version, key="number")

    assert listed == [4, 3, 2, 1]


@pytest.mark.parametrize("path", ["history", "versions"])
def test_forged_cursors_are_422(client, reporter, staff, path):
    article = factories.article(reporter)

    response = client.get(
        f"/api/v1/articles/{article.id}/{path}?cursor=Zm9yZ2Vk", headers=staff["reporter"]
    )

    assert response.status_code == 422
    assert "cursor" in response.json["errors"]["query"]


def test_allowed_actions_leave_out_an_approval_that_would_be_refused(
    client, reporter, editor, admin, staff
):
    own = factories.submitted(factories.article(editor), editor)
    approved = factories.approved(factories.article(reporter), admin)

    mine = client.get(f"/api/v1/articles/{own.id}/actions", headers=staff["editor"])
    others = client.get(f"/api/v1/articles/{own.id}/actions", headers=staff["admin"])
    again = client.get(f"/api/v1/articles/{approved.id}/actions", headers=staff["editor"])

    # The editor wrote it (four eyes); the admin may approve; an approved head is not
    # approved twice. Each refused approval is what POST .../approve would answer.
    assert mine.json["allowed_actions"] == ["reject"]
    assert others.json["allowed_actions"] == ["approve", "reject"]
    assert "approve" not in again.json["allowed_actions"]
    assert "publish" in again.json["allowed_actions"]
    refused = _act(client, staff["editor"], own.id, "approve", own.etag)
    assert refused.status_code == 403
