"""``flask cms create-partner`` and the key and secret commands."""

from __future__ import annotations

import re

from sqlalchemy import select

from cms.cli import cms_cli
from cms.core.extensions import db
from cms.delivery.models import Partner
from tests import factories


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(cms_cli, list(args))


def _key(output: str) -> str:
    return re.search(r"(nrk_[A-Za-z0-9_-]{43})", output).group(1)


def test_create_partner_prints_a_working_key_and_the_secret(app, client, reporter, editor):
    result = _invoke(
        app,
        "create-partner",
        "--name",
        "Harbour Gazette",
        "--sections",
        "world,sport",
        "--embargo-access",
        "--webhook-url",
        "http://127.0.0.1:9/hook",
    )

    assert result.exit_code == 0, result.output
    partner = db.session.scalar(select(Partner).where(Partner.name == "Harbour Gazette"))
    assert (partner.sections, partner.embargo_access) == (["world", "sport"], True)
    assert partner.webhook_secret in result.output
    article = factories.published(factories.article(reporter, section="world"), editor)
    response = client.get(
        f"/content/v1/articles/{article.id}", headers=factories.partner_auth(_key(result.output))
    )
    assert response.status_code == 200


def test_create_partner_defaults_to_every_section_and_no_webhook(app, session):
    result = _invoke(app, "create-partner", "--name", "Wire Mirror")

    assert result.exit_code == 0, result.output
    partner = db.session.scalar(select(Partner).where(Partner.name == "Wire Mirror"))
    assert (partner.sections, partner.webhook_url, partner.embargo_access) == (None, None, False)


def test_bad_partners_exit_1_and_store_nothing(app, session, monkeypatch):
    factories.partner(name="Taken")
    monkeypatch.setitem(app.config, "CMS_WEBHOOK_ALLOW_PRIVATE", False)

    taken = _invoke(app, "create-partner", "--name", "Taken")
    private = _invoke(
        app, "create-partner", "--name", "Local", "--webhook-url", "http://127.0.0.1/h"
    )

    assert taken.exit_code == 1
    assert "already exists" in taken.output
    assert private.exit_code == 1
    assert "Webhook URL refused" in private.output
    assert db.session.scalar(select(Partner).where(Partner.name == "Local")) is None


def test_rotating_and_revoking_keys(app, client, reporter, editor):
    partner, old_key = factories.partner(name="Gazette")
    article = factories.published(factories.article(reporter), editor)
    path = f"/content/v1/articles/{article.id}"

    rotated = _invoke(app, "rotate-partner-key", "Gazette")
    new_key = _key(rotated.output)
    assert rotated.exit_code == 0, rotated.output
    assert client.get(path, headers=factories.partner_auth(old_key)).status_code == 200

    revoked = _invoke(app, "revoke-partner-key", str(partner.id), old_key[:12])
    assert revoked.exit_code == 0, revoked.output
    assert client.get(path, headers=factories.partner_auth(old_key)).status_code == 401
    assert client.get(path, headers=factories.partner_auth(new_key)).status_code == 200

    last = _invoke(app, "rotate-partner-key", "Gazette", "--revoke-others")
    assert client.get(path, headers=factories.partner_auth(new_key)).status_code == 401
    assert client.get(path, headers=factories.partner_auth(_key(last.output))).status_code == 200

    listed = _invoke(app, "list-partners")
    assert listed.exit_code == 0
    assert "Gazette" in listed.output
    assert _key(last.output)[:12] in listed.output
    assert old_key[:12] not in listed.output


def test_unknown_partners_and_keys_exit_1(app, session):
    factories.partner(name="Gazette")

    assert _invoke(app, "rotate-partner-key", "Nobody").exit_code == 1
    assert _invoke(app, "revoke-partner-key", "Gazette", "nrk_nothing").exit_code == 1
    assert _invoke(app, "rotate-webhook-secret", "Nobody").exit_code == 1


def test_create_partner_refuses_a_webhook_url_a_request_cannot_carry(app, session):
    result = _invoke(
        app, "create-partner", "--name", "Café", "--webhook-url", "http://127.0.0.1:9/café"
    )

    assert result.exit_code == 1
    assert "percent-encode them: http://127.0.0.1:9/caf%C3%A9" in result.output
    assert db.session.scalar(select(Partner).where(Partner.name == "Café")) is None


def test_rotating_the_webhook_secret(app, session):
    partner, _ = factories.partner(name="Gazette")
    old = partner.webhook_secret

    result = _invoke(app, "rotate-webhook-secret", "Gazette")

    assert result.exit_code == 0
    db.session.refresh(partner)
    assert partner.webhook_secret != old
    assert partner.webhook_secret in result.output


def test_the_worker_command_delivers_webhooks(app, session, receiver, reporter, editor):
    partner, _ = factories.partner(webhook_url=receiver.url)
    receiver.secret = partner.webhook_secret
    factories.published(factories.article(reporter), editor)

    result = app.test_cli_runner().invoke(args=["cms", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert [(r.payload["event"]["kind"], r.verified) for r in receiver.requests] == [
        ("published", True)
    ]
