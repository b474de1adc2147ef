"""Migrations: one head, models in step, and downgrades that really undo."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from cms.core.extensions import db
from tests.conftest import make_test_app

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def test_there_is_a_single_head():
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))

    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_the_migrations(app):
    with app.app_context():
        flask_migrate.check()  # raises when autogenerate would find differences


def test_downgrade_to_base_and_upgrade_again(scratch_url):
    app = make_test_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        flask_migrate.upgrade()
        flask_migrate.check()
        assert {"articles", "revisions", "bodies", "users"} <= set(
            inspect(db.engine).get_table_names()
        )
        db.engine.dispose()


def test_foreign_keys_are_enforced_after_migrating(session):
    from sqlalchemy.exc import IntegrityError

    from cms.auth.models import ApiToken
    from cms.core.types import utcnow

    db.session.add(ApiToken(user_id=2_000_000, token_hash="0" * 64, expires_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()
