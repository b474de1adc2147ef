"""Parallel writers with the same base: exactly one wins, on every database."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from cms.articles.models import Revision
from cms.core.extensions import db
from tests import factories

WRITERS = 8


@pytest.mark.live
def test_parallel_writers_with_the_same_if_match(live_db):
    author = factories.user(role="reporter")
    article = factories.article(author)
    headers = {**factories.auth(author), "If-Match": article.etag}
    barrier = threading.Barrier(WRITERS)
    statuses: list[int] = []

    def write(number: int) -> None:
        client = live_db.test_client()
        barrier.wait()
        response = client.patch(
            f"/api/v1/articles/{article.id}", json={"headline": f"Take {number}"}, headers=headers
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200] + [412] * (WRITERS - 1)
    db.session.rollback()  # end the read transaction begun before the writers ran
    numbers = db.session.scalars(
        select(Revision.number).where(Revision.article_id == article.id).order_by(Revision.number)
    ).all()
    assert numbers == [1, 2]


@pytest.mark.live
def test_parallel_creates_with_the_same_headline_get_distinct_slugs(live_db):
    author = factories.user(role="reporter")
    headers = factories.auth(author)
    barrier = threading.Barrier(4)
    responses = []

    def create() -> None:
        client = live_db.test_client()
        barrier.wait()
        responses.append(
            client.post("/api/v1/articles", json={"headline": "Same"}, headers=headers)
        )

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.status_code for r in responses] == [201] * 4
    slugs = sorted(r.json["slug"] for r in responses)
    assert slugs == ["same", "same-2", "same-3", "same-4"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Revision)) == 4
