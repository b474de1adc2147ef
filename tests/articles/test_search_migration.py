"""Search migrations with data in them: the unstemmed table on SQLite (0012), the
documents of superseded versions dropped (0013), each document's section (0017), and each
document's scope on SQLite (0018)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import flask_migrate
import pytest
from sqlalchemy import make_url, select, text

from cms.core.extensions import db
from tests import factories
from tests.conftest import make_test_app
from tests.migration_data import insert_user_and_article, table

#: Before the unstemmed table held every document (0012).
BEFORE_UNSTEMMED = "e5ab1c960011"


def _unstemmed_matches(word: str) -> list[int]:
    with db.engine.connect() as connection:
        return list(
            connection.scalars(
                text(
                    "SELECT rowid FROM search_fts_simple WHERE search_fts_simple MATCH :w "
                    "ORDER BY rowid"
                ),
                {"w": word},
            )
        )


def test_english_documents_join_the_unstemmed_table_and_the_downgrade_undoes(scratch_url):
    if make_url(scratch_url).get_backend_name() != "sqlite":
        pytest.skip("the migration changes only SQLite's FTS5 tables")
    app = make_test_app(scratch_url)
    now = datetime.now(UTC)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_UNSTEMMED)
        with db.engine.begin() as connection:
            insert_user_and_article(connection, now)
            documents = [
                {"id": 1, "config": "english", "language": "en", "headline": "Kayak race"},
                {"id": 2, "config": "simple", "language": "de", "headline": "Kayak Rennen"},
            ]
            connection.execute(
                table("search_documents").insert(),
                [
                    {**d, "article_id": 1, "version": d["id"] - 1, "revision_number": 1,
                     "summary": "", "body": ""}
                    for d in documents
                ],
            )  # fmt: skip
        assert _unstemmed_matches("kayak") == [2]

        flask_migrate.upgrade()
        assert _unstemmed_matches("kayak") == [1, 2]
        with db.engine.begin() as connection:  # the triggers keep it so
            connection.execute(text("UPDATE search_documents SET headline = 'Canoe race'"))
        assert _unstemmed_matches("kayak") == []
        assert _unstemmed_matches("canoe") == [1, 2]

        flask_migrate.downgrade(revision=BEFORE_UNSTEMMED)
        assert _unstemmed_matches("canoe") == [2]
        flask_migrate.upgrade()
        flask_migrate.check()
        db.engine.dispose()


#: Before publishing dropped superseded versions' documents (0013).
BEFORE_PRUNING = "f6b0c2d70012"


def _updated_story(**update: Any) -> int:
    """Commit a story published in section ``local``, then updated with ``update``; its id."""
    reporter, editor = factories.user(), factories.user(role="editor")
    article = factories.published(factories.article(reporter, section="local"), editor)
    factories.updated(article, reporter, editor, body="Updated.", **update)
    db.session.commit()
    return article.id


def test_documents_of_superseded_versions_are_dropped(scratch_url):
    app = make_test_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade()
        article_id = _updated_story()
        documents = table("search_documents")
        with db.engine.begin() as connection:  # as publishing left it before 0013
            connection.execute(
                documents.insert(),
                {"article_id": article_id, "version": 1, "revision_number": 1,
                 "language": "en", "config": "english", "headline": "Old", "summary": "",
                 "body": ""},
            )  # fmt: skip
        db.session.remove()
        flask_migrate.downgrade(revision=BEFORE_PRUNING)

        flask_migrate.upgrade()

        with db.engine.connect() as connection:
            versions = connection.scalars(
                select(documents.c.version)
                .where(documents.c.article_id == article_id)
                .order_by(documents.c.version)
            ).all()
        assert versions == [0, 2]
        db.engine.dispose()


#: Before the search documents carried their section (0017).
BEFORE_SECTIONS = "d0a4c6e10016"


def test_documents_take_the_section_of_their_revision(scratch_url):
    app = make_test_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade()
        article_id = _updated_story(section="world")
        db.session.remove()
        flask_migrate.downgrade(revision=BEFORE_SECTIONS)

        flask_migrate.upgrade()

        documents = table("search_documents")
        with db.engine.begin() as connection:
            sections = connection.execute(
                select(documents.c.version, documents.c.section)
                .where(documents.c.article_id == article_id)
                .order_by(documents.c.version)
            ).all()
            # The vectors were left as they were, and are computed again on a change.
            titles = connection.execute(
                text("UPDATE search_documents SET headline = 'Quarry' RETURNING tsv_title")
            ).scalars()
            vectors = [str(title) for title in titles]
        assert [tuple(row) for row in sections] == [(0, "world"), (1, "local"), (2, "world")]
        if make_url(scratch_url).get_backend_name() == "postgresql":
            assert len(vectors) == 3
            assert all("quarri" in vector for vector in vectors)
        flask_migrate.check()
        db.engine.dispose()


#: Before SQLite kept each document's scope in a table of its own (0018).
BEFORE_SCOPES = "e1b5d7f20017"


def test_existing_documents_get_their_scope_and_the_downgrade_drops_it(scratch_url):
    if make_url(scratch_url).get_backend_name() != "sqlite":
        pytest.skip("the migration changes only SQLite")
    app = make_test_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_SCOPES)
        article_id = _updated_story(section="world")
        db.session.remove()

        flask_migrate.upgrade()

        with db.engine.connect() as connection:
            documents = connection.exec_driver_sql(
                "SELECT id, article_id, version, config, section FROM search_documents ORDER BY id"
            ).all()
            scopes = connection.exec_driver_sql(
                "SELECT id, article_id, version, config, section FROM search_scopes ORDER BY id"
            ).all()
        assert [(row.article_id, row.version) for row in documents] == [
            (article_id, 0),
            (article_id, 1),
            (article_id, 2),
        ]
        assert scopes == documents
        flask_migrate.check()

        flask_migrate.downgrade(revision=BEFORE_SCOPES)
        with db.engine.connect() as connection:
            left = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE 'search_scopes%'"
            ).all()
        assert left == []
        db.engine.dispose()
