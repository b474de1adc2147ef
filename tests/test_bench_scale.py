"""The archive of ``make bench-scale``, built tiny: rows the app reads and writes on as its own.

So that the builder cannot rot: every row it writes is checked against what the
operations would have written, and the app serves, diffs, edits and publishes
on top of it; each benchmark recipe either plans requests that answer 200 or
says why its endpoint is missing.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cms.articles import operations as article_ops
from cms.articles.content import body_digest
from cms.articles.models import Article, ArticleStatus, Body, Revision, Version, VersionKind
from cms.articles.rendering import render_markdown
from cms.articles.search import index as search_index
from cms.articles.search.models import HEAD, SearchDocument, SearchLabel
from cms.auth import operations as auth_ops
from cms.auth.models import Role, User
from cms.core.extensions import db
from cms.delivery.models import FanOutCursor
from cms.outbox.models import Audience, DeliveryEvent
from cms.workflow.models import Approval
from tests import factories
from tests.bench.scale import prose
from tests.bench.scale.archive import Shape
from tests.bench.scale.recipes import RECIPES, Facts
from tests.bench.scale.store import Report, load

#: 50 stories, story 7 with 30 revisions (the long-running one), 20 body families.
SHAPE = Shape.of(50, big_revisions=30)
PASSWORD_HASH = auth_ops.hash_password(factories.PASSWORD)


@pytest.fixture
def archive(session) -> Report:
    report = load(session.connection(), SHAPE, PASSWORD_HASH)
    session.commit()
    return report


def _articles() -> list[Article]:
    return list(db.session.scalars(select(Article).order_by(Article.id)))


def test_every_story_has_numbered_revisions_with_the_apps_hashes_and_summaries(archive):
    articles = _articles()
    assert len(articles) == SHAPE.stories
    big = db.session.get(Article, archive.archive.big_story_id)
    assert big is not None
    assert big.head_number == SHAPE.big_revisions
    for article in articles:
        revisions = list(
            db.session.scalars(
                select(Revision).where(Revision.article_id == article.id).order_by(Revision.number)
            )
        )
        assert [r.number for r in revisions] == list(range(1, article.head_number + 1))
        head = revisions[-1]
        assert (article.slug, article.section) == (head.slug, head.section)
        assert article.updated_at == head.created_at
        previous = None
        for revision in revisions:
            document = article_ops.get_revision(article, revision.number).document()
            assert revision.content_hash == document.content_hash()
            if previous is None:
                assert revision.summary == "Created"
            else:
                assert document != previous, "an edit that changes nothing stores nothing"
                assert revision.summary == article_ops.describe_change(previous, document)
            previous = document


def test_bodies_are_addressed_and_rendered_as_the_app_does(archive):
    bodies = list(db.session.scalars(select(Body)))
    assert len(bodies) >= SHAPE.families
    for body in bodies:
        assert body.hash == body_digest(body.markdown)
        assert body.html == render_markdown(body.markdown)


def test_publications_have_approvals_versions_and_events_in_feed_order(archive):
    versions = list(
        db.session.scalars(select(Version).order_by(Version.article_id, Version.number))
    )
    assert versions
    for version in versions:
        revision = db.session.scalar(
            select(Revision).where(
                Revision.article_id == version.article_id,
                Revision.number == version.revision_number,
            )
        )
        approval = db.session.get(Approval, version.approval_id)
        assert revision is not None
        assert approval is not None
        assert version.content_hash == revision.content_hash == approval.content_hash
        assert approval.approved_by_id != revision.author_id or version.number > 1
        assert (version.kind == VersionKind.CORRECTION) <= (version.note is not None)
    for article in _articles():
        numbers = [v.number for v in versions if v.article_id == article.id]
        assert numbers == list(range(1, len(numbers) + 1))
        assert article.live_version_number == (max(numbers) if numbers else None)
        if article.status == ArticleStatus.WITHDRAWN:
            assert article.withdrawn_at is not None
    events = list(db.session.scalars(select(DeliveryEvent).order_by(DeliveryEvent.id)))
    times = [event.created_at for event in events]
    assert times == sorted(times)
    by_id = {event.id: event for event in events}
    releases = [event for event in events if event.releases_id is not None]
    for release in releases:
        embargoed = by_id[release.releases_id]
        assert embargoed.audience == Audience.EMBARGO_ACCESS
        assert release.audience == Audience.NO_EMBARGO_ACCESS
        assert embargoed.lifted_at == release.created_at == embargoed.embargo_until
    cursor = db.session.get(FanOutCursor, 1)
    assert cursor is not None
    assert cursor.event_id == events[-1].id


def _search_rows() -> tuple[set[tuple], set[tuple]]:
    """Every search document and label, without ``id`` and ``tsv`` (the database's)."""
    documents = db.session.execute(
        select(
            SearchDocument.article_id,
            SearchDocument.version,
            SearchDocument.revision_number,
            SearchDocument.language,
            SearchDocument.config,
            SearchDocument.headline,
            SearchDocument.summary,
            SearchDocument.body,
        )
    )
    labels = db.session.execute(
        select(SearchLabel.article_id, SearchLabel.kind, SearchLabel.value)
    )
    return {tuple(row) for row in documents}, {tuple(row) for row in labels}


def test_the_search_rows_are_what_a_reindex_writes(archive):
    documents, labels = _search_rows()
    heads = [d for d in documents if d[1] == HEAD]
    assert len(heads) == SHAPE.stories
    assert labels
    versions = db.session.scalar(select(func.count()).select_from(Version))
    # Some versions are superseded (the rule is exercised), the newest of each story is not.
    assert 0 < len(documents) - len(heads) < versions
    if db.session.get_bind().dialect.name == "postgresql":
        assert not db.session.scalar(select(func.count()).where(SearchDocument.tsv.is_(None))), (
            "the trigger fills tsv on COPY"
        )
    assert search_index.reindex() == (len(heads), len(documents) - len(heads))
    db.session.commit()
    assert _search_rows() == (documents, labels)


def test_editors_and_partners_search_the_loaded_archive(archive, client, editor):
    auth = factories.auth(editor)
    for word in (prose.COMMON_WORD, prose.RARE_WORDS[0]):
        found = client.get(f"/api/v1/articles?q={word}", headers=auth)
        assert found.status_code == 200, word
        assert found.json["items"], word
    _partner, key = factories.partner()
    found = client.get(
        f"/content/v1/search?q={prose.COMMON_WORD}", headers=factories.partner_auth(key)
    )
    assert found.status_code == 200
    assert found.json["items"]


def test_the_app_reads_diffs_and_serves_partners_from_the_archive(archive, client, editor):
    auth = factories.auth(editor)
    big_id = archive.archive.big_story_id
    response = client.get(f"/api/v1/articles/{big_id}", headers=auth)
    assert response.status_code == 200
    assert response.headers["ETag"].startswith(f'"{SHAPE.big_revisions}.')
    listed = client.get(f"/api/v1/articles/{big_id}/revisions", headers=auth)
    assert listed.status_code == 200
    assert listed.json["items"][0]["number"] == SHAPE.big_revisions
    diff = client.get(f"/api/v1/articles/{big_id}/diff?from=1&to=head", headers=auth)
    assert diff.status_code == 200
    assert (diff.json["from"], diff.json["to"]) == (1, SHAPE.big_revisions)
    _partner, key = factories.partner(embargo_access=True)
    partner = factories.partner_auth(key)
    for article in _articles():
        answer = client.get(f"/content/v1/articles/{article.id}", headers=partner)
        if article.status == ArticleStatus.WITHDRAWN:
            assert answer.status_code == 410
        elif article.live_version_number is not None:
            assert answer.status_code == 200
            assert answer.json["version"] == article.live_version_number
        else:
            assert answer.status_code == 404
    feed = client.get("/content/v1/changes?limit=100", headers=partner)
    assert feed.status_code == 200
    assert feed.json["items"]


def test_the_app_edits_and_publishes_on_top_of_the_archive(archive, editor):
    article = next(
        a
        for a in _articles()
        if a.status == ArticleStatus.PUBLISHED and a.live_version_number is not None
    )
    reporter = db.session.scalar(select(User).where(User.role == Role.REPORTER).limit(1))
    assert reporter is not None
    newest_event = db.session.scalar(select(DeliveryEvent.id).order_by(DeliveryEvent.id.desc()))
    live = article.live_version_number
    head = article.head_number
    updated = factories.updated(
        article_ops.get_article(article.id), reporter, editor, body="A new lede.\n\nMore."
    )
    assert updated.head_number == head + 1
    assert updated.live_version_number == live + 1
    assert factories.events(article.id)[-1].id > newest_event


class _TestClient:
    def __init__(self, client, headers: dict[str, dict[str, str]]) -> None:
        self.client = client
        self.headers = headers

    def get(self, path: str, who: str) -> tuple[int, Any]:
        response = self.client.get(path, headers=self.headers[who])
        return response.status_code, response.get_json(silent=True)


def test_every_recipe_plans_requests_that_answer_or_says_why_not(archive, client, editor):
    _partner, key = factories.partner()
    headers = {"editor": factories.auth(editor), "partner": factories.partner_auth(key)}
    test_client = _TestClient(client, headers)
    published = [a.id for a in _articles() if a.status == ArticleStatus.PUBLISHED]
    facts = Facts(
        big_story_id=archive.archive.big_story_id,
        big_revisions=SHAPE.big_revisions,
        sample_ids=tuple(published[:5]),
        newest_event_id=db.session.scalar(
            select(DeliveryEvent.id).order_by(DeliveryEvent.id.desc())
        ),
    )
    for recipe in RECIPES:
        plan = recipe.plan(test_client, facts)
        if plan.missing:
            assert plan.missing.startswith("n/a (endpoint missing"), recipe.name
            continue
        assert plan.paths, recipe.name
        for path in plan.paths:
            assert test_client.get(path, plan.who)[0] == 200, (recipe.name, path)
