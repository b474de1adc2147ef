"""Fan-out: the worker turns each outbox event into webhook deliveries, once and in order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cms.core.extensions import db
from cms.core.sqlite import writing
from cms.core.types import utcnow
from cms.delivery.dispatch import fan_out_next_event
from cms.delivery.models import Delivery, FanOutCursor
from cms.outbox.models import Audience, EventKind
from tests import factories
from tests.concurrency import race
from tests.delivery.support import fan_out, run_worker

HOOK = "http://127.0.0.1:9/hook"


def _queued():
    return [
        tuple(row) for row in db.session.execute(select(Delivery.event_id, Delivery.partner_id))
    ]


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
        [event] = [e for e in factories.events(article_id) if e.kind == kind]
        return set(
            db.session.scalars(select(Delivery.partner_id).where(Delivery.event_id == event.id))
        )

    assert receivers(business.id, EventKind.PUBLISHED) == {everyone.id, trusted.id}
    assert receivers(business.id, EventKind.WITHDRAWN) == {everyone.id, trusted.id}
    assert receivers(embargoed.id, EventKind.PUBLISHED) == {trusted.id}
    run_worker(utcnow() + timedelta(hours=2))
    release = factories.events(embargoed.id)[-1]
    assert release.audience == Audience.NO_EMBARGO_ACCESS
    assert set(
        db.session.scalars(select(Delivery.partner_id).where(Delivery.event_id == release.id))
    ) == {everyone.id, sport.id}


def test_nothing_is_queued_until_the_worker_fans_the_event_out(session, reporter, editor):
    partner, _ = factories.partner(webhook_url=HOOK)
    article = factories.published(factories.article(reporter), editor)
    [event] = factories.events(article.id)

    assert _queued() == []
    outcome = fan_out_next_event(utcnow(), set())
    assert (outcome.runner, outcome.job_id, outcome.result) == ("fan-out", event.id, "done")
    assert _queued() == [(event.id, partner.id)]
    assert db.session.get(FanOutCursor, 1).event_id == event.id
    assert fan_out_next_event(utcnow(), set()) is None


def test_a_partner_created_after_an_event_is_not_sent_it(session, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    late, _ = factories.partner(webhook_url=HOOK)
    later = factories.published(factories.article(reporter, headline="Later"), editor)

    fan_out()

    [event] = factories.events(later.id)
    assert _queued() == [(event.id, late.id)]
    assert factories.events(article.id)[0].id < event.id


@pytest.mark.live
def test_two_workers_fan_out_every_event_exactly_once(live_db):
    app = live_db
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    partners = [factories.partner(webhook_url=HOOK)[0].id for _ in range(2)]
    articles = [
        factories.published(factories.article(reporter, headline=f"Story {n}"), editor).id
        for n in range(4)
    ]
    db.session.remove()

    def work():
        tried: set[int] = set()
        while True:
            with writing():  # as the worker runs every job
                outcome = fan_out_next_event(utcnow(), tried)
            if outcome is None:
                break
            tried.add(outcome.job_id)
            db.session.commit()
        db.session.remove()

    race(app, work)
    events = [event.id for article_id in articles for event in factories.events(article_id)]
    assert sorted(_queued()) == sorted((e, p) for e in events for p in partners)
    assert db.session.get(FanOutCursor, 1).event_id == max(events)


def test_an_embargoed_event_goes_first_to_embargo_partners_then_its_release_to_the_rest(
    session, reporter, editor
):
    everyone, _ = factories.partner(webhook_url=HOOK)
    trusted, _ = factories.partner(webhook_url=HOOK, embargo_access=True)
    lifted = utcnow() + timedelta(hours=1)
    article = factories.published(factories.article(reporter), editor, embargo_until=lifted)

    fan_out()
    [embargoed] = factories.events(article.id)
    assert _queued() == [(embargoed.id, trusted.id)]

    run_worker(lifted)
    [_, release] = factories.events(article.id)
    assert (release.kind, release.audience) == (EventKind.PUBLISHED, Audience.NO_EMBARGO_ACCESS)
    assert (release.id, everyone.id) in _queued()
    assert (release.id, trusted.id) not in _queued()
