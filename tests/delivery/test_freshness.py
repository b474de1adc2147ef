"""What a partner sees of a story is remembered per process, and never outlives a change."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from cms.articles import operations as article_ops
from cms.articles.models import FollowKind
from cms.core import changes
from cms.core.extensions import db
from cms.delivery import freshness
from cms.delivery.waiting import LISTENER_NAME, event_signal
from tests import factories
from tests.databases import recorded_statements

ARTICLES = "/content/v1/articles"
#: Generous: a notification crosses processes in milliseconds, but the machine may be busy.
NOTICE_SECONDS = 60


def _views_read(statements: list[str]) -> list[str]:
    """The statements that read what a partner sees (not its key, nor savepoints)."""
    return [statement for statement in statements if "delivery_events" in statement]


def _wait_for_listener(dialect: str) -> None:
    """On PostgreSQL, wait until this process listens: only then does it remember views."""
    if dialect != "postgresql":
        return
    deadline = time.monotonic() + NOTICE_SECONDS
    while not event_signal().listening and time.monotonic() < deadline:
        time.sleep(0.05)
    assert event_signal().listening


@pytest.fixture
def story(session, dialect, reporter, editor):
    article = factories.published(factories.article(reporter, headline="Harbour reopens"), editor)
    _wait_for_listener(dialect)
    return article


@pytest.fixture
def partner(session):
    _partner, key = factories.partner()
    return factories.partner_auth(key)


def test_a_revalidation_of_an_unchanged_story_runs_no_statement(client, story, partner):
    path = f"{ARTICLES}/{story.id}"
    etag = client.get(path, headers=partner).headers["ETag"]

    with recorded_statements(db.engine) as statements:
        again = client.get(path, headers={**partner, "If-None-Match": etag})
        fetched = client.get(path, headers=partner)

    assert again.status_code == 304
    assert fetched.status_code == 200
    assert fetched.json["headline"] == "Harbour reopens"
    assert _views_read(statements) == []


def test_a_change_committed_here_is_seen_by_the_next_request(
    client, story, partner, reporter, editor
):
    path = f"{ARTICLES}/{story.id}"
    etag = client.get(path, headers=partner).headers["ETag"]

    factories.updated(story, reporter, editor, headline="Harbour reopens to ferries")
    updated = client.get(path, headers={**partner, "If-None-Match": etag})
    factories.withdrawn(story, editor)
    withdrawn = client.get(path, headers={**partner, "If-None-Match": updated.headers["ETag"]})

    assert updated.status_code == 200
    assert updated.json["headline"] == "Harbour reopens to ferries"
    assert withdrawn.status_code == 410


def test_a_new_link_is_seen_by_the_next_request(client, story, partner, reporter, editor):
    follow_up = factories.published(factories.article(reporter, headline="Ferries return"), editor)
    path = f"{ARTICLES}/{follow_up.id}"
    assert client.get(path, headers=partner).json["follows"] is None

    article_ops.set_follows(follow_up, follow_up.etag, story.id, FollowKind.NEW_LEDE)
    db.session.commit()

    assert client.get(path, headers=partner).json["follows"]["id"] == story.id


def test_nothing_is_remembered_when_the_cache_is_off(app, client, story, partner, monkeypatch):
    monkeypatch.setitem(app.config, "CMS_PARTNER_VIEW_CACHE_SECONDS", 0)
    path = f"{ARTICLES}/{story.id}"
    client.get(path, headers=partner)

    with recorded_statements(db.engine) as statements:
        assert client.get(path, headers=partner).status_code == 200

    assert len(_views_read(statements)) == 1


def test_an_answer_is_not_remembered_beyond_its_age(app, client, story, partner, monkeypatch):
    monkeypatch.setitem(app.config, "CMS_PARTNER_VIEW_CACHE_SECONDS", 0.2)
    path = f"{ARTICLES}/{story.id}"
    client.get(path, headers=partner)
    time.sleep(0.3)

    with recorded_statements(db.engine) as statements:
        assert client.get(path, headers=partner).status_code == 200

    assert len(_views_read(statements)) == 1


_WITHDRAW = """
import sys
from cms.articles.models import Article
from cms.auth.models import User
from cms.core import changes
from cms.core.extensions import db
from tests import factories
from tests.conftest import make_test_app

