"""Standard Webhooks through the worker to a real receiver that verifies with the library:
the default headers, secret rotation with an overlap, the compatibility setting, the retry window.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cms.core.extensions import db
from cms.core.types import utcnow
from cms.delivery import operations, signing
from cms.delivery.models import Delivery, DeliveryState, Partner, WebhookHeaders
from tests import factories
from tests.delivery.support import run_until_idle


@pytest.fixture
def subscribed(session, receiver):
    partner, _key = factories.partner(webhook_url=receiver.url)
    receiver.secret = partner.webhook_secret
    return partner


def _publish(reporter, editor, headline="Cranes idle"):
    return factories.published(factories.article(reporter, headline=headline), editor)


def _delivery() -> Delivery:
    return db.session.scalars(
        select(Delivery).order_by(Delivery.id.desc()).execution_options(populate_existing=True)
    ).first()


def test_a_new_partner_gets_standard_webhooks_that_the_library_verifies(
    subscribed, receiver, reporter, editor
):
    article = _publish(reporter, editor)

    run_until_idle()

    [request] = receiver.requests
    assert subscribed.webhook_headers == WebhookHeaders.STANDARD
    assert request.standard
    assert request.verified
    assert request.status == 200
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["webhook-id"] == str(request.payload["event"]["id"])
    assert request.payload["article"]["id"] == article.id
    assert not any(name.startswith("x-newsroom") for name in headers)


def test_during_a_rotations_overlap_webhooks_verify_with_either_secret(
    app, subscribed, receiver, reporter, editor
):
    old = subscribed.webhook_secret
    new = operations.rotate_webhook_secret(subscribed, overlap_hours=1)
    db.session.commit()
    _publish(reporter, editor, "Signed twice")

    run_until_idle()  # the receiver still has the old secret

    assert new != old
    [request] = receiver.requests
    assert request.verified
    signatures = {n.lower(): v for n, v in request.headers.items()}["webhook-signature"]
    assert len(signatures.split(" ")) == 2
    receiver.secret = new
    assert receiver._verifies(request.headers, request.body)


def test_without_an_overlap_the_old_secret_stops_at_once(subscribed, receiver, reporter, editor):
    operations.rotate_webhook_secret(subscribed, overlap_hours=0)
    db.session.commit()
    _publish(reporter, editor)

    run_until_idle()

    [request] = receiver.requests
    assert not request.verified
    assert request.status == 401
    assert _delivery().state == DeliveryState.DEAD


def test_the_overlap_ends(app, subscribed, receiver, reporter, editor):
    old = subscribed.webhook_secret
    operations.rotate_webhook_secret(subscribed, overlap_hours=1)
    db.session.commit()

    later = utcnow() + timedelta(hours=1, seconds=1)

    assert operations.signing_secrets(subscribed, utcnow())[1] == old
    assert operations.signing_secrets(subscribed, later) == [subscribed.webhook_secret]


def test_a_partner_on_the_compatibility_setting_gets_the_x_newsroom_headers(
    client, admin, subscribed, receiver, reporter, editor
):
    changed = client.patch(
        f"/api/v1/partners/{subscribed.id}",
        json={"webhook_headers": "newsroom"},
        headers=factories.auth(admin),
    )
    _publish(reporter, editor)

    run_until_idle()

    assert changed.status_code == 200
    assert changed.json["webhook_headers"] == "newsroom"
    [request] = receiver.requests
    assert not request.standard
    assert request.verified
    assert request.headers[signing.ATTEMPT_HEADER] == "1"
    assert "webhook-signature" not in {name.lower() for name in request.headers}


def test_the_admin_api_rotates_with_an_overlap_and_shows_the_secret_once(
    client, admin, subscribed
):
    url = f"/api/v1/partners/{subscribed.id}/webhook-secret"

    rotated = client.post(url, json={"overlap_hours": 2}, headers=factories.auth(admin))
    at_once = client.post(url, json={"overlap_hours": 0}, headers=factories.auth(admin))
    refused = client.post(url, json={"overlap_hours": -1}, headers=factories.auth(admin))
    shown = client.get(f"/api/v1/partners/{subscribed.id}", headers=factories.auth(admin))

    assert rotated.status_code == 200
    assert rotated.json["webhook_secret"].startswith("whsec_")
    assert rotated.json["previous_secret_until"] is not None
    assert at_once.json["previous_secret_until"] is None
    assert refused.status_code == 422
    assert "webhook_secret" not in shown.json
    assert shown.json["webhook_previous_secret_until"] is None


def test_the_cli_rotates_with_an_overlap(app, subscribed):
    result = app.test_cli_runner().invoke(
        args=["cms", "rotate-webhook-secret", str(subscribed.id), "--overlap-hours", "6"]
    )

    assert result.exit_code == 0, result.output
    assert "whsec_" in result.output
    assert "the old secret signs too until" in result.output
    partner = db.session.get(Partner, subscribed.id, populate_existing=True)
    assert partner.webhook_previous_secret is not None


def test_a_delivery_is_retried_within_its_window_then_dead(
    app, subscribed, receiver, reporter, editor
):
    receiver.status = 500
    app.config.update(CMS_WEBHOOK_MAX_ATTEMPTS=100)
    _publish(reporter, editor)
    run_until_idle(passes=1)
    # The event was over three days ago: its window has ended.
    db.session.execute(
        update(Delivery).values(created_at=utcnow() - timedelta(hours=72, minutes=1))
    )
    db.session.commit()

    run_until_idle()

    delivery = _delivery()
    assert delivery.state == DeliveryState.DEAD
    assert "retry window of 72h" in delivery.last_error
    assert 2 <= len(receiver.requests) < 100


def test_the_default_retry_window_is_at_least_72_hours(app):
    from cms.config import webhook_settings

    assert webhook_settings()["CMS_WEBHOOK_RETRY_HOURS"] >= 72
    assert app.config["CMS_WEBHOOK_RETRY_HOURS"] >= 72


def test_a_redelivery_starts_a_new_window(client, admin, subscribed, receiver, reporter, editor):
    receiver.status = 500
    _publish(reporter, editor)
    run_until_idle()
    dead = _delivery()
    db.session.execute(update(Delivery).values(created_at=utcnow() - timedelta(days=10)))
    db.session.commit()
    receiver.status = 200

    again = client.post(
        f"/api/v1/partners/{subscribed.id}/deliveries/{dead.id}/redeliver",
        headers=factories.auth(admin),
    )
    run_until_idle()

    assert again.status_code == 200
    delivery = _delivery()
    assert delivery.requeued_at is not None
    assert delivery.state == DeliveryState.DELIVERED
