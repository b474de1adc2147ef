"""Migration 0006 with data in it: each piece of copy gets the take it was, from its revision."""

from __future__ import annotations

from datetime import UTC, datetime

import flask_migrate
from sqlalchemy import inspect, select

from cms.core.extensions import db
from tests.conftest import make_test_app
from tests.migration_data import insert_user_and_article, table

#: Before the takes were kept (0006): a take replaced its fields of the head.
BEFORE_TAKES = "3c8f5b1e2d74"


def test_existing_copy_is_filled_from_the_revision_it_produced(scratch_url):
    app = make_test_app(scratch_url)
    now = datetime.now(UTC)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_TAKES)
        with db.engine.begin() as connection:
            connection.execute(
                table("bodies").insert(),
                [{"hash": h * 64, "markdown": h, "html": h} for h in ("a", "b")],
            )
            insert_user_and_article(
                connection, now, role="reporter", status="draft", head_number=2, lock_version=2
            )
            connection.execute(
                table("revisions").insert(),
                [
                    {"id": n, "article_id": 1, "number": n, "author_id": 1, "created_at": now,
                     "summary": "x", "content_hash": "0" * 64, "headline": f"Take {n}",
                     "slug": "s", "dateline": {"city": "Oslo"} if n == 2 else None,
                     "bylines": [{"name": f"Writer {n}"}], "keywords": [], "language": "en",
                     "body_hash": "ab"[n - 1] * 64}
                    for n in (1, 2)
                ],
            )  # fmt: skip
            connection.execute(
                table("ingested_copy").insert(),
                [
                    {"id": n, "copy_hash": str(n) * 64, "take_key": "k", "article_id": 1,
                     "revision_number": n, "received_by_id": 1, "received_at": now,
                     "report": {"dropped": []}}
                    for n in (1, 2)
                ],
            )  # fmt: skip

        flask_migrate.upgrade()
        copy = table("ingested_copy")
        with db.engine.connect() as connection:
            rows = connection.execute(
                select(
                    copy.c.id, copy.c.headline, copy.c.dateline, copy.c.bylines, copy.c.body_hash
                ).order_by(copy.c.id)
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, "Take 1", None, [{"name": "Writer 1"}], "a" * 64),
            (2, "Take 2", {"city": "Oslo"}, [{"name": "Writer 2"}], "b" * 64),
        ]
        assert "follows_id" in {c["name"] for c in inspect(db.engine).get_columns("articles")}

        flask_migrate.downgrade(revision=BEFORE_TAKES)
        assert "follows_id" not in {c["name"] for c in inspect(db.engine).get_columns("articles")}
        columns = {c["name"] for c in inspect(db.engine).get_columns("ingested_copy")}
        assert {"headline", "dateline", "bylines", "body_hash"}.isdisjoint(columns)
        flask_migrate.upgrade()
        flask_migrate.check()
        db.engine.dispose()
