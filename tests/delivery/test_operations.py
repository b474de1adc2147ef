"""Delivery operations: partners and keys, what a reader sees, embargo releases, the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from cms.core.errors import Conflict, NotFound, ValidationFailed
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.delivery import access, operations
from cms.delivery.models import Partner
from cms.outbox.models import Audience
from tests import factories
from tests.concurrency import race
from tests.delivery.support import run_worker


def test_a_partner_gets_a_hashed_key_and_a_secret(session):
    partner, key = operations.create_partner(name="  Gazette ", sections=["a", " a", "", "b"])

    assert partner.name == "Gazette"
    assert partner.sections == ["a", "b"]
    [record] = partner.keys
    assert record.key_hash != key
    assert len(record.key_hash) == 64
    assert key.startswith(record.prefix)
    assert access.authenticate(key) == access.Reader(partner.id, ("a", "b"), False)
    assert operations.find_partner(str(partner.id)) is partner
    assert operations.find_partner("Gazette") is partner
    with pytest.raises(NotFound):
        operations.find_partner("Nobody")


def test_names_are_unique_and_webhook_urls_checked(session, app, monkeypatch):
    operations.create_partner(name="Gazette")
    with pytest.raises(Conflict):
        operations.create_partner(name="Gazette")
    monkeypatch.setitem(app.config, "CMS_WEBHOOK_ALLOW_PRIVATE", False)
    with pytest.raises(ValidationFailed) as refused:
        operations.create_partner(name="Other", webhook_url="http://192.168.0.10/hook")
    assert "webhook_url" in refused.value.extensions["errors"]["json"]


def test_update_partner_changes_only_what_it_knows(session):
    partner, _ = factories.partner()

    with pytest.raises(TypeError, match="webhook_secret"):
        operations.update_partner(partner, webhook_secret="chosen")
    operations.update_partner(partner, sections=[], embargo_access=True)

    assert (partner.sections, partner.embargo_access) == ([], True)


def test_keys_are_unique_by_hash(session):
    partner, _ = factories.partner()
    record = partner.keys[0]

    nested = db.session.begin_nested()
    db.session.add(type(record)(partner_id=partner.id, prefix="nrk_x", key_hash=record.key_hash))
    with pytest.raises(IntegrityError):
        db.session.flush()
    nested.rollback()


@pytest.mark.parametrize(
    ("reader", "audience", "section", "sees"),
    [
        (access.Reader(1, None, False), Audience.ALL, None, True),
        (access.Reader(1, None, False), Audience.EMBARGO_ACCESS, "x", False),
        (access.Reader(1, None, False), Audience.NO_EMBARGO_ACCESS, "x", True),
        (access.Reader(1, None, True), Audience.EMBARGO_ACCESS, "x", True),
        (access.Reader(1, None, True), Audience.NO_EMBARGO_ACCESS, "x", False),
        (access.Reader(1, ("x",), False), Audience.ALL, "x", True),
        (access.Reader(1, ("x",), False), Audience.ALL, "y", False),
        (access.Reader(1, ("x",), False), Audience.ALL, None, False),
        (access.Reader(1, (), True), Audience.ALL, "x", False),
    ],
)
def test_what_a_reader_sees(reader, audience, section, sees):
    assert reader.sees(audience, section) is sees


@pytest.mark.live
def test_two_workers_release_an_embargo_once(live_db):
    app = live_db
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    lifted = utcnow() + timedelta(hours=1)
    article_id = factories.published(factories.article(reporter), editor, embargo_until=lifted).id
    db.session.remove()

    race(app, lambda: run_worker(lifted))

    original, release = factories.events(article_id)
    assert release.releases_id == original.id
    assert original.lifted_at == lifted


def test_redelivery_of_an_unknown_delivery_is_404(session):
    partner, _ = factories.partner()

    with pytest.raises(NotFound):
        operations.redeliver(partner, 12345)
    assert db.session.get(Partner, partner.id) is partner
