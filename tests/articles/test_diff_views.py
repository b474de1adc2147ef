"""Diffs between revisions, blame, and merging of concurrent edits, over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cms.articles.diffs import apply_body_diff
from cms.articles.models import Revision
from cms.core.extensions import db
from tests import factories

BODY = "First paragraph about the port.\n\nSecond paragraph about the vote.\n\nThird paragraph."


def _edit(client, headers, article_id, etag, query="", **changes):
    return client.patch(
        f"/api/v1/articles/{article_id}{query}",
        json=changes,
        headers={**headers, "If-Match": etag},
    )


@pytest.fixture
def story(client, reporter):
    """An article with three revisions: a typo fix in paragraph 2, then a new dateline."""
    article = factories.article(reporter, body=BODY)
    headers = factories.auth(reporter)
    second = _edit(
        client, headers, article.id, article.etag, body=BODY.replace("vote", "ballot")
    ).headers["ETag"]
    _edit(client, headers, article.id, second, dateline={"city": "Antwerp", "country": "Belgium"})
    return article.id, headers


def test_diff_lists_changed_fields_and_word_operations(client, story):
    article_id, headers = story
    response = client.get(f"/api/v1/articles/{article_id}/diff?from=1&to=3", headers=headers)

    assert response.status_code == 200
    diff = response.json
    assert (diff["from"], diff["to"]) == (1, 3)
    dateline = next(f for f in diff["fields"] if f["field"] == "dateline")
    parts = {c["part"]: (c["old"], c["new"]) for c in dateline["changes"]}
    assert parts == {
        "city": ("Rotterdam", "Antwerp"),
        "country": ("Netherlands", "Belgium"),
        "agency": ("Newsroom Wire", None),
    }
    changed = [p for p in diff["body"]["paragraphs"] if p["op"] == "change"]
    assert changed[0]["words"] == [
        {"op": "equal", "text": "Second paragraph about the "},
        {"op": "delete", "text": "vote"},
        {"op": "insert", "text": "ballot"},
        {"op": "equal", "text": "."},
    ]
    assert diff["stats"]["words_added"] == 1
    assert diff["stats"]["words_removed"] == 1
    assert diff["summary"].startswith("dateline; body")


def test_applying_the_operations_to_the_old_body_gives_the_new_one(client, story):
    article_id, headers = story
    for old, new in ((1, 3), (3, 1), (2, 2)):
        diff = client.get(
            f"/api/v1/articles/{article_id}/diff?from={old}&to={new}", headers=headers
        ).json
        old_body = client.get(f"/api/v1/articles/{article_id}/revisions/{old}", headers=headers)
        new_body = client.get(f"/api/v1/articles/{article_id}/revisions/{new}", headers=headers)
        assert apply_body_diff(old_body.json["body"], diff["body"]) == new_body.json["body"]


def test_diff_defaults_to_the_head_against_its_predecessor(client, story):
    article_id, headers = story
    diff = client.get(f"/api/v1/articles/{article_id}/diff", headers=headers).json

    assert (diff["from"], diff["to"]) == (2, 3)
    assert [f["field"] for f in diff["fields"]] == ["dateline"]
    assert diff["body"]["changed"] is False


def test_diff_names_approved_and_published(client, reporter, editor):
    article = factories.article(reporter, body=BODY)
    article = factories.published(article, editor)
    headers = factories.auth(editor)
    etag = _edit(client, headers, article.id, article.etag, headline="Newer").headers["ETag"]

    diff = client.get(
        f"/api/v1/articles/{article.id}/diff?from=published&to=head", headers=headers
    ).json
    assert (diff["from"], diff["to"]) == (1, 2)
    assert [f["field"] for f in diff["fields"]] == ["headline"]

    missing = client.get(f"/api/v1/articles/{article.id}/diff?from=approved", headers=headers)
    assert missing.status_code == 404
    assert etag


@pytest.mark.parametrize(
    ("query", "status"),
    [("from=abc", 422), ("from=0", 422), ("to=99", 404), ("from=99999999999", 422),
     ("format=pdf", 422), ("from=published", 404)],
)  # fmt: skip
def test_bad_references_are_4xx(client, story, query, status):
    article_id, headers = story
    response = client.get(f"/api/v1/articles/{article_id}/diff?{query}", headers=headers)

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_html_diff_is_a_safe_fragment(client, reporter):
    article = factories.article(reporter, body="Plain text.")
    headers = factories.auth(reporter)
    _edit(client, headers, article.id, article.etag, body='<script>alert("x")</script> Plain.')

    response = client.get(f"/api/v1/articles/{article.id}/diff?format=html", headers=headers)
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<ins>" in html


def test_diff_formats_by_accept_header(client, story):
    article_id, headers = story
    text = client.get(
        f"/api/v1/articles/{article_id}/diff?from=1", headers={**headers, "Accept": "text/plain"}
    )
    assert text.mimetype == "text/plain"
    lines = text.get_data(as_text=True).splitlines()
    assert lines[:2] == ["--- revision 1", "+++ revision 3"]
    assert "-Second paragraph about the vote." in lines
    assert "+Second paragraph about the ballot." in lines

    html = client.get(
        f"/api/v1/articles/{article_id}/diff", headers={**headers, "Accept": "text/html"}
    )
    assert html.mimetype == "text/html"
    refused = client.get(
        f"/api/v1/articles/{article_id}/diff", headers={**headers, "Accept": "image/png"}
    )
    assert refused.status_code == 406


def test_revision_summaries_come_from_the_diff_engine(client, story):
    article_id, headers = story
    items = client.get(f"/api/v1/articles/{article_id}/revisions", headers=headers).json["items"]

    assert [item["summary"] for item in items] == [
        "dateline",
        "body +1 \u22121 words in 1 paragraph",
        "Created",
    ]


def test_blame_names_the_revision_and_author_of_each_paragraph(client, reporter, editor):
    article = factories.article(reporter, body=BODY)
    etag = _edit(
        client,
        factories.auth(editor),
        article.id,
        article.etag,
        body=BODY.replace("Third paragraph.", "Third paragraph, rewritten."),
    ).headers["ETag"]

    blame = client.get(f"/api/v1/articles/{article.id}/blame", headers=factories.auth(reporter))
    assert blame.status_code == 200
    lines = blame.json["paragraphs"]
    assert [(line["revision"], line["author"]["id"]) for line in lines] == [
        (1, reporter.id),
        (1, reporter.id),
        (2, editor.id),
    ]
    assert lines[2]["text"] == "Third paragraph, rewritten."
    assert blame.json["revision"] == 2
    assert etag


def test_merge_of_edits_to_different_fields_and_paragraphs(client, reporter, editor):
    article = factories.article(reporter, body=BODY)
    base = article.etag
    theirs = _edit(
        client,
        factories.auth(editor),
        article.id,
        base,
        headline="Editor's headline",
        body=BODY.replace("First paragraph", "Opening paragraph"),
    )
    assert theirs.status_code == 200

    stale = _edit(
        client, factories.auth(reporter), article.id, base, body=BODY.replace("Third", "Last")
    )
    assert stale.status_code == 412

    merged = _edit(
        client,
        factories.auth(reporter),
        article.id,
        base,
        query="?merge=1",
        deck="Reporter's deck",
        body=BODY.replace("Third", "Last"),
    )
    assert merged.status_code == 200
    body = merged.json
    assert body["merge"] == {"base_revision": 1, "head_revision": 2}
    assert body["revision"] == 3
    assert body["headline"] == "Editor's headline"
    assert body["deck"] == "Reporter's deck"
    assert body["body"] == BODY.replace("First paragraph", "Opening paragraph").replace(
        "Third", "Last"
    )
    assert merged.headers["ETag"] == '"3.3"'
    summary = client.get(
        f"/api/v1/articles/{article.id}/revisions/3", headers=factories.auth(reporter)
    ).json["summary"]
    assert summary.startswith("Merged edit of revision 1 with revision 2")


def test_overlapping_edits_are_a_409_with_both_versions(client, reporter, editor):
    article = factories.article(reporter, body=BODY)
    base = article.etag
    _edit(
        client,
        factories.auth(editor),
        article.id,
        base,
        headline="Editor's",
        body=BODY.replace("Second paragraph", "Editor's second paragraph"),
    )
    response = _edit(
        client,
        factories.auth(reporter),
        article.id,
        base,
        query="?merge=1",
        headline="Reporter's",
        body=BODY.replace("Second paragraph", "Reporter's second paragraph"),
    )

    assert response.status_code == 409
    problem = response.json
    assert problem["type"].endswith(":merge-conflict")
    conflicts = {c["field"]: c for c in problem["conflicts"]}
    assert conflicts["headline"]["theirs"] == "Editor's"
    assert conflicts["headline"]["yours"] == "Reporter's"
    assert conflicts["body"]["paragraph"] == 1
    assert conflicts["body"]["theirs"].startswith("Editor's second")
    assert conflicts["body"]["yours"].startswith("Reporter's second")
    assert problem["current_revision"] == 2
    count = db.session.scalar(
        select(func.count()).select_from(Revision).where(Revision.article_id == article.id)
    )
    assert count == 2


def test_merge_with_the_current_etag_is_a_plain_edit(client, reporter):
    article = factories.article(reporter)
    response = _edit(
        client, factories.auth(reporter), article.id, article.etag, query="?merge=1", deck="New"
    )

    assert response.status_code == 200
    assert "merge" not in response.json
    assert response.json["revision"] == 2


@pytest.mark.parametrize("etag", ['"7.7"', "garbage"])
def test_merge_from_an_unknown_base_is_412(client, reporter, etag):
    article = factories.article(reporter)
    response = _edit(
        client, factories.auth(reporter), article.id, etag, query="?merge=1", deck="New"
    )

    assert response.status_code == 412
