"""Request ids, logging, CORS, OpenAPI, the health check and conditional requests."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient

from cms.core.extensions import db
from cms.core.http import strong_match, weak_match
from tests import factories
from tests.conftest import make_test_app
from tests.databases import recorded_statements


def test_every_response_carries_a_request_id_that_is_logged(client):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("cms.request")
    logger.addHandler(handler)
    try:
        response = client.get("/healthz")
    finally:
        logger.removeHandler(handler)

    request_id = response.headers["X-Request-Id"]
    assert len(request_id) == 32
    line = next(record for record in records if "/healthz" in record.getMessage())
    assert line.request_id == request_id
    assert line.getMessage().startswith("GET /healthz 200")


def test_a_sane_incoming_request_id_is_kept(client):
    kept = client.get("/healthz", headers={"X-Request-Id": "proxy-id-1234"})
    replaced = client.get("/healthz", headers={"X-Request-Id": "bad id\twith junk"})

    assert kept.headers["X-Request-Id"] == "proxy-id-1234"
    assert replaced.headers["X-Request-Id"] != "bad id\twith junk"


def test_healthz_reports_the_database(client, dialect):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": dialect}


@contextmanager
def probes_of(url: str, interval: float) -> Iterator[tuple[FlaskClient, list[str]]]:
    """A client of a new app on ``url`` probing every ``interval`` s; the statements it runs."""
    app = make_test_app(url, CMS_HEALTH_PROBE_SECONDS=interval)
    with app.app_context():
        engine = db.engine
    try:
        with recorded_statements(engine) as statements:
            yield app.test_client(), statements
    finally:
        engine.dispose()


def test_healthz_probes_the_database_at_most_once_per_interval(database_url):
    with probes_of(database_url, 3600) as (client, statements):
        answers = [client.get("/healthz").status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert statements == ["SELECT 1"]


def test_healthz_with_no_interval_probes_on_every_call(database_url):
    with probes_of(database_url, 0) as (client, statements):
        answers = [client.get("/healthz").status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert statements == ["SELECT 1"] * 3


def test_a_failed_probe_is_reported_until_the_next_one(tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'no such folder' / 'cms.db'}"
    with probes_of(unreachable, 3600) as (client, _statements):
        first, second = client.get("/healthz"), client.get("/healthz")

    assert first.status_code == second.status_code == 503
    assert second.json["type"].endswith(":database-unavailable")
    assert second.headers["Retry-After"]


def test_openapi_document_describes_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").json

    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/v1/auth/tokens",
        "/api/v1/auth/tokens/current",
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/articles/{article_id}/revisions",
        "/api/v1/articles/{article_id}/revisions/{number}",
        "/api/v1/articles/{article_id}/revisions/{number}/restore",
    ):
        assert path in paths, path
    article_id = paths["/api/v1/articles/{article_id}"]["parameters"][0]
    assert article_id["schema"]["maximum"] == 2**31 - 1
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_docs_page_is_served(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.data


def test_cors_is_off_by_default(client):
    response = client.get("/healthz", headers={"Origin": "https://frontend.example"})

    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.fixture
def cors_app(database_url):
    return make_test_app(database_url, CMS_CORS_ORIGINS=["https://frontend.example"])


def test_cors_allows_configured_origins_and_exposes_etag(cors_app):
    client = cors_app.test_client()
    preflight = client.options(
        "/api/v1/articles/1",
        headers={
            "Origin": "https://frontend.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "If-Match, Authorization",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://frontend.example"
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    assert "if-match" in preflight.headers["Access-Control-Allow-Headers"].lower()

    actual = client.get("/api/v1/articles", headers={"Origin": "https://frontend.example"})
    assert actual.headers["Access-Control-Allow-Origin"] == "https://frontend.example"
    assert "ETag" in actual.headers["Access-Control-Expose-Headers"]

    stranger = client.get("/api/v1/articles", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


# --- Conditional requests ---------------------------------------------------------------------

MALFORMED = ["garbage", "2.2", '"2.2', 'W/"2.2', "W/", '"2.2" "3.3"', ",", '"2.\x7f2"', ""]


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"2.2"', True),
        ('W/"2.2"', True),
        ('"1.1", W/"2.2"', True),
        ('"1.1" ,\t"2.2"', True),
        ("*", True),
        ('"1.1"', False),
        ('W/"1.1", "3.3"', False),
        *((header, False) for header in MALFORMED),
    ],
)
def test_if_none_match_compares_weakly(header, matches):
    assert weak_match(header, '"2.2"') is matches


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"2.2"', True),
        (' "2.2" ', True),
        ('W/"2.2"', False),
        ('"1.1"', False),
        ("*", False),
        *((header, False) for header in MALFORMED),
    ],
)
def test_if_match_compares_strongly(header, matches):
    assert strong_match(header, '"2.2"') is matches


def test_a_weak_current_tag_never_matches_strongly():
    assert not strong_match('W/"2.2"', 'W/"2.2"')
    assert weak_match('W/"2.2"', 'W/"2.2"')


@pytest.fixture
def published(session, reporter, editor):
    """A published story, the reporter's headers and a partner's."""
    article = factories.published(factories.article(reporter), editor)
    _partner, key = factories.partner(name="Conditional Gazette")
    return article, factories.auth(reporter), factories.partner_auth(key)


def test_a_weak_if_none_match_is_304_on_both_apis(client, published):
    article, staff_headers, partner_headers = published
    for path, headers in (
        (f"/api/v1/articles/{article.id}", staff_headers),
        (f"/content/v1/articles/{article.id}", partner_headers),
    ):
        etag = client.get(path, headers=headers).headers["ETag"]
        cached = client.get(path, headers={**headers, "If-None-Match": f"W/{etag}"})

        assert cached.status_code == 304, path
        assert cached.headers["ETag"] == etag
        assert cached.data == b""


@pytest.mark.parametrize("header", MALFORMED[:-1])
def test_a_malformed_if_none_match_is_answered_in_full(client, published, header):
    article, staff_headers, partner_headers = published
    for path, headers in (
        (f"/api/v1/articles/{article.id}", staff_headers),
        (f"/content/v1/articles/{article.id}", partner_headers),
        ("/content/v1/feeds/atom", partner_headers),
    ):
        response = client.get(path, headers={**headers, "If-None-Match": header})

        assert response.status_code == 200, path


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("patch", "", {"headline": "Cranes move again"}), ("post", "/submit", None)],
)
def test_a_weak_if_match_is_412_saying_why(client, published, method, suffix, body):
    article, staff_headers, _partner_headers = published
    current = article.etag

    response = getattr(client, method)(
        f"/api/v1/articles/{article.id}{suffix}",
        json=body,
        headers={**staff_headers, "If-Match": f"W/{current}"},
    )

    assert response.status_code == 412
    assert response.mimetype == "application/problem+json"
    assert response.json["current_etag"] == current
    assert response.json["current_revision"] == article.head_number
    assert "weak" in response.json["detail"]
    assert "cannot be used for a write" in response.json["detail"]
    assert current in response.json["detail"]
