"""JSON request bodies are bounded in nesting and number size before any view runs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from cms.articles.models import Article
from cms.core.extensions import db
from cms.core.http import MAX_JSON_DEPTH, MAX_JSON_NUMBER_LENGTH
from tests import factories


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


#: Bodies no view should ever see: each must be a 400 problem, anonymously too.
REFUSED = {
    "nested-past-the-bound": '{"email": ' + _nested(MAX_JSON_DEPTH) + ', "password": "x"}',
    "nested-past-the-recursion-limit": _nested(100_000),
    "objects-nested-deep": '{"a":' * 5000 + "1" + "}" * 5000,
    "integer-past-pythons-digit-limit": '{"email": ' + "9" * 5000 + ', "password": "x"}',
    "integer-past-the-bound": '{"page": ' + "9" * (MAX_JSON_NUMBER_LENGTH + 1) + "}",
    "long-fraction": '{"page": 0.' + "1" * 100 + "}",
    "huge-exponent": '{"page": 1e999}',
    "negative-huge-exponent": '{"page": -1e999}',
    "nan": '{"email": NaN, "password": "x"}',
    "infinity": '{"email": -Infinity, "password": "x"}',
    "truncated": '{"email": ',
    "not-utf-8": b'{"email": "\xff\xfe", "password": "x"}',
}


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.parametrize("path", ["/api/v1/auth/tokens", "/api/v1/articles"])
def test_an_unbounded_or_broken_body_is_400_before_anything_else(client, path, body):
    response = client.post(path, data=body, content_type="application/json")

    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == "tag:newsroom-cms,2026:malformed-json"
    assert response.json["detail"]


def test_a_refused_body_stores_nothing_for_an_authenticated_writer(client, reporter):
    response = client.post(
        "/api/v1/articles",
        data='{"headline": "Deep", "keywords": ' + _nested(MAX_JSON_DEPTH + 5) + "}",
        content_type="application/json",
        headers=factories.auth(reporter),
    )

    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0


def test_nesting_up_to_the_bound_reaches_the_schema(client, reporter):
    keywords = json.loads(_nested(MAX_JSON_DEPTH - 1))
    response = client.post(
        "/api/v1/articles",
        json={"headline": "Deep", "keywords": keywords},
        headers=factories.auth(reporter),
    )

    assert response.status_code == 422
    assert "keywords" in response.json["errors"]["json"]


@pytest.mark.parametrize(
    "page", ["9" * MAX_JSON_NUMBER_LENGTH, "1e300", "-0.5", "1" + "0" * 20, "2.5e-300"]
)
def test_numbers_within_the_bound_reach_the_schema(client, reporter, page):
    response = client.post(
        "/api/v1/articles",
        data='{"headline": "Numbers", "slug": ' + page + "}",
        content_type="application/json",
        headers=factories.auth(reporter),
    )

    assert response.status_code == 422
    assert "slug" in response.json["errors"]["json"]


def test_a_json_body_on_a_read_is_checked_too(client, reporter):
    response = client.get(
        "/api/v1/articles",
        data=_nested(10_000),
        content_type="application/json",
        headers=factories.auth(reporter),
    )

    assert response.status_code == 400
