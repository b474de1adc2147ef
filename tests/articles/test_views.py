"""The articles API: create, read, edit, list, revisions and restore."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from cms.articles.models import Article, Body, Revision
from cms.core.extensions import db
from cms.core.pagination import encode_cursor
from cms.core.types import utcnow
from tests import factories
from tests.databases import recorded_statements
from tests.paging import walk


def _revision_count(article_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Revision).where(Revision.article_id == article_id)
    )


def test_create_returns_revision_one_with_location_and_etag(client, reporter):
    response = client.post(
        "/api/v1/articles", json=factories.STORY, headers=factories.auth(reporter)
    )

    assert response.status_code == 201
    body = response.json
    assert body["revision"] == 1
    assert body["status"] == "draft"
    assert response.headers["Location"] == f"/api/v1/articles/{body['id']}"
    assert response.headers["ETag"] == '"1.1"'
    assert body["slug"] == "harbour-cranes-idle-as-dockworkers-vote-on-contract"
    assert body["dateline"]["text"] == "ROTTERDAM, Netherlands (Newsroom Wire) —"
    assert body["byline_text"] == "By Rita Reporter, Newsroom Wire"
    assert (
        body["body_html"]
        == "<p>Cranes stood still on Monday.</p>\n<p>The vote closes on Friday.</p>\n"
    )
    assert body["first_published_at"] is None
    assert body["last_updated_at"] is None


def test_stamps_carry_an_offset_and_display_in_newsroom_time(client, reporter):
    body = client.post(
        "/api/v1/articles", json=factories.STORY, headers=factories.auth(reporter)
    ).json

    created = datetime.fromisoformat(body["created_at"])
    assert created.utcoffset() is not None
    assert body["created_at"].endswith("+00:00")
    assert body["display"]["timezone"] == "America/New_York"
    assert body["display"]["created_at"].endswith(("EST", "EDT"))


def test_raw_html_in_the_body_never_comes_back_live(client, reporter):
    story = {
        "headline": "Scripted",
        "body": "<script>alert(1)</script>\n\n[x](javascript:alert(1))",
    }
    body = client.post("/api/v1/articles", json=story, headers=factories.auth(reporter)).json

    assert "<script>" not in body["body_html"]
    assert "&lt;script&gt;" in body["body_html"]
    assert 'href="javascript' not in body["body_html"]
    assert body["body"] == story["body"]


def test_slug_is_generated_and_made_unique(client, reporter):
    headers = factories.auth(reporter)
    first = client.post("/api/v1/articles", json={"headline": "Zürich votes"}, headers=headers)
    second = client.post("/api/v1/articles", json={"headline": "Zürich votes!"}, headers=headers)

    assert first.json["slug"] == "zurich-votes"
    assert second.json["slug"] == "zurich-votes-2"


def test_explicit_slug_in_use_is_a_conflict(client, reporter):
    factories.article(reporter, slug="taken")
    response = client.post(
        "/api/v1/articles",
        json={"headline": "Other", "slug": "taken"},
        headers=factories.auth(reporter),
    )

    assert response.status_code == 409
    assert response.json["errors"]["json"]["slug"]
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1


def test_get_returns_head_with_etag_and_honours_if_none_match(client, reporter):
    article = factories.article(reporter)
    headers = factories.auth(reporter)

    response = client.get(f"/api/v1/articles/{article.id}", headers=headers)
    assert response.status_code == 200
    assert response.json["headline"] == factories.STORY["headline"]
    etag = response.headers["ETag"]

    cached = client.get(
        f"/api/v1/articles/{article.id}", headers={**headers, "If-None-Match": etag}
    )
    assert cached.status_code == 304
    assert cached.data == b""


def test_patch_makes_a_new_revision_and_etag(client, reporter, editor):
    article = factories.article(reporter)
    response = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "Cranes idle for a second day", "message": "New top"},
        headers={**factories.auth(editor), "If-Match": article.etag},
    )

    assert response.status_code == 200
    assert response.json["revision"] == 2
    assert response.json["headline"] == "Cranes idle for a second day"
    assert response.headers["ETag"] == '"2.2"'
    revision = db.session.scalar(
        select(Revision).where(Revision.article_id == article.id, Revision.number == 2)
    )
    assert revision.author_id == editor.id
    assert revision.message == "New top"
    assert revision.summary == "headline"


def test_a_revalidation_costs_the_token_and_the_state_and_loads_no_user(client, reporter):
    article = factories.article(reporter)
    headers = {**factories.auth(reporter), "If-None-Match": article.etag}

    with recorded_statements(db.engine) as statements:
        response = client.get(f"/api/v1/articles/{article.id}", headers=headers)

    assert response.status_code == 304
    token, state = [sql for sql in statements if "SAVEPOINT" not in sql]  # the tests' own
    assert "FROM api_tokens JOIN users" in token
    assert "users.name" not in token  # the role and the active flag only
    assert state.startswith("SELECT articles.head_number")


def test_an_edit_loads_its_author_with_the_token(client, reporter):
    article = factories.article(reporter)
    headers = {**factories.auth(reporter), "If-Match": article.etag}

    with recorded_statements(db.engine) as statements:
        response = client.patch(
            f"/api/v1/articles/{article.id}", json={"headline": "New"}, headers=headers
        )

    assert response.status_code == 200
    statements = [sql for sql in statements if "SAVEPOINT" not in sql]  # the tests' own
    assert not [sql for sql in statements[1:] if "FROM users" in sql]  # no second lookup
    assert "users.name" in statements[0]
    assert "api_tokens" in statements[0]


def test_an_edit_reads_back_nothing_it_wrote(client, reporter):
    article = factories.article(reporter)
    headers = {**factories.auth(reporter), "If-Match": article.etag}

    with recorded_statements(db.engine) as statements:
        response = client.patch(
            f"/api/v1/articles/{article.id}", json={"body": "A new body."}, headers=headers
        )

    assert response.status_code == 200
    assert response.json["body_html"] == "<p>A new body.</p>\n"
    assert [sql for sql in statements if sql.startswith("INSERT INTO bodies")]
    assert not [sql for sql in statements if "FROM bodies" in sql]
    assert not [sql for sql in statements if "search_labels" in sql]  # labels unchanged


def test_patch_that_changes_nothing_stores_nothing(client, reporter):
    article = factories.article(reporter)
    response = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": f"  {factories.STORY['headline']} ", "section": "business"},
        headers={**factories.auth(reporter), "If-Match": article.etag},
    )

    assert response.status_code == 200
    assert response.json["revision"] == 1
    assert response.headers["ETag"] == article.etag
    assert _revision_count(article.id) == 1


def test_metadata_edit_does_not_copy_the_body(client, reporter):
    article = factories.article(reporter, body="A long body. " * 500)
    client.patch(
        f"/api/v1/articles/{article.id}",
        json={"dateline": {"city": "Antwerp", "country": "Belgium"}},
        headers={**factories.auth(reporter), "If-Match": article.etag},
    )

    assert _revision_count(article.id) == 2
    hashes = db.session.scalars(
        select(Revision.body_hash).where(Revision.article_id == article.id)
    )
    assert len(set(hashes)) == 1
    assert db.session.scalar(select(func.count()).select_from(Body)) == 1


def test_an_edit_that_keeps_the_body_neither_renders_nor_stores_it(client, reporter):
    article = factories.article(reporter)
    headers = {**factories.auth(reporter), "If-Match": article.etag}

    with recorded_statements(db.engine) as statements:
        response = client.patch(
            f"/api/v1/articles/{article.id}", json={"headline": "Kept body"}, headers=headers
        )

    assert response.status_code == 200
    assert response.json["revision"] == 2
    assert not [sql for sql in statements if "INTO bodies" in sql or "FROM bodies" in sql]


def test_a_body_another_story_stored_is_shared_as_stored(client, reporter):
    first = factories.article(reporter, body="The same *words* in two stories.")
    stored = Body.hash == first.head.body_hash
    db.session.execute(update(Body).where(stored).values(html="<p>As stored before.</p>\n"))
    second = factories.article(reporter, headline="Another story")

    response = client.patch(
        f"/api/v1/articles/{second.id}",
        json={"body": "The same *words* in two stories."},
        headers={**factories.auth(reporter), "If-Match": second.etag},
    )

    assert response.status_code == 200
    assert response.json["body_html"] == "<p>As stored before.</p>\n"
    assert db.session.scalar(select(func.count()).select_from(Body)) == 2  # and the other's
    assert first.head.body_hash == db.session.scalar(
        select(Revision.body_hash).where(Revision.article_id == second.id, Revision.number == 2)
    )


def test_write_without_if_match_is_428(client, reporter):
    article = factories.article(reporter)
    response = client.patch(
        f"/api/v1/articles/{article.id}", json={"headline": "X"}, headers=factories.auth(reporter)
    )

    assert response.status_code == 428
    assert response.mimetype == "application/problem+json"
    assert _revision_count(article.id) == 1


@pytest.mark.parametrize("if_match", ["*", '"1.1", "2.2"'])
def test_wildcard_or_list_if_match_is_428(client, reporter, if_match):
    article = factories.article(reporter)
    response = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "X"},
        headers={**factories.auth(reporter), "If-Match": if_match},
    )

    assert response.status_code == 428


@pytest.mark.parametrize("stale", ['"1.0"', '"9.9"', 'W/"1.1"', "garbage", '"\uff11.1"'])
def test_stale_or_malformed_if_match_is_412_naming_the_head(client, reporter, stale):
    article = factories.article(reporter)
    response = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "X"},
        headers={**factories.auth(reporter), "If-Match": stale},
    )

    assert response.status_code == 412
    assert response.json["current_revision"] == 1
    assert response.json["current_etag"] == '"1.1"'
    assert _revision_count(article.id) == 1


def test_second_writer_with_the_same_base_gets_412(client, reporter, editor):
    article = factories.article(reporter)
    base = article.etag
    first = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "First"},
        headers={**factories.auth(reporter), "If-Match": base},
    )
    second = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "Second"},
        headers={**factories.auth(editor), "If-Match": base},
    )

    assert first.status_code == 200
    assert second.status_code == 412
    assert second.json["current_revision"] == 2
    assert (
        client.get(f"/api/v1/articles/{article.id}", headers=factories.auth(reporter)).json[
            "headline"
        ]
        == "First"
    )


def test_slug_change_to_a_used_slug_is_a_conflict(client, reporter):
    factories.article(reporter, slug="one")
    other = factories.article(reporter, slug="two")
    response = client.patch(
        f"/api/v1/articles/{other.id}",
        json={"slug": "one"},
        headers={**factories.auth(reporter), "If-Match": other.etag},
    )

    assert response.status_code == 409
    assert _revision_count(other.id) == 1


def test_list_is_newest_update_first_paged_by_cursor_and_filterable(client, reporter):
    older = factories.article(reporter, headline="Older", section="world")
    newer = factories.article(reporter, headline="Newer", section="business")
    headers = factories.auth(reporter)
    client.patch(
        f"/api/v1/articles/{older.id}",
        json={"deck": "Touched last"},
        headers={**headers, "If-Match": older.etag},
    )

    listing = client.get("/api/v1/articles", headers=headers).json
    assert [item["id"] for item in listing["items"]] == [older.id, newer.id]
    assert listing["next_cursor"] is None
    assert "body" not in listing["items"][0]
    assert "highlights" not in listing["items"][0]

    first = client.get("/api/v1/articles?limit=1", headers=headers).json
    assert [item["id"] for item in first["items"]] == [older.id]
    second = client.get(f"/api/v1/articles?limit=1&cursor={first['next_cursor']}", headers=headers)
    assert [item["id"] for item in second.json["items"]] == [newer.id]
    assert second.json["next_cursor"] is None

    world = client.get("/api/v1/articles?section=world", headers=headers).json
    assert [item["id"] for item in world["items"]] == [older.id]
    drafts = client.get("/api/v1/articles?status=draft&facets=section", headers=headers).json
    assert len(drafts["items"]) == 2
    assert sorted(drafts["facets"]["section"], key=lambda f: f["value"]) == [
        {"value": "business", "count": 1},
        {"value": "world", "count": 1},
    ]
    published = client.get("/api/v1/articles?status=published", headers=headers).json
    assert published["items"] == []


@pytest.mark.parametrize(
    "query",
    [
        "?cursor=nonsense",
        "?limit=0",
        "?limit=101",
        "?sort=random",
        "?facets=headline",
        "?author=0",
        "?updated_after=2026-11-30T10:00:00",
        "?language=not%20a%20tag",
        "?q=" + "x" * 1001,
        "?q=nul%00byte",
    ],
)
def test_list_refuses_bad_arguments(client, reporter, query):
    response = client.get(f"/api/v1/articles{query}", headers=factories.auth(reporter))

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_a_cursor_of_one_order_is_refused_by_another(client, reporter):
    factories.article(reporter, headline="One")
    factories.article(reporter, headline="Two")
    headers = factories.auth(reporter)
    cursor = client.get("/api/v1/articles?limit=1", headers=headers).json["next_cursor"]

    response = client.get(f"/api/v1/articles?sort=published&cursor={cursor}", headers=headers)

    assert response.status_code == 422


def test_list_refuses_an_unknown_status(client, reporter):
    response = client.get("/api/v1/articles?status=bogus", headers=factories.auth(reporter))

    assert response.status_code == 422
    assert "status" in response.json["errors"]["query"]


def _edit(client, headers, article_id, etag, **changes):
    response = client.patch(
        f"/api/v1/articles/{article_id}", json=changes, headers={**headers, "If-Match": etag}
    )
    assert response.status_code == 200
    return response.headers["ETag"]


def test_revisions_are_listed_newest_first_and_readable_in_full(client, reporter):
    article = factories.article(reporter)
    headers = factories.auth(reporter)
    etag = _edit(client, headers, article.id, article.etag, headline="Second")
    _edit(client, headers, article.id, etag, body="Rewritten.", message="Rewrite")

    listing = client.get(f"/api/v1/articles/{article.id}/revisions", headers=headers).json
    assert [r["number"] for r in listing["items"]] == [3, 2, 1]
    assert listing["items"][0]["message"] == "Rewrite"
    assert listing["items"][0]["author"] == {"id": reporter.id, "name": reporter.name}
    assert listing["items"][0]["summary"]
    assert listing["items"][2]["summary"] == "Created"

    first = client.get(f"/api/v1/articles/{article.id}/revisions/1", headers=headers).json
    assert first["headline"] == factories.STORY["headline"]
    assert first["body"] == factories.STORY["body"]
    assert first["body_html"].startswith("<p>Cranes")

    missing = client.get(f"/api/v1/articles/{article.id}/revisions/4", headers=headers)
    assert missing.status_code == 404


def test_restore_makes_a_new_revision_equal_to_the_old_one(client, reporter, editor):
    article = factories.article(reporter)
    headers = factories.auth(editor)
    etag = _edit(client, headers, article.id, article.etag, headline="Wrong", body="Wrong body.")

    response = client.post(
        f"/api/v1/articles/{article.id}/revisions/1/restore",
        json={"message": "Back to the first take"},
        headers={**headers, "If-Match": etag},
    )

    assert response.status_code == 200
    assert response.json["revision"] == 3
    assert response.json["headline"] == factories.STORY["headline"]
    assert response.json["body"] == factories.STORY["body"]
    third = client.get(f"/api/v1/articles/{article.id}/revisions/3", headers=headers).json
    assert third["restored_from"] == 1
    assert third["message"] == "Back to the first take"
    assert (
        third["content_hash"]
        == (
            client.get(f"/api/v1/articles/{article.id}/revisions/1", headers=headers).json[
                "content_hash"
            ]
        )
    )
    assert _revision_count(article.id) == 3


def test_restore_needs_if_match_and_an_existing_revision(client, reporter):
    article = factories.article(reporter)
    headers = factories.auth(reporter)

    assert (
        client.post(
            f"/api/v1/articles/{article.id}/revisions/1/restore", headers=headers
        ).status_code
        == 428
    )
    missing = client.post(
        f"/api/v1/articles/{article.id}/revisions/7/restore",
        headers={**headers, "If-Match": article.etag},
    )
    assert missing.status_code == 404


def test_restoring_the_head_stores_nothing(client, reporter):
    article = factories.article(reporter)
    response = client.post(
        f"/api/v1/articles/{article.id}/revisions/1/restore",
        headers={**factories.auth(reporter), "If-Match": article.etag},
    )

    assert response.status_code == 200
    assert response.json["revision"] == 1
    assert _revision_count(article.id) == 1


def test_unknown_article_is_404_in_problem_shape(client, reporter):
    response = client.get("/api/v1/articles/4242", headers=factories.auth(reporter))

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404


def test_revisions_page_by_cursor_each_once_while_revisions_are_added(client, reporter):
    article = factories.article(reporter)
    headers = factories.auth(reporter)
    state = {"etag": article.etag, "n": 0}
    for _ in range(4):
        state["n"] += 1
        state["etag"] = _edit(
            client, headers, article.id, state["etag"], deck=f"Deck {state['n']}"
        )

    def add_revision():
        state["n"] += 1
        state["etag"] = _edit(
            client, headers, article.id, state["etag"], deck=f"Deck {state['n']}"
        )

    path = f"/api/v1/articles/{article.id}/revisions"
    listed = walk(client, path, headers, limit=2, between=add_revision, key="number")

    assert listed == [5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    "cursor",
    [
        "forged",
        "e30",
        encode_cursor("users", ["Ada", 1]),
        encode_cursor("revisions", [1, 2]),
        encode_cursor("revisions", ["3"]),
        encode_cursor("revisions", [2**40]),
        encode_cursor("revisions", [1.5]),
    ],
)
@pytest.mark.parametrize("contains", [None, "Cranes"])
def test_a_cursor_the_list_did_not_give_out_is_422(client, reporter, cursor, contains):
    article = factories.article(reporter)

    response = client.get(
        f"/api/v1/articles/{article.id}/revisions",
        query_string={"cursor": cursor, **({"contains": contains} if contains else {})},
        headers=factories.auth(reporter),
    )

    assert response.status_code == 422
    assert response.json["errors"] == {"query": {"cursor": ["Not a cursor this list gave out."]}}


@pytest.mark.parametrize("q", [None, "harbour"])
def test_a_page_of_the_list_costs_the_same_statements_however_long(client, reporter, editor, q):
    def statements_for_a_page_of(count: int) -> int:
        query = f"&q={q}" if q else ""
        with recorded_statements(db.engine) as executed:
            response = client.get(f"/api/v1/articles?limit={count}{query}", headers=headers)
        assert len(response.json["items"]) == count
        return len(executed)

    for n in range(8):  # more than a page: every page is filled by headline matches
        story = factories.article(reporter, headline=f"Harbour story {n}", body="The harbour.")
        if n % 2:
            factories.published(story, editor, embargo_until=utcnow() + timedelta(hours=n))
    headers = factories.auth(reporter)

    assert statements_for_a_page_of(6) == statements_for_a_page_of(1)
