"""Partner search: the published versions a partner may see, never a head or a draft."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from cms.articles import operations as article_ops
from cms.articles.models import VersionKind
from cms.articles.search import query as search_query
from cms.articles.search.index import reindex
from cms.articles.search.models import HEAD, SearchDocument
from cms.articles.search.syntax import parse
from cms.core.extensions import db
from cms.core.types import utcnow
from tests import factories
from tests.delivery.support import run_worker

PLAIN = {"deck": None, "dateline": None, "bylines": [], "keywords": []}


def story(author, headline: str, body: str = "", **fields):
    return factories.article(author, **{**PLAIN, "headline": headline, "body": body, **fields})


def search(client, key: str, **args):
    return client.get(f"/content/v1/search?{urlencode(args)}", headers=factories.partner_auth(key))


def found(client, key: str, q: str, **args) -> list[int]:
    response = search(client, key, q=q, **args)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_finds_published_versions_with_highlights(client, reporter, editor):
    published = factories.published(story(reporter, "Glacier retreats", "Ice lost."), editor)
    story(reporter, "Glacier draft", "Not out yet.")
    _, key = factories.partner()

    response = search(client, key, q="glacier")

    [hit] = response.json["items"]
    assert hit["id"] == published.id
    assert hit["version"] == 1
    assert hit["headline"] == "Glacier retreats"
    assert hit["highlights"]["headline"] == "<mark>Glacier</mark> retreats"
    assert response.json["next_cursor"] is None


def test_an_unpublished_edit_is_not_searched_until_published(client, reporter, editor):
    article = factories.published(story(reporter, "Bridge closes", "Repairs begin."), editor)
    edited, _ = article_ops.edit_article(
        article, article.etag, {"body": "Repairs begin. Divers found cracks."}, reporter
    )
    db.session.commit()
    _, key = factories.partner()

    assert found(client, key, "divers") == []
    assert found(client, key, "repairs") == [article.id]

    factories.published(edited, editor, kind=VersionKind.UPDATE)

    assert found(client, key, "divers") == [article.id]


def test_sections_embargo_and_kills_decide_what_is_found(client, reporter, editor):
    sport = factories.published(story(reporter, "Comet final", section="sport"), editor)
    lifted = utcnow() + timedelta(hours=1)
    embargoed = factories.published(
        story(reporter, "Comet study", section="science"), editor, embargo_until=lifted
    )
    killed = factories.published(story(reporter, "Comet hoax", section="science"), editor)
    factories.withdrawn(killed, editor)
    _, plain = factories.partner()
    _, sport_only = factories.partner(sections=["sport"])
    _, trusted = factories.partner(embargo_access=True)

    assert found(client, plain, "comet") == [sport.id]
    assert found(client, sport_only, "comet") == [sport.id]
    assert sorted(found(client, trusted, "comet")) == sorted([sport.id, embargoed.id])
    [early] = search(client, trusted, q="comet study").json["items"]
    assert early["embargoed"] is True

    run_worker(lifted)

    assert sorted(found(client, plain, "comet")) == sorted([sport.id, embargoed.id])
    assert found(client, plain, "comet", section="sport") == [sport.id]


def test_pages_by_cursor(client, reporter, editor):
    made = {
        factories.published(story(reporter, f"Harbour {n}", "harbour " * n), editor).id
        for n in range(1, 5)
    }
    _, key = factories.partner()

    seen: list[int] = []
    cursor = None
    while True:
        response = search(
            client, key, q="harbour", limit=3, **({"cursor": cursor} if cursor else {})
        )
        seen.extend(item["id"] for item in response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"q": ""},
        {"q": "x" * 1001},
        {"q": "a\x00b"},
        {"q": "x", "cursor": "bogus"},
        {"q": "x", "limit": 0},
    ],
)
def test_bad_arguments_are_refused(client, args):
    _, key = factories.partner()

    response = search(client, key, **args)

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("q", ['"', "-", "OR", "NEAR(x", "*", "^", "headline:x", "-x"])
def test_malformed_queries_never_fail(client, reporter, editor, q):
    factories.published(story(reporter, "Headline x"), editor)
    _, key = factories.partner()

    response = search(client, key, q=q)

    assert response.status_code == 200
    assert isinstance(response.json["items"], list)


def test_needs_a_key(client):
    assert client.get("/content/v1/search?q=x").status_code == 401


def _indexed_versions(article_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(SearchDocument.version)
            .where(SearchDocument.article_id == article_id, SearchDocument.version != HEAD)
            .order_by(SearchDocument.version)
        )
    )


def test_a_version_released_to_all_drops_the_documents_it_supersedes(client, reporter, editor):
    article = factories.published(
        story(reporter, "Ferry", "Old timetable.", section="local"), editor
    )
    factories.updated(article, reporter, editor, body="New timetable.")
    _, key = factories.partner()

    assert _indexed_versions(article.id) == [2]
    assert found(client, key, "old") == []
    assert found(client, key, "new") == [article.id]


def test_an_embargoed_version_keeps_what_others_still_see(client, reporter, editor):
    article = factories.published(story(reporter, "Dam", "First survey."), editor)
    lifted = utcnow() + timedelta(hours=1)
    factories.updated(article, reporter, editor, body="Second survey.", embargo_until=lifted)
    _, plain = factories.partner()
    _, trusted = factories.partner(embargo_access=True)

    assert _indexed_versions(article.id) == [1, 2]
    assert found(client, plain, "first") == [article.id]
    assert found(client, trusted, "first") == []
    assert found(client, trusted, "second") == [article.id]

    run_worker(lifted)

    assert found(client, plain, "first") == []
    assert found(client, plain, "second") == [article.id]


def test_a_story_moved_to_another_section_stays_found_where_it_was(client, reporter, editor):
    article = factories.published(
        story(reporter, "Mine", "Shaft flooded.", section="local"), editor
    )
    factories.updated(article, reporter, editor, section="world", body="Shaft pumped dry.")
    _, local_only = factories.partner(sections=["local"])
    _, everyone = factories.partner()

    assert _indexed_versions(article.id) == [1, 2]
    assert found(client, local_only, "flooded") == [article.id]
    assert found(client, everyone, "flooded") == []
    assert found(client, everyone, "pumped") == [article.id]


def test_a_search_in_a_section_finds_each_version_in_its_own_section(client, reporter, editor):
    article = factories.published(
        story(reporter, "Mine", "Shaft flooded.", section="local"), editor
    )
    factories.updated(article, reporter, editor, section="world", body="Shaft flooded again.")
    _, everyone = factories.partner()

    assert found(client, everyone, "flooded", section="world") == [article.id]
    assert found(client, everyone, "flooded", section="local") == []
    assert found(client, everyone, "mine", section="world") == [article.id]


def test_reindex_keeps_the_documents_publishing_kept(reporter, editor):
    moved = factories.published(story(reporter, "Mine", "Shaft.", section="local"), editor)
    factories.updated(moved, reporter, editor, section="world")
    updated = factories.published(story(reporter, "Ferry", "Old."), editor)
    factories.updated(updated, reporter, editor, body="New.")
    factories.updated(
        updated, reporter, editor, body="Newer.", embargo_until=utcnow() + timedelta(hours=1)
    )

    def documents() -> set[tuple]:
        rows = db.session.execute(
            select(SearchDocument.article_id, SearchDocument.version, SearchDocument.body)
        )
        return {tuple(row) for row in rows}

    ids = moved.id, updated.id
    kept = documents()
    reindex()
    db.session.flush()

    assert documents() == kept
    assert [_indexed_versions(article_id) for article_id in ids] == [[1, 2], [2, 3]]


def test_best_matches_the_reader_cannot_see_do_not_hide_the_rest(client, reporter, editor):
    """More candidates are ranked, round after round, until a page is full or none are left."""
    for n in range(12):  # the best matches, all in a section the partner does not take
        factories.published(story(reporter, f"Comet {n}", section="sport"), editor)
    wanted = {
        factories.published(
            story(reporter, f"Night sky {n}", f"A comet {n}.", section="science"), editor
        ).id
        for n in range(3)
    }
    _, key = factories.partner(sections=["science"])

    seen: list[int] = []
    cursor = None
    while True:
        response = search(
            client, key, q="comet", limit=1, **({"cursor": cursor} if cursor else {})
        )
        assert response.status_code == 200, response.json
        seen.extend(item["id"] for item in response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(wanted)


def test_headline_matches_rank_first_then_the_newest_of_the_rest(
    client, reporter, editor, dialect
):
    older = factories.published(story(reporter, "Weekly report", "A harbour crane."), editor)
    headline = factories.published(story(reporter, "Harbour reopens", "Boats."), editor)
    newer = factories.published(story(reporter, "Monthly", "The harbour, the harbour."), editor)
    _, key = factories.partner()

    ids = found(client, key, "harbour")

    assert ids[0] == headline.id
    assert set(ids[1:]) == {older.id, newer.id}
    if dialect == "postgresql":  # SQLite ranks the rest by bm25
        assert ids[1:] == [newer.id, older.id]


@pytest.mark.parametrize("section", [None, "science"])
@pytest.mark.parametrize("heads", [False, True], ids=["versions", "heads"])
@pytest.mark.parametrize(
    "q", ["harbour", "harbour crane", "harbour OR crane", '"harbour crane"', "harb", "crane -boat"]
)
def test_the_best_few_matches_are_the_first_of_all_of_them(reporter, editor, q, heads, section):
    """Asked for the best few at a time (as a page by relevance asks), a search gives the
    matches in the order it ranks all of them — on PostgreSQL found in two steps, headlines
    first — and in one section, exactly the matches of that section's stories."""
    headlines = ["Harbour crane falls", "Crane at the harbour", "Harbour news", "Weather"]
    bodies = ["A harbour crane.", "The crane.", "Boat in the harbour.", "Harbour, harbour."]
    in_science = set()
    for n in range(12):
        article = factories.published(
            story(
                reporter,
                headlines[n % 4],
                f"{bodies[(n // 4 + n) % 4]} Item {n}.",
                section="science" if n % 3 else "sport",
            ),
            editor,
        )
        if n % 3:
            in_science.add(article.id)
    query = parse(q)

    def ranked(best: int | None = None, after: tuple[float, int] | None = None) -> list[tuple]:
        matched = search_query.hits(query, heads=heads, section=section, best=best, after=after)
        assert matched is not None
        rows = db.session.execute(
            select(matched.c.article_id, matched.c.version, matched.c.rank).order_by(
                matched.c.rank.desc(), matched.c.article_id.desc()
            )
        ).all()
        return [tuple(row) for row in rows]

    everything = ranked()
    paged: list[tuple] = []
    while page := ranked(best=3, after=(paged[-1][2], paged[-1][0]) if paged else None):
        paged.extend(page)

    assert len(everything) > 3
    assert paged == everything
    if section is not None:
        section = None
        anywhere = ranked()
        assert everything == [row for row in anywhere if row[0] in in_science]
        assert len(anywhere) > len(everything)
