"""Admin endpoints: partners, keys shown once, webhook secrets, the delivery log, redelivery."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cms.core.extensions import db
from cms.delivery.models import Delivery, DeliveryState, Partner
from tests import factories
from tests.delivery.support import fan_out, run_until_idle, run_worker
from tests.paging import walk

PARTNERS = "/api/v1/partners"


@pytest.fixture
def as_admin(admin):
    return factories.auth(admin)


def _create(client, headers, **fields):
    response = client.post(PARTNERS, json={"name": "Gazette", **fields}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_only_admins_manage_partners(client, editor, reporter):
    assert client.get(PARTNERS).status_code == 401
    for user in (editor, reporter):
        response = client.post(PARTNERS, json={"name": "X"}, headers=factories.auth(user))
        assert response.status_code == 403
        assert client.get(PARTNERS, headers=factories.auth(user)).status_code == 403


def test_creating_a_partner_shows_its_key_and_secret_once(client, as_admin, reporter, editor):
    created = _create(client, as_admin, sections=[" world ", "sport", "world"])

    assert created["api_key"].startswith("nrk_")
    assert created["webhook_secret"].startswith("whsec_")
    assert created["sections"] == ["world", "sport"]
    assert created["embargo_access"] is False
    assert created["keys"][0]["prefix"] == created["api_key"][:12]
    shown = client.get(f"{PARTNERS}/{created['id']}", headers=as_admin)
    assert "api_key" not in shown.json
    assert "webhook_secret" not in shown.json
    assert shown.json["name"] == "Gazette"
    article = factories.published(factories.article(reporter, section="world"), editor)
    read = client.get(
        f"/content/v1/articles/{article.id}", headers=factories.partner_auth(created["api_key"])
    )
    assert read.status_code == 200
    listed = client.get(PARTNERS, headers=as_admin).json
    assert [p["name"] for p in listed["items"]] == ["Gazette"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": ""}, 422),
        ({"name": "X", "sections": "world"}, 422),
        ({"name": "X", "webhook_url": "ftp://example.com/"}, 422),
        ({"name": "X", "webhook_url": "https://user:pw@example.com/"}, 422),
        ({"name": "X", "embargo_access": "maybe"}, 422),
        ({"name": "X", "api_key": "chosen"}, 422),
        ({"name": "bad\u0000name"}, 422),
    ],
)
def test_bad_partners_are_refused(client, as_admin, body, status):
    response = client.post(PARTNERS, json=body, headers=as_admin)

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_private_webhook_urls_are_refused_unless_allowed(client, as_admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "CMS_WEBHOOK_ALLOW_PRIVATE", False)

    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.0.0.8/h"):
        response = client.post(
            PARTNERS, json={"name": "Local", "webhook_url": url}, headers=as_admin
        )
        assert response.status_code == 422
        assert "webhook_url" in response.json["errors"]["json"]


def test_webhook_urls_a_request_cannot_carry_are_refused(client, as_admin, receiver):
    created = _create(client, as_admin, webhook_url=receiver.url)
    path = f"{PARTNERS}/{created['id']}"

    made = client.post(
        PARTNERS, json={"name": "Café", "webhook_url": "http://127.0.0.1:9/café"}, headers=as_admin
    )
    changed = client.patch(path, json={"webhook_url": receiver.url + "/é t"}, headers=as_admin)

    for response in (made, changed):
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        [reason] = response.json["errors"]["json"]["webhook_url"]
        assert "percent-encode them" in reason
    assert changed.json["errors"]["json"]["webhook_url"][0].endswith("/%C3%A9%20t")
    assert client.get(path, headers=as_admin).json["webhook_url"] == receiver.url
    assert [p["name"] for p in client.get(PARTNERS, headers=as_admin).json["items"]] == ["Gazette"]


def test_a_name_is_unique(client, as_admin):
    _create(client, as_admin)

    assert client.post(PARTNERS, json={"name": "Gazette"}, headers=as_admin).status_code == 409


def test_updating_a_partner(client, as_admin, receiver):
    created = _create(client, as_admin)
    path = f"{PARTNERS}/{created['id']}"

    changed = client.patch(
        path,
        json={"sections": None, "embargo_access": True, "webhook_url": receiver.url},
        headers=as_admin,
    )
    paused = client.patch(path, json={"webhook_paused": True}, headers=as_admin)
    removed = client.patch(path, json={"webhook_url": None, "active": False}, headers=as_admin)

    assert changed.status_code == 200
    assert (changed.json["sections"], changed.json["embargo_access"]) == (None, True)
    assert changed.json["webhook_url"] == receiver.url
    assert paused.json["webhook_paused_reason"] == "paused by an admin"
    assert removed.json["webhook_url"] is None
    assert removed.json["active"] is False
    assert removed.json["webhook_paused_at"] is None
    assert client.patch(path, json={"name": ""}, headers=as_admin).status_code == 422
    assert client.patch(f"{PARTNERS}/999999", json={}, headers=as_admin).status_code == 404


def test_key_rotation_overlaps_and_revocation_is_immediate(client, as_admin, reporter, editor):
    created = _create(client, as_admin)
    article = factories.published(factories.article(reporter), editor)
    path = f"/content/v1/articles/{article.id}"
    old = factories.partner_auth(created["api_key"])

    issued = client.post(f"{PARTNERS}/{created['id']}/keys", headers=as_admin)
    new = factories.partner_auth(issued.json["api_key"])
    assert issued.status_code == 201
    assert client.get(path, headers=old).status_code == 200
    assert client.get(path, headers=new).status_code == 200

    old_key_id = created["keys"][0]["id"]
    revoked = client.delete(f"{PARTNERS}/{created['id']}/keys/{old_key_id}", headers=as_admin)
    assert revoked.status_code == 204
    assert client.get(path, headers=old).status_code == 401
    assert client.get(path, headers=new).status_code == 200

    again = client.post(
        f"{PARTNERS}/{created['id']}/keys", json={"revoke_others": True}, headers=as_admin
    )
    assert client.get(path, headers=new).status_code == 401
    assert client.get(path, headers=factories.partner_auth(again.json["api_key"])).status_code == (
        200
    )
    keys = client.get(f"{PARTNERS}/{created['id']}", headers=as_admin).json["keys"]
    assert [k["revoked_at"] is None for k in keys] == [False, False, True]
    missing = client.delete(f"{PARTNERS}/{created['id']}/keys/999999", headers=as_admin)
    assert missing.status_code == 404


def test_rotating_the_webhook_secret(client, as_admin, receiver, reporter, editor):
    created = _create(client, as_admin, webhook_url=receiver.url)

    rotated = client.post(f"{PARTNERS}/{created['id']}/webhook-secret", headers=as_admin)

    assert rotated.status_code == 200
    assert rotated.json["webhook_secret"] != created["webhook_secret"]
    receiver.secret = rotated.json["webhook_secret"]
    factories.published(factories.article(reporter), editor)
    run_worker()
    assert [r.verified for r in receiver.requests] == [True]


def test_the_delivery_log_and_redelivery(client, as_admin, receiver, reporter, editor):
    created = _create(client, as_admin, webhook_url=receiver.url)
    receiver.secret = created["webhook_secret"]
    receiver.status = 500
    factories.published(factories.article(reporter), editor)
    run_until_idle()
    path = f"{PARTNERS}/{created['id']}/deliveries"

    log = client.get(path, headers=as_admin).json
    [dead] = log["items"]
    assert (dead["state"], dead["attempts"], dead["last_status"]) == ("dead", 3, 500)
    assert dead["event"]["kind"] == "published"
    assert client.get(f"{path}?state=delivered", headers=as_admin).json["items"] == []
    detail = client.get(f"{path}/{dead['id']}", headers=as_admin).json
    assert [(a["number"], a["status"], a["outcome"]) for a in detail["attempt_log"]] == [
        (1, 500, "retry"),
        (2, 500, "retry"),
        (3, 500, "dead"),
    ]

    receiver.status = 200
    queued = client.post(f"{path}/{dead['id']}/redeliver", headers=as_admin)
    assert queued.status_code == 200
    assert queued.json["state"] == "pending"
    run_until_idle()

    delivered = client.get(f"{path}/{dead['id']}", headers=as_admin).json
    assert delivered["state"] == "delivered"
    assert delivered["attempts"] == 4
    assert [r.event_id for r in receiver.requests] == [dead["event"]["id"]] * 4
    assert receiver.requests[-1].attempt == 4


def test_a_delivery_in_flight_cannot_be_redelivered(client, as_admin, receiver):
    created = _create(client, as_admin, webhook_url=receiver.url)
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    factories.published(factories.article(reporter), editor)
    fan_out()
    delivery = db.session.query(Delivery).one()
    delivery.state = DeliveryState.DELIVERING
    db.session.commit()

    response = client.post(
        f"{PARTNERS}/{created['id']}/deliveries/{delivery.id}/redeliver", headers=as_admin
    )

    assert response.status_code == 409
    other = _create(client, as_admin, name="Other")
    assert (
        client.get(f"{PARTNERS}/{other['id']}/deliveries/{delivery.id}", headers=as_admin)
    ).status_code == 404


@pytest.mark.parametrize("query", ["?state=lost", "?limit=0", "?limit=1000", "?cursor=forged"])
def test_bad_log_queries_are_422(client, as_admin, query):
    created = _create(client, as_admin)

    response = client.get(f"{PARTNERS}/{created['id']}/deliveries{query}", headers=as_admin)

    assert response.status_code == 422


def test_partners_page_by_name_each_once_while_partners_are_added(client, as_admin):
    for name in ("Mercury", "Courier", "Tribune", "Echo", "Zenith"):
        factories.partner(name=name)
    added = iter(["Aardvark", "Herald", "Zulu", "Zz"])
    expected = [p["id"] for p in client.get(PARTNERS, headers=as_admin).json["items"]]

    listed = walk(
        client,
        PARTNERS,
        as_admin,
        limit=2,
        between=lambda: factories.partner(name=next(added)),
    )

    assert len(listed) == len(set(listed))
    assert [i for i in listed if i in expected] == expected
    assert "Herald" in [p.name for p in db.session.scalars(select(Partner))]


def test_deliveries_page_newest_first_each_once_while_deliveries_are_added(
    client, as_admin, receiver, reporter, editor
):
    created = _create(client, as_admin, webhook_url=receiver.url)
    for n in range(4):
        factories.published(factories.article(reporter, slug=f"story-{n}"), editor)
    fan_out()
    path = f"{PARTNERS}/{created['id']}/deliveries"
    expected = [d["id"] for d in client.get(path, headers=as_admin).json["items"]]
    counter = iter(range(10, 20))

    def add_delivery():
        factories.published(factories.article(reporter, slug=f"story-{next(counter)}"), editor)
        fan_out()

    listed = walk(client, path, as_admin, limit=3, between=add_delivery)

    assert len(expected) == 4
    assert listed == expected
