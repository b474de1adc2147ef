"""New wire takes of a known story: merged with the desk's edits, never reverting them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cms.articles import operations as article_ops
from cms.articles.models import Article, Revision
from cms.cli import cms_cli
from cms.core.extensions import db
from cms.ingest.models import IngestedCopy
from tests import factories
from tests.concurrency import race

TAKE_1 = """\
Ferry service resumes after storm closes harbour

Last Updated: Nov. 30, 2026, 9:15 a.m. EST
By Lena Fischer
Associated Press
Advertisement

HALIFAX, Nova Scotia (AP) — Ferries returned to the harbour on Sunday, two days after \
a storm tore moorings loose and closed the port.

The operator said the first crossings were full.

Repairs to the outer pier will take a month, officials said.
"""

#: The agency's second take: the last paragraph grows, and the stamp moves on.
TAKE_2 = TAKE_1.replace("9:15 a.m.", "11:40 a.m.").replace(
    "will take a month, officials said.",
    "will take a month and cost $2 million, officials said.",
)
#: A third take that rewrites the first paragraph.
TAKE_3 = TAKE_2.replace("11:40 a.m.", "1:05 p.m.").replace(
    "two days after a storm", "two days after a violent storm"
)


def _ingest(client, user, text: str, headers: dict[str, str] | None = None):
    return client.post(
        "/api/v1/ingest",
        data=text.encode(),
        content_type="text/plain; charset=utf-8",
        headers=headers or factories.auth(user),
    )


def _edit(client, user, article_id: int, **changes):
    current = client.get(f"/api/v1/articles/{article_id}", headers=factories.auth(user))
    response = client.patch(
        f"/api/v1/articles/{article_id}",
        json=changes,
        headers={**factories.auth(user), "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 200, response.json
    return response.json


def test_a_take_merges_around_the_desks_edits(client, reporter, editor):
    article_id = _ingest(client, reporter, TAKE_1).json["article"]["id"]
    body = _edit(client, editor, article_id, headline="Ferries sail again")["body"]
    fixed = body.replace("The operator said", "The ferry operator said")
    _edit(client, editor, article_id, body=fixed)

    take = _ingest(client, reporter, TAKE_2)

    assert take.status_code == 200
    assert take.json["revision_created"] is True
    assert take.json["not_applied"] == []
    article = take.json["article"]
    assert article["headline"] == "Ferries sail again"
    assert "The ferry operator said" in article["body"]
    assert "cost $2 million" in article["body"]
    head = db.session.scalar(
        select(Revision).where(Revision.article_id == article_id, Revision.number == 4)
    )
    assert head.message == "New take from the wire, merged with the desk's edits"


def test_where_the_take_overlaps_the_desks_edit_the_desks_text_stays(client, reporter, editor):
    article_id = _ingest(client, reporter, TAKE_1).json["article"]["id"]
    body = client.get(f"/api/v1/articles/{article_id}", headers=factories.auth(editor)).json[
        "body"
    ]
    desk = body.replace("will take a month", "will take four weeks")
    _edit(client, editor, article_id, body=desk)

    take = _ingest(client, reporter, TAKE_3.replace("will take a month", "take a month"))

    assert take.status_code == 200
    assert "four weeks" in take.json["article"]["body"]
    assert "violent storm" in take.json["article"]["body"]  # the part without overlap
    [item] = take.json["not_applied"]
    assert item["field"] == "body"
    assert item["paragraph"] == 2
    assert "four weeks" in item["desk"]
    assert "cost $2 million" in item["take"]
    message = db.session.scalar(
        select(Revision.message).where(Revision.article_id == article_id, Revision.number == 3)
    )
    assert message == (
        "New take from the wire; not applied where the desk had edited: body paragraph 3"
    )
    assert db.session.scalar(select(func.count()).select_from(IngestedCopy)) == 2


def test_a_take_that_changes_nothing_new_is_kept_without_a_revision(client, reporter, editor):
    article_id = _ingest(client, reporter, TAKE_1).json["article"]["id"]
    _edit(client, editor, article_id, headline="Ferries sail again")

    take = _ingest(client, reporter, TAKE_1.replace("9:15 a.m.", "9:20 a.m."))

    assert take.json["revision_created"] is False
    assert take.json["article"]["headline"] == "Ferries sail again"
    assert db.session.scalar(select(func.count()).select_from(IngestedCopy)) == 2


def test_takes_are_listed_with_stamp_dropped_lines_and_diff(client, reporter, editor):
    article_id = _ingest(client, reporter, TAKE_1).json["article"]["id"]
    _ingest(client, reporter, TAKE_2)

    response = client.get(f"/api/v1/articles/{article_id}/takes", headers=factories.auth(editor))

    assert response.status_code == 200
    first, second = response.json["items"]
    assert first["source_stamp"]["datetime"] == "2026-11-30T09:15:00-05:00"
    assert second["source_stamp"]["text"] == "Last Updated: Nov. 30, 2026, 11:40 a.m. EST"
    assert first["dropped"] == ["Advertisement"]
    assert first["diff"] is None
    assert first["received_by"] == reporter.name
    assert second["revision"] == 2
    assert second["summary"] == "body +4 \N{MINUS SIGN}0 words in 1 paragraph"
    [changed] = [op for op in second["diff"]["body"]["paragraphs"] if op["op"] != "equal"]
    assert changed["op"] == "change"
    assert response.json["next_cursor"] is None


def test_takes_of_an_unknown_article_are_404(client, editor):
    response = client.get("/api/v1/articles/999/takes", headers=factories.auth(editor))

    assert response.status_code == 404


def test_a_take_of_a_killed_story_starts_a_new_draft_that_follows_it(client, reporter, editor):
    killed_id = _ingest(client, reporter, TAKE_1).json["article"]["id"]
    killed = factories.withdrawn(
        factories.published(article_ops.get_article(killed_id), editor), editor
    )
    revisions_before = killed.head_number

    take = _ingest(client, reporter, TAKE_2)

    assert take.status_code == 201
    assert take.json["follows"] == killed_id
    new = take.json["article"]
    assert new["id"] != killed_id
    assert new["follows"] == killed_id
    assert new["status"] == "draft"
    assert "cost $2 million" in new["body"]
    assert article_ops.get_article(killed_id).head_number == revisions_before
    # Later takes go to the new draft.
    assert _ingest(client, reporter, TAKE_3).json["article"]["id"] == new["id"]


@pytest.mark.live
def test_identical_copy_arriving_at_once_makes_one_story(live_db):
    headers = factories.auth(factories.user(role="reporter"))

    def ingest():
        return _ingest(live_db.test_client(), None, TAKE_1, headers).status_code

    statuses = race(live_db, ingest, workers=8)

    assert sorted(statuses) == [200] * 7 + [201]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1
    assert db.session.scalar(select(func.count()).select_from(IngestedCopy)) == 1


@pytest.mark.live
def test_takes_arriving_at_once_make_one_story(live_db):
    headers = factories.auth(factories.user(role="reporter"))
    copies = [TAKE_1, TAKE_2, TAKE_3, TAKE_3.replace("1:05 p.m.", "2:00 p.m.")]

    def ingest():
        return _ingest(live_db.test_client(), None, copies.pop(), headers).status_code

    statuses = race(live_db, ingest, workers=4)

    assert sorted(statuses) == [200] * 3 + [201]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1
    assert db.session.scalar(select(func.count()).select_from(IngestedCopy)) == 4


def test_the_cli_says_what_of_a_take_was_not_applied(app, session, editor, tmp_path):
    first, second = tmp_path / "take1.txt", tmp_path / "take2.txt"
    first.write_text(TAKE_1, encoding="utf-8")
    second.write_text(TAKE_2, encoding="utf-8")
    assert app.test_cli_runner().invoke(cms_cli, ["ingest", str(first)]).exit_code == 0
    article = article_ops.get_article(db.session.scalar(select(Article.id)))
    desk = article.head.body.markdown.replace("will take a month", "will take four weeks")
    article_ops.edit_article(article, article.etag, {"body": desk}, editor)
    db.session.commit()

    result = app.test_cli_runner().invoke(cms_cli, ["ingest", str(second)])

    assert result.exit_code == 0
    assert "take2.txt: not applied (the desk had edited it): body paragraph 3" in result.output


def test_takes_come_five_to_a_page_each_diffed_against_the_one_before(client, reporter, editor):
    stamps = [f"{hour}:00 a.m." for hour in range(1, 8)]
    for number, stamp in enumerate(stamps):
        _ingest(client, reporter, TAKE_1.replace("9:15 a.m.", stamp) + f"\nTake {number}.\n")
    article_id = db.session.scalar(select(Article.id))
    path = f"/api/v1/articles/{article_id}/takes"

    first = client.get(path, headers=factories.auth(editor)).json
    _ingest(client, reporter, TAKE_1.replace("9:15 a.m.", "8:00 a.m.") + "\nTake 7.\n")
    second = client.get(
        path, query_string={"cursor": first["next_cursor"]}, headers=factories.auth(editor)
    ).json
    too_many = client.get(f"{path}?limit=6", headers=factories.auth(editor))

    assert [len(first["items"]), len(second["items"])] == [5, 3]
    listed = [take["id"] for take in first["items"] + second["items"]]
    assert listed == sorted(set(listed))  # oldest first, each once, the new take last
    assert second["next_cursor"] is None
    assert first["items"][0]["diff"] is None
    assert second["items"][0]["summary"] == "body +1 \N{MINUS SIGN}1 words in 1 paragraph"
    assert too_many.status_code == 422


@pytest.mark.live
def test_a_take_racing_an_editors_edit_is_merged_whichever_comes_first(live_db):
    reporter_headers = factories.auth(factories.user(role="reporter"))
    editor_headers = factories.auth(factories.user(role="editor"))
    client = live_db.test_client()
    first = _ingest(client, None, TAKE_1, reporter_headers).json["article"]
    desk = first["body"].replace("The operator said", "The ferry operator said")
    path = f"/api/v1/articles/{first['id']}"
    etag = client.get(path, headers=editor_headers).headers["ETag"]
    jobs = ["edit", "take"]

    def work():
        client = live_db.test_client()
        if jobs.pop() == "take":
            return "take", _ingest(client, None, TAKE_2, reporter_headers).status_code
        headers = {**editor_headers, "If-Match": etag}
        return "edit", client.patch(path, json={"body": desk}, headers=headers).status_code

    statuses = dict(race(live_db, work, workers=2))

    assert statuses["take"] == 200
    assert statuses["edit"] in (200, 412)
    body = live_db.test_client().get(path, headers=editor_headers).json["body"]
    assert "cost $2 million" in body
    assert ("The ferry operator said" in body) == (statuses["edit"] == 200)
