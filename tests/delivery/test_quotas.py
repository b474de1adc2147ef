"""Partners' quotas: a rate limit per partner, RateLimit-* on every answer, 429 over it."""

from __future__ import annotations

import time

import pytest
from click.testing import Result

from cms.core.limiter import quotas
from tests import factories
from tests.auth.test_throttling import REDIS_URL, redis_prefix  # noqa: F401 - a fixture
from tests.conftest import make_test_app
from tests.servers import free_port

ARTICLE = "/content/v1/articles/{}"
CHANGES = "/content/v1/changes"


@pytest.fixture(autouse=True)
def fresh_counts(app):
    """Partner ids repeat from test to test (each is rolled back): start every count at 0."""
    with app.app_context():
        quotas().reset()


@pytest.fixture
def story(reporter, editor):
    return factories.published(factories.article(reporter), editor)


def _quota(response) -> tuple[int, int, int]:
    headers = response.headers
    reset = int(headers["RateLimit-Reset"])
    assert 0 < reset <= 60
    assert headers["RateLimit-Policy"] == f"{headers['RateLimit-Limit']};w=60"
    return int(headers["RateLimit-Limit"]), int(headers["RateLimit-Remaining"]), reset


def test_every_answer_to_a_partner_says_where_its_quota_stands(client, story):
    _partner, key = factories.partner(rate_limit="5/minute")
    auth = factories.partner_auth(key)

    ok = client.get(ARTICLE.format(story.id), headers=auth)
    revalidated = client.get(
        ARTICLE.format(story.id), headers={**auth, "If-None-Match": ok.headers["ETag"]}
    )
    missing = client.get(ARTICLE.format(10**6), headers=auth)
    invalid = client.get(CHANGES, query_string={"after": "nonsense"}, headers=auth)

    assert [r.status_code for r in (ok, revalidated, missing, invalid)] == [200, 304, 404, 422]
    assert [_quota(r)[:2] for r in (ok, revalidated, missing, invalid)] == [
        (5, 4),
        (5, 3),
        (5, 2),
        (5, 1),
    ]


def test_over_its_limit_a_partner_gets_429_with_retry_after(client, story):
    _partner, key = factories.partner(rate_limit="3/minute")
    auth = factories.partner_auth(key)

    statuses = [client.get(ARTICLE.format(story.id), headers=auth).status_code for _ in range(3)]
    refused = client.get(ARTICLE.format(story.id), headers=auth)

    assert statuses == [200] * 3
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["type"].endswith(":too-many-requests")
    assert "3/minute" in refused.json["detail"]
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= 60
    assert _quota(refused) == (3, 0, retry_after)


def test_partners_are_counted_apart_and_without_a_key_nothing_is_counted(client, story):
    _busy, busy_key = factories.partner(rate_limit="1/minute")
    _other, other_key = factories.partner(rate_limit="1/minute")

    first = client.get(ARTICLE.format(story.id), headers=factories.partner_auth(busy_key))
    second = client.get(ARTICLE.format(story.id), headers=factories.partner_auth(busy_key))
    other = client.get(ARTICLE.format(story.id), headers=factories.partner_auth(other_key))
    anonymous = client.get(ARTICLE.format(story.id))

    assert [first.status_code, second.status_code, other.status_code] == [200, 429, 200]
    assert anonymous.status_code == 401
    assert "RateLimit-Limit" not in anonymous.headers


def test_the_default_limit_applies_to_partners_without_their_own(database_url, session, story):
    app = make_test_app(database_url, CMS_PARTNER_RATE_LIMIT="2 per minute")
    _partner, key = factories.partner()
    client = app.test_client()

    answers = [
        client.get(CHANGES, headers=factories.partner_auth(key)).status_code for _ in range(3)
    ]

    assert answers == [200, 200, 429]


def test_an_admin_sets_and_clears_a_partners_limit(client, admin, story):
    partner, key = factories.partner()
    url = f"/api/v1/partners/{partner.id}"

    own = client.patch(url, json={"rate_limit": "7 per minute"}, headers=factories.auth(admin))
    limited = client.get(CHANGES, headers=factories.partner_auth(key))
    refused = client.patch(url, json={"rate_limit": "lots"}, headers=factories.auth(admin))
    cleared = client.patch(url, json={"rate_limit": None}, headers=factories.auth(admin))
    default = client.get(CHANGES, headers=factories.partner_auth(key))

    assert own.status_code == 200
    assert own.json["rate_limit"] == "7 per minute"
    assert _quota(limited)[0] == 7
    assert refused.status_code == 422
    assert "rate_limit" in refused.json["errors"]["json"]
    assert cleared.json["rate_limit"] is None
    assert _quota(default)[0] == 100000


def test_the_cli_sets_a_partners_limit(app, client, story):
    partner, key = factories.partner(name="Harbour Gazette")
    runner = app.test_cli_runner()

    result: Result = runner.invoke(
        args=["cms", "set-partner-rate-limit", "Harbour Gazette", "4/minute"]
    )
    bad = runner.invoke(args=["cms", "set-partner-rate-limit", "Harbour Gazette", "often"])

    assert result.exit_code == 0, result.output
    assert "rate limit 4/minute" in result.output
    assert bad.exit_code == 1
    assert "not a rate limit" in bad.output
    assert _quota(client.get(CHANGES, headers=factories.partner_auth(key)))[0] == 4
    back = runner.invoke(args=["cms", "set-partner-rate-limit", str(partner.id), "default"])
    assert "rate limit the default" in back.output


def test_processes_sharing_redis_share_a_partners_quota(
    database_url,
    session,
    story,
    redis_prefix,  # noqa: F811 - the fixture
):
    one, other = (
        make_test_app(
            database_url, CMS_RATELIMIT_STORAGE_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix
        )
        for _ in range(2)
    )
    _partner, key = factories.partner(rate_limit="3/minute")
    auth = factories.partner_auth(key)

    statuses = [
        app.test_client().get(CHANGES, headers=auth).status_code
        for app in (one, other, one, other)
    ]

    assert statuses == [200, 200, 200, 429]


def test_a_partners_quota_is_still_counted_in_memory_when_redis_is_down(
    database_url, session, story
):
    app = make_test_app(
        database_url, CMS_RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{free_port()}/0"
    )
    _partner, key = factories.partner(rate_limit="2/minute")
    client = app.test_client()

    statuses = [
        client.get(CHANGES, headers=factories.partner_auth(key)).status_code for _ in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_counting_a_request_costs_microseconds_in_memory(app, session):
    """Measured, not asserted tightly: the in-memory quota is a small part of a request."""
    with app.test_request_context():
        store = quotas()
        started = time.perf_counter()
        for _ in range(2000):
            store.hit("partner/bench", "600/minute")
        per_hit = (time.perf_counter() - started) / 2000

    print(f"quota hit: {per_hit * 1e6:.1f} µs")
    assert per_hit < 0.01
