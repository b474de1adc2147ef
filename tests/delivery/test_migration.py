"""Migrations of the outbox and delivery tables, with data in them (0004 and 0005)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import flask_migrate
from sqlalchemy import inspect, select, text

from cms.core.extensions import db
from cms.delivery import signing
from cms.delivery.dispatch import fan_out_next_event
from tests.conftest import make_test_app
from tests.migration_data import insert_user_and_article, table

BEFORE = "5b0c1d7e9a31"
#: Before the fan-out cursor (0005): deliveries were queued with the event.
BEFORE_CURSOR = "7d4e2a90c3f1"


def test_running_embargoes_stay_embargoed_and_the_downgrade_drops_only_releases(scratch_url):
    app = make_test_app(scratch_url)
    now = datetime.now(UTC)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            insert_user_and_article(connection, now)
            common = {"article_id": 1, "version_number": 1, "revision_number": 1,
                      "slug": "s", "created_at": now}  # fmt: skip
            connection.execute(
                table("delivery_events").insert(),
                [
                    {**common, "id": 1, "kind": "published", "embargo_until": None},
                    {**common, "id": 2, "kind": "updated", "embargo_until": now - timedelta(1)},
                    {**common, "id": 3, "kind": "updated", "embargo_until": now + timedelta(1)},
                ],
            )

        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            audiences = connection.execute(
                text("SELECT id, audience FROM delivery_events ORDER BY id")
            ).all()
        assert [tuple(row) for row in audiences] == [
            (1, "all"),
            (2, "all"),
            (3, "embargo_access"),
        ]

        with db.engine.begin() as connection:
            connection.execute(
                table("delivery_events").insert(),
                {**common, "id": 4, "kind": "updated", "embargo_until": now - timedelta(1),
                 "audience": "no_embargo_access", "releases_id": 2},
            )  # fmt: skip

        flask_migrate.downgrade(revision=BEFORE)
        columns = {c["name"] for c in inspect(db.engine).get_columns("delivery_events")}
        assert {"audience", "releases_id", "lifted_at"}.isdisjoint(columns)
        assert "partners" not in inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            ids = connection.execute(select(table("delivery_events").c.id)).scalars().all()
        assert sorted(ids) == [1, 2, 3]
        flask_migrate.upgrade()
        flask_migrate.check()
        db.engine.dispose()


def test_the_fan_out_cursor_starts_past_the_events_already_fanned_out(scratch_url):
    app = make_test_app(scratch_url)
    now = datetime.now(UTC)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_CURSOR)
        with db.engine.begin() as connection:
            insert_user_and_article(connection, now)
            connection.execute(
                table("delivery_events").insert(),
                [
                    {"id": n, "article_id": 1, "kind": "published", "version_number": 1,
                     "revision_number": 1, "slug": "s", "created_at": now, "audience": "all"}
                    for n in (1, 2)
                ],
            )  # fmt: skip

        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            cursor = connection.execute(text("SELECT id, event_id FROM fan_out_cursor")).all()
        assert [tuple(row) for row in cursor] == [(1, 2)]
        assert fan_out_next_event(now, set()) is None
        db.session.remove()

        flask_migrate.downgrade(revision=BEFORE_CURSOR)
        assert "fan_out_cursor" not in inspect(db.engine).get_table_names()
        db.engine.dispose()


#: Before partner transport (0010): first-release secrets and headers.
BEFORE_TRANSPORT = "c3e9a7f40009"


def test_existing_partners_keep_their_headers_and_key_and_the_downgrade_restores_them(
    scratch_url,
):
    app = make_test_app(scratch_url)
    now = datetime.now(UTC)
    first_release = "whsec_AbCdEfGhIjKlMnOpQrStUvWxYz-_0123456789abcdefg"
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_TRANSPORT)
        with db.engine.begin() as connection:
            connection.execute(
                table("partners").insert(),
                {"id": 1, "name": "Gazette", "embargo_access": False,
                 "webhook_secret": first_release, "active": True,
                 "created_at": now, "updated_at": now},
            )  # fmt: skip

        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(
                text("SELECT webhook_secret, webhook_headers, rate_limit FROM partners")
            ).one()
        assert row.webhook_headers == "newsroom"
        assert row.rate_limit is None
        assert signing.key_of(row.webhook_secret) == first_release.encode()
        assert signing.signature(row.webhook_secret, 1, b"{}") == (
            "v1=" + hmac.new(first_release.encode(), b"1.{}", hashlib.sha256).hexdigest()
        )

        flask_migrate.downgrade(revision=BEFORE_TRANSPORT)
        with db.engine.connect() as connection:
            secret = connection.execute(text("SELECT webhook_secret FROM partners")).scalar()
        columns = {c["name"] for c in inspect(db.engine).get_columns("partners")}
        assert secret == first_release
        assert {"webhook_headers", "rate_limit", "webhook_previous_secret"}.isdisjoint(columns)
        assert "partner_usage" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
