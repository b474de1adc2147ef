"""Delivery operations: partners, audiences, fan-out and embargo releases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cms.core.errors import Conflict, NotFound, ValidationFailed
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.delivery import access, operations
from cms.delivery.models import Delivery, Partner
from cms.outbox.models import Audience, DeliveryEvent, EventKind
from tests import factories
from tests.delivery.support import fan_out, run_worker


def _events(article_id):
    return list(
        db.session.scalars(
            select(DeliveryEvent)
            .where(DeliveryEvent.article_id == article_id)
            .order_by(DeliveryEvent.id)
        )
    )


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


def test_events_get_their_audience_from_the_embargo(session, reporter, editor):
    lifted = utcnow() + timedelta(hours=1)
    article = factories.published(factories.article(reporter), editor, embargo_until=lifted)
    factories.withdrawn(article, editor)

    published, killed = _events(article.id)

    assert published.audience == Audience.EMBARGO_ACCESS
    assert killed.audience == Audience.ALL


def test_the_worker_queues_one_delivery_per_partner_an_event_is_for(session, reporter, editor):
    url = "http://127.0.0.1:9/hook"
    everyone, _ = factories.partner(webhook_url=url)
    sport, _ = factories.partner(webhook_url=url, sections=["sport"])
    trusted, _ = factories.partner(webhook_url=url, embargo_access=True)
    factories.partner()  # no webhook
    business = factories.published(factories.article(reporter), editor)
    embargoed = factories.published(
        factories.article(reporter, headline="E", section="sport"),
        editor,
        embargo_until=utcnow() + timedelta(hours=1),
    )
    factories.withdrawn(business, editor)
    fan_out()

    def receivers(article_id, kind):
        [event] = [e for e in _events(article_id) if e.kind == kind]
        return set(
            db.session.scalars(select(Delivery.partner_id).where(Delivery.event_id == event.id))
        )

    assert receivers(business.id, EventKind.PUBLISHED) == {everyone.id, trusted.id}
    assert receivers(business.id, EventKind.WITHDRAWN) == {everyone.id, trusted.id}
    assert receivers(embargoed.id, EventKind.PUBLISHED) == {trusted.id}
    run_worker(utcnow() + timedelta(hours=2))
    release = _events(embargoed.id)[-1]
    assert release.audience == Audience.NO_EMBARGO_ACCESS
    assert set(
        db.session.scalars(select(Delivery.partner_id).where(Delivery.event_id == release.id))
    ) == {everyone.id, sport.id}


def test_a_publication_that_rolls_back_leaves_no_event_and_no_delivery(session, reporter, editor):
    factories.partner(webhook_url="http://127.0.0.1:9/hook")
    article = factories.approved(factories.article(reporter), editor)
    from cms.workflow import operations as workflow_ops

    workflow_ops.publish(article, article.etag, editor)
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(DeliveryEvent)) == 0
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


@pytest.mark.live
def test_two_workers_release_an_embargo_once(live_db):
    app = live_db
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    lifted = utcnow() + timedelta(hours=1)
    article_id = factories.published(factories.article(reporter), editor, embargo_until=lifted).id
    db.session.remove()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work():
        try:
            with app.app_context():
                start.wait(timeout=10)
                run_worker(lifted)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    original, release = _events(article_id)
    assert release.releases_id == original.id
    assert original.lifted_at == lifted


def test_redelivery_of_an_unknown_delivery_is_404(session):
    partner, _ = factories.partner()

    with pytest.raises(NotFound):
        operations.redeliver(partner, 12345)
    assert db.session.get(Partner, partner.id) is partner
