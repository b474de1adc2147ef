"""Editorial notes and presence over HTTP."""

from __future__ import annotations

from datetime import timedelta

from cms.core.extensions import db
from cms.core.types import utcnow
from cms.notes import operations
from cms.notes.models import Presence
from tests import factories


def _url(article_id: int, what: str) -> str:
    return f"/api/v1/articles/{article_id}/{what}"


def test_notes_are_added_and_listed_oldest_first(client, reporter, editor):
    article = factories.article(reporter)
    headers = factories.auth(editor)

    first = client.post(_url(article.id, "notes"), json={"body": "Who is the source?"},
                        headers=headers)  # fmt: skip
    second = client.post(
        _url(article.id, "notes"),
        json={"body": "Check the figure", "revision": 1, "paragraph": 2},
        headers=factories.auth(reporter),
    )
    listed = client.get(_url(article.id, "notes"), headers=headers)

    assert first.status_code == 201
    assert first.json["author"] == {"id": editor.id, "name": "Eddie Editor"}
    assert (first.json["revision"], first.json["paragraph"]) == (None, None)
    assert (second.json["revision"], second.json["paragraph"]) == (1, 2)
    assert [n["body"] for n in listed.json["items"]] == ["Who is the source?", "Check the figure"]


def test_a_note_names_a_revision_the_story_has(client, reporter):
    article = factories.article(reporter)
    headers = factories.auth(reporter)

    cases = [
        {"body": "x", "revision": 2},
        {"body": "x", "paragraph": 1},
        {"body": "   "},
        {"body": "x", "revision": 0},
        {},
    ]
    answers = [client.post(_url(article.id, "notes"), json=c, headers=headers) for c in cases]

    assert [a.status_code for a in answers] == [422] * len(cases)
    assert all(a.mimetype == "application/problem+json" for a in answers)
    assert client.get(_url(article.id, "notes"), headers=headers).json["items"] == []
    assert client.get(_url(999999, "notes"), headers=headers).status_code == 404
    assert client.get(_url(article.id, "notes")).status_code == 401


def test_notes_never_reach_partners(client, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    client.post(_url(article.id, "notes"), json={"body": "SECRET-DESK-NOTE"},
                headers=factories.auth(editor))  # fmt: skip
    _partner, key = factories.partner()

    seen = [
        client.get(path, headers=factories.partner_auth(key))
        for path in (
            f"/content/v1/articles/{article.id}",
            "/content/v1/articles",
            "/content/v1/changes",
        )
    ]

    assert all(response.status_code == 200 for response in seen)
    assert not any("SECRET-DESK-NOTE" in response.text for response in seen)


def test_presence_is_renewed_listed_and_left(client, reporter, editor):
    article = factories.article(reporter)
    mine, theirs = factories.auth(editor), factories.auth(reporter)

    put = client.put(_url(article.id, "presence"), json={"activity": "editing"}, headers=mine)
    since = put.json["items"][0]["since"]
    renewed = client.put(_url(article.id, "presence"), headers=mine)
    client.put(_url(article.id, "presence"), json={"activity": "viewing"}, headers=theirs)
    listed = client.get(_url(article.id, "presence"), headers=theirs)

    assert put.status_code == 200
    assert put.json["ttl"] == 60
    entry = put.json["items"][0]
    assert entry["user"]["name"] == "Eddie Editor"
    assert entry["activity"] == "editing"
    assert len(entry["since_display"]) == 5  # "14:02", in the newsroom's zone
    assert renewed.json["items"][0]["since"] == since  # renewing keeps "since"
    assert renewed.json["items"][0]["expires_at"] >= entry["expires_at"]
    assert [(e["user"]["name"], e["activity"]) for e in listed.json["items"]] == [
        ("Eddie Editor", "editing"),
        ("Rita Reporter", "viewing"),
    ]

    left = client.delete(_url(article.id, "presence"), headers=mine)
    after = client.get(_url(article.id, "presence"), headers=mine)
    assert left.status_code == 204
    assert [e["user"]["name"] for e in after.json["items"]] == ["Rita Reporter"]
    bad = client.put(_url(article.id, "presence"), json={"activity": "hiding"}, headers=mine)
    assert bad.status_code == 422


def test_a_lapsed_presence_is_gone_and_starts_again(app, session, reporter, editor):
    article = factories.article(reporter)
    start = utcnow() - timedelta(minutes=10)
    operations.renew_presence(article, editor, now=start)
    operations.renew_presence(article, editor, now=start + timedelta(seconds=30))
    assert operations.present(article, now=start + timedelta(seconds=89))
    assert operations.present(article, now=start + timedelta(seconds=91)) == []

    later = start + timedelta(minutes=5)
    operations.renew_presence(article, editor, now=later)
    (entry,) = operations.present(article, now=later)
    assert entry.since == later  # a lapsed presence starts again
    assert db.session.query(Presence).count() == 1


def test_presence_never_blocks_a_write(client, reporter, editor):
    article = factories.article(reporter)
    client.put(_url(article.id, "presence"), headers=factories.auth(editor))

    edited = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "Written while someone else has it open"},
        headers={**factories.auth(reporter), "If-Match": article.etag},
    )

    assert edited.status_code == 200
