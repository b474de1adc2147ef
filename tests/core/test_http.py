"""Request ids, logging, CORS, OpenAPI and the health check."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import make_test_app


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
