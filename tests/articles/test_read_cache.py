"""The editors' article read is served from renderings cached per article state.

Each process keeps the JSON it rendered for an article state, keyed by what one
narrow query reads from the database (the ETag, which every change moves): a new
revision, a publication or a kill is seen by the very next read, in this process
and in any other.
"""

from __future__ import annotations

import pytest

from cms.articles import operations as article_ops
from cms.core.extensions import db
from cms.core.sqlite import writing
from tests import factories
from tests.servers import call, gunicorn


def _get(client, article_id, headers, **extra):
    return client.get(f"/api/v1/articles/{article_id}", headers={**headers, **extra})


def test_every_change_is_seen_by_the_next_read(client, reporter, editor):
    article = factories.article(reporter)
    headers = factories.auth(reporter)
    first = _get(client, article.id, headers)
    again = _get(client, article.id, headers)
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]

    edited = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"deck": "A new deck"},
        headers={**headers, "If-Match": first.headers["ETag"]},
    )
    assert edited.status_code == 200
    read = _get(client, article.id, headers)
    assert (read.json["revision"], read.json["deck"]) == (2, "A new deck")
    assert read.headers["ETag"] == edited.headers["ETag"] != first.headers["ETag"]

    factories.published(article_ops.get_article(article.id), editor)
    read = _get(client, article.id, headers)
    assert (read.json["status"], read.json["live"]["number"]) == ("published", 1)

    factories.withdrawn(article_ops.get_article(article.id), editor)
    read = _get(client, article.id, headers)
    assert read.json["status"] == "withdrawn"
    assert read.json["withdrawal_reason"] == "Legal advice"


def test_a_stale_copy_is_not_revalidated_and_a_current_one_is(client, reporter):
    article = factories.article(reporter)
    headers = factories.auth(reporter)
    old = _get(client, article.id, headers).headers["ETag"]
    client.patch(
        f"/api/v1/articles/{article.id}",
        json={"deck": "Changed"},
        headers={**headers, "If-Match": old},
    )
    stale = _get(client, article.id, headers, **{"If-None-Match": old})
    assert (stale.status_code, stale.json["deck"]) == (200, "Changed")
    current = _get(client, article.id, headers, **{"If-None-Match": stale.headers["ETag"]})
    assert (current.status_code, current.data) == (304, b"")
    assert current.headers["ETag"] == stale.headers["ETag"]


def test_an_unknown_article_is_404_before_anything_is_cached(client, reporter):
    response = _get(client, 999_999, factories.auth(reporter))
    assert response.status_code == 404
    assert response.json["detail"] == "There is no article 999999."


@pytest.mark.live
def test_changes_made_elsewhere_reach_every_worker_at_once(live_db, database_url):
    author = factories.user(role="reporter")
    editor = factories.user(role="editor")
    article = factories.article(author)
    auth = factories.auth(author)
    with gunicorn(env={"CMS_DATABASE_URL": database_url}) as server:
        url = f"{server.base_url}/api/v1/articles/{article.id}"

        def reads() -> list[dict]:
            # Enough reads that both workers answer (and cache) some of them.
            return [call("GET", url, headers=auth)[2] for _ in range(12)]

        first = reads()
        assert {body["revision"] for body in first} == {1}, first[0]
        status, _headers, _ = call(
            "PATCH", url, {"deck": "Second take"}, {**auth, "If-Match": article.etag}
        )
        assert status == 200
        assert {(b["revision"], b["deck"]) for b in reads()} == {(2, "Second take")}

        # Written by this process, not through the server: no worker can have heard of it.
        db.session.rollback()  # a fresh transaction, after the server's commit
        with writing():  # as a CLI command or a job writes
            factories.published(article_ops.get_article(article.id), editor)
        assert {(b["status"], b["live"]["number"]) for b in reads()} == {("published", 1)}
        with writing():
            factories.withdrawn(article_ops.get_article(article.id), editor)
        assert {b["status"] for b in reads()} == {"withdrawn"}
