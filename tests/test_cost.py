"""Bounded cost: every shape of body or copy at the size limit is answered, never with a 5xx.

The bound here is generous (the machine may be loaded); ``make bench`` prints
the real figures (tests/bench/bench_shapes.py).
"""

from __future__ import annotations

import time

import pytest

from cms.articles.rendering import MARKUP_MAX, markup_weight
from tests import factories
from tests.bench.bench_shapes import ingest, post_json
from tests.shapes import SHAPES, article_body, prose, wire_copy

BOUND = 20.0


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_at_the_limit_is_stored_or_refused_in_bounded_time(app, client, editor, shape):
    headers = factories.auth(editor)
    body = article_body(shape, app.config["MAX_CONTENT_LENGTH"])

    started = time.perf_counter()
    stored = post_json(client, "/api/v1/articles", {"headline": shape, "body": body}, headers)
    stored_in = time.perf_counter() - started
    started = time.perf_counter()
    ingested = ingest(client, wire_copy(shape, app.config["CMS_INGEST_MAX_BYTES"]), headers)
    ingested_in = time.perf_counter() - started

    expected = 201 if markup_weight(body) <= MARKUP_MAX else 422
    assert stored.status_code == expected, stored.json
    assert ingested.status_code in (201, 422), ingested.json
    assert stored_in < BOUND
    assert ingested_in < BOUND
    if expected == 422:
        assert "too much Markdown structure" in stored.json["detail"]


def test_a_full_size_body_rewritten_whole_is_stored_in_bounded_time(app, client, editor):
    headers = factories.auth(editor)
    limit = app.config["MAX_CONTENT_LENGTH"] - 1_000
    created = post_json(
        client, "/api/v1/articles", {"headline": "Long", "body": prose(limit)}, headers
    )
    assert created.status_code == 201

    started = time.perf_counter()
    edited = post_json(
        client,
        f"/api/v1/articles/{created.json['id']}",
        {"body": prose(limit, seed=2)},
        {**headers, "If-Match": created.headers["ETag"]},
        method="PATCH",
    )

    assert edited.status_code == 200
    assert time.perf_counter() - started < BOUND


def test_copy_with_too_much_structure_is_refused_before_parsing(client, editor):
    response = ingest(client, b"Headline\n\n" + b"a\n" * 30_000, factories.auth(editor))

    assert response.status_code == 422
    assert "copy has too much Markdown structure" in response.json["detail"]