url, article_id, editor_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with make_test_app(url).app_context():
    factories.withdrawn(db.session.get(Article, article_id), db.session.get(User, editor_id))
"""


@pytest.mark.live
def test_a_change_committed_by_another_process_is_seen(
    live_db, database_url, dialect, monkeypatch
):
    # Long enough that only the change, never the age, can refresh the view.
    monkeypatch.setitem(live_db.config, "CMS_PARTNER_VIEW_CACHE_SECONDS", 3600)
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    _, key = factories.partner()
    partner = factories.partner_auth(key)
    article_id = factories.published(factories.article(reporter), editor).id
    editor_id = editor.id
    db.session.remove()
    _wait_for_listener(dialect)
    client = live_db.test_client()
    path = f"{ARTICLES}/{article_id}"
    etag = client.get(path, headers=partner).headers["ETag"]
    with recorded_statements(db.engine) as statements:
        assert client.get(path, headers={**partner, "If-None-Match": etag}).status_code == 304
    assert _views_read(statements) == []  # answered from memory

    subprocess.run(
        [sys.executable, "-c", _WITHDRAW, database_url, str(article_id), str(editor_id)],
        cwd=Path(__file__).parents[2],
        check=True,
        timeout=120,
    )

    answer = client.get(path, headers={**partner, "If-None-Match": etag})
    if dialect == "postgresql":
        # The notification arrives a moment after the commit, as at a read replica.
        deadline = time.monotonic() + NOTICE_SECONDS
        while answer.status_code == 304 and time.monotonic() < deadline:
            time.sleep(0.05)
            answer = client.get(path, headers={**partner, "If-None-Match": etag})
    assert answer.status_code == 410


@pytest.mark.live
def test_the_application_session_counts_its_announced_commits(live_db):
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    draft = factories.article(reporter)
    before = changes.committed()

    factories.published(draft, editor)  # Flask-SQLAlchemy's own session, a real commit
    counted = changes.committed()
    factories.article(reporter)  # a commit that announces nothing

    assert counted == before + 1
    assert changes.committed() == counted


@pytest.mark.live
def test_the_listener_reconnects_when_its_connection_is_killed(live_db, dialect):
    if dialect != "postgresql":
        pytest.skip("SQLite has no listener")
    _wait_for_listener(dialect)
    signal = event_signal()
    seen = signal.generation

    with db.engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": LISTENER_NAME},
        ).scalars()
        assert any(killed)

    deadline = time.monotonic() + NOTICE_SECONDS
    while (signal.generation == seen or not signal.listening) and time.monotonic() < deadline:
        time.sleep(0.05)
    # Back, and it said so: what it may have missed meanwhile is no longer answered from memory.
    assert signal.listening
    assert signal.generation != seen


def test_the_data_version_changes_with_every_commit_of_another_connection(tmp_path):
    path = tmp_path / "watched.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (x)")
    watched = freshness.DataVersion(str(path))
    first = watched.read()

    assert watched.read() == first
    writer.execute("INSERT INTO t VALUES (1)")
    second = watched.read()
    assert second != first
    assert watched.read() == second
    writer.execute("BEGIN")
    writer.execute("INSERT INTO t VALUES (2)")
    assert watched.read() == second  # not committed yet
    writer.execute("COMMIT")
    assert watched.read() != second


def test_an_unreadable_file_has_no_data_version_and_says_so_once(tmp_path, caplog):
    watched = freshness.DataVersion(str(tmp_path / "missing" / "cms.db"))

    assert watched.read() is None
    assert watched.read() is None  # every request asks: one warning, not one each
    warnings = [r for r in caplog.records if "cannot read the data version" in r.message]
    assert len(warnings) == 1
