"""Partner usage: fetches counted in memory, flushed to the table, reported per day and story."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cms.core.extensions import db
from cms.core.types import utcnow
from cms.delivery import usage
from cms.delivery.models import PartnerUsage
from tests import factories
from tests.delivery.support import run_until_idle


@pytest.fixture(autouse=True)
def no_leftover_counts(app):
    """Counts are per app and process: start each test with none pending."""
    usage.counter(app).take()


def _report(client, admin, partner_id, first=None, last=None):
    today = utcnow().date().isoformat()
    return client.get(
        f"/api/v1/partners/{partner_id}/usage",
        query_string={"from": first or today, "to": last or today},
        headers=factories.auth(admin),
    )


def _flush():
    usage.flush()
    db.session.commit()


def test_fetches_are_counted_per_story_and_channel_without_a_write_per_request(
    app, client, admin, reporter, editor
):
    one = factories.published(factories.article(reporter, headline="One"), editor)
    two = factories.published(factories.article(reporter, headline="Two"), editor)
    partner, key = factories.partner()
    auth = factories.partner_auth(key)

    first = client.get(f"/content/v1/articles/{one.id}", headers=auth)
    client.get(
        f"/content/v1/articles/{one.id}", headers={**auth, "If-None-Match": first.headers["ETag"]}
    )
    client.get(f"/content/v1/articles/{one.id}?format=ninjs", headers=auth)
    client.get("/content/v1/feeds/atom", headers=auth)
    client.get("/content/v1/articles", headers=auth)
    rows_before_flush = db.session.scalar(select(func.count()).select_from(PartnerUsage))
    pending = usage.counter(app).pending()
    _flush()
    client.get(f"/content/v1/articles/{two.id}", headers=auth)
    _flush()

    report = _report(client, admin, partner.id)

    assert rows_before_flush == 0
    assert pending == 2 + 1 + 2 + 2
    assert report.status_code == 200
    today = utcnow().date().isoformat()
    assert report.json["from"] == report.json["to"] == today
    by_story = {item["article_id"]: item for item in report.json["items"]}
    assert by_story[one.id]["day"] == today
    assert by_story[one.id]["fetches"] == {"api": 3, "ninjs": 1, "feed": 1}
    assert by_story[two.id]["fetches"] == {"api": 2, "feed": 1}


def test_the_report_lists_the_webhooks_each_story_got(client, admin, receiver, reporter, editor):
    partner, _key = factories.partner(webhook_url=receiver.url)
    receiver.secret = partner.webhook_secret
    story = factories.published(factories.article(reporter), editor)
    run_until_idle()

    report = _report(client, admin, partner.id)

    [item] = report.json["items"]
    assert item["article_id"] == story.id
    assert item["fetches"] == {}
    [webhook] = item["webhooks"]
    assert webhook["kind"] == "published"
    assert webhook["version"] == 1
    assert webhook["event_id"] == receiver.requests[0].event_id


def test_other_partners_and_other_days_are_not_in_the_report(client, admin, reporter, editor):
    story = factories.published(factories.article(reporter), editor)
    partner, _key = factories.partner()
    _other, other_key = factories.partner()
    client.get(f"/content/v1/articles/{story.id}", headers=factories.partner_auth(other_key))
    _flush()

    mine = _report(client, admin, partner.id)
    long_ago = _report(client, admin, _other.id, "2020-01-01", "2020-12-31")

    assert mine.json["items"] == []
    assert long_ago.json["items"] == []


@pytest.mark.parametrize(
    "period",
    [
        {"from": "2026-11-30", "to": "2026-11-01"},
        {"from": "2024-01-01", "to": "2026-01-01"},
        {"from": "2026-11-31", "to": "2026-12-01"},
        {"from": "yesterday", "to": "2026-12-01"},
        {"to": "2026-12-01"},
    ],
)
def test_a_bad_period_is_422(client, admin, period):
    partner, _key = factories.partner()

    response = client.get(
        f"/api/v1/partners/{partner.id}/usage", query_string=period, headers=factories.auth(admin)
    )

    assert response.status_code == 422


def test_only_admins_see_usage(client, editor):
    partner, _key = factories.partner()

    response = client.get(
        f"/api/v1/partners/{partner.id}/usage?from=2026-11-01&to=2026-11-30",
        headers=factories.auth(editor),
    )

    assert response.status_code == 403


def test_counts_of_a_failed_flush_are_kept_for_the_next(app, client, admin, reporter, editor):
    story = factories.published(factories.article(reporter), editor)
    partner, key = factories.partner()
    client.get(f"/content/v1/articles/{story.id}", headers=factories.partner_auth(key))
    counts = usage.counter(app)
    taken = counts.take()
    counts.put_back(taken)
    counts.put_back(taken)
    _flush()

    [item] = _report(client, admin, partner.id).json["items"]

    assert item["fetches"] == {"api": 2}
    assert counts.pending() == 0


def test_counting_a_fetch_costs_microseconds(app):
    """Measured, not asserted tightly: counting is a lock and an addition."""
    import time

    counts = usage.UsageCounter()
    started = time.perf_counter()
    for n in range(10000):
        counts.count(1, (n % 50,), usage.UsageChannel.API)
    per_count = (time.perf_counter() - started) / 10000

    print(f"usage count: {per_count * 1e6:.1f} µs")
    assert counts.pending() == 10000
    assert per_count < 0.001
