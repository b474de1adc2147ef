"""Migration 0009 with data in it: a story that follows another is a replacement."""

from __future__ import annotations

from datetime import UTC, datetime

import flask_migrate
from sqlalchemy import inspect, select

from cms.core.extensions import db
from tests.conftest import make_test_app
from tests.migration_data import insert_user_and_article, table

#: Before partner credit and lineage kinds (0009).
BEFORE_CREDIT = "b2d8f6e30008"


def test_existing_followers_become_replacements_and_the_downgrade_undoes(scratch_url):
    app = make_test_app(scratch_url)
    now = datetime.now(UTC)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_CREDIT)
        with db.engine.begin() as connection:
            insert_user_and_article(connection, now, status="withdrawn")
            connection.execute(
                table("articles").insert(),
                {"id": 2, "slug": "t", "status": "draft", "head_number": 1, "lock_version": 1,
                 "created_by_id": 1, "created_at": now, "updated_at": now, "follows_id": 1},
            )  # fmt: skip

        flask_migrate.upgrade()
        articles = table("articles")
        with db.engine.connect() as connection:
            kinds = connection.execute(
                select(articles.c.id, articles.c.follows_kind).order_by(articles.c.id)
            ).all()
        assert [tuple(row) for row in kinds] == [(1, None), (2, "replacement")]
        partner_columns = {c["name"] for c in inspect(db.engine).get_columns("partners")}
        assert {"copyright_holder", "usage_terms"} <= partner_columns

        flask_migrate.downgrade(revision=BEFORE_CREDIT)
        inspector = inspect(db.engine)
        assert "follows_kind" not in {c["name"] for c in inspector.get_columns("articles")}
        columns = {c["name"] for c in inspector.get_columns("partners")}
        assert {"copyright_holder", "usage_terms"}.isdisjoint(columns)
        flask_migrate.upgrade()
        flask_migrate.check()
        db.engine.dispose()
