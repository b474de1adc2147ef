"""Every error is RFC 9457 problem details, and bad input changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from cms.articles.models import Article, Revision
from cms.core.extensions import db
from tests import factories

PROBLEM_KEYS = {"type", "title", "status", "instance", "request_id"}


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Article)),
        db.session.scalar(select(func.count()).select_from(Revision)),
    )


def test_unknown_route_is_404(client):
    _assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_405_with_allow(client, reporter):
    response = client.put("/api/v1/articles", headers=factories.auth(reporter), json={})

    _assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize(
    "path", ["/api/v1/articles/99999999999999999999", "/api/v1/articles/0", "/api/v1/articles/-1"]
)
def test_out_of_range_ids_are_404_not_overflow(client, reporter, path):
    _assert_problem(client.get(path, headers=factories.auth(reporter)), 404)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"headline": ""}, "headline"),
        ({"headline": "x" * 301}, "headline"),
        ({"headline": 42}, "headline"),
        ({"headline": "ok", "bylines": "Jane"}, "bylines"),
        ({"headline": "ok", "bylines": [{"role": "reporter"}]}, "bylines"),
        ({"headline": "ok", "dateline": {"country": "France"}}, "dateline"),
        ({"headline": "ok", "dateline": {"city": "Paris", "date": "yesterday"}}, "dateline"),
        ({"headline": "ok", "slug": "Not A Slug"}, "slug"),
        ({"headline": "ok", "language": "english!"}, "language"),
        ({"headline": "ok", "keywords": ["x" * 101]}, "keywords"),
        ({"headline": "ok", "owner": "me"}, "owner"),
        ({"headline": "nul\u0000byte"}, "headline"),
        ({"headline": "line\nbreak"}, "headline"),
        ({"headline": "ok", "body": "lone \ud800 surrogate"}, "body"),
        ({"deck": "no headline"}, "headline"),
    ],
)
def test_invalid_article_is_422_per_field_and_stores_nothing(client, reporter, payload, field):
    before = _counts()
    response = client.post("/api/v1/articles", json=payload, headers=factories.auth(reporter))

    body = _assert_problem(response, 422)
    assert field in body["errors"]["json"]
    assert _counts() == before


def test_malformed_json_is_400(client, reporter):
    response = client.post(
        "/api/v1/articles",
        data='{"headline": ',
        content_type="application/json",
        headers=factories.auth(reporter),
    )

    _assert_problem(response, 400)
    assert _counts() == (0, 0)


def test_json_that_is_not_an_object_is_422(client, reporter):
    response = client.post("/api/v1/articles", json=["headline"], headers=factories.auth(reporter))

    _assert_problem(response, 422)


def test_non_json_body_is_415(client, reporter):
    response = client.post(
        "/api/v1/articles",
        data="headline=x",
        content_type="application/x-www-form-urlencoded",
        headers=factories.auth(reporter),
    )

    _assert_problem(response, 415)
    assert _counts() == (0, 0)


def test_oversize_body_is_413(app, client, reporter):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/v1/articles",
        json={"headline": "Big", "body": "x" * (limit + 1)},
        headers=factories.auth(reporter),
    )

    _assert_problem(response, 413)
    assert _counts() == (0, 0)


def _streamed(client, path: str, body: bytes, headers: dict[str, str]):
    """POST ``body`` in chunks without ``Content-Length``, as a WSGI server hands it over."""
    return client.post(
        path,
        input_stream=io.BufferedReader(io.BytesIO(body), buffer_size=8192),
        content_type="application/json",
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_oversize_streamed_body_is_413_not_400(app, client, reporter):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"headline": "Big", "body": "x" * limit}).encode()

    response = _streamed(client, "/api/v1/articles", body, factories.auth(reporter))

    detail = _assert_problem(response, 413)["detail"]
    assert str(limit) in detail
    assert _counts() == (0, 0)


def test_a_streamed_body_within_the_limit_is_read_whole(app, client, reporter):
    story = {**factories.STORY, "body": "y" * (app.config["MAX_CONTENT_LENGTH"] // 2)}

    response = _streamed(
        client, "/api/v1/articles", json.dumps(story).encode(), factories.auth(reporter)
    )

    assert response.status_code == 201, response.json
    assert response.json["body"] == story["body"]


def test_invalid_edit_leaves_the_article_alone(client, reporter):
    article = factories.article(reporter)
    response = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "", "deck": "fine"},
        headers={**factories.auth(reporter), "If-Match": article.etag},
    )

    _assert_problem(response, 422)
    assert _counts() == (1, 1)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=1000", "limit=abc", "cursor=abc", "cursor=" + "A" * 600]
)
def test_bad_pagination_is_422(client, reporter, query):
    _assert_problem(client.get(f"/api/v1/articles?{query}", headers=factories.auth(reporter)), 422)


def test_the_last_page_says_so(client, reporter):
    factories.article(reporter)
    response = client.get("/api/v1/articles?limit=1", headers=factories.auth(reporter))

    assert response.status_code == 200
    assert len(response.json["items"]) == 1
    assert response.json["next_cursor"] is None


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/api/v1/auth/tokens", {"email": "\u0000", "password": "x"}),
        ("post", "/api/v1/auth/tokens", {"email": "a@b.c", "password": "\ud800"}),
        ("get", "/api/v1/articles/1/diff?from=head%0A", None),
        ("get", "/api/v1/articles?section=%00", None),
    ],
)
def test_text_no_database_can_store_is_refused_not_a_500(client, reporter, method, path, payload):
    factories.article(reporter)
    response = getattr(client, method)(path, json=payload, headers=factories.auth(reporter))

    _assert_problem(response, 422)
