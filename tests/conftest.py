"""Fixtures: one app per database, each test inside a rolled-back transaction.

Every test runs on SQLite, and again on PostgreSQL when ``CMS_TEST_DATABASE_URL``
names a server: a fresh database is created there for the session (by running
the migrations) and dropped at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import flask_migrate
import pytest
from flask import Flask, has_request_context
from flask.globals import app_ctx, request_ctx
from hypothesis import settings
from sqlalchemy import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from cms.app import create_app
from cms.config import engine_options
from cms.core.changes import count_change
from cms.core.extensions import db
from cms.delivery.models import FanOutCursor
from tests import factories
from tests.databases import scratch_postgres

PG_URL = os.environ.get("CMS_TEST_DATABASE_URL")

# In CI, property tests draw the same examples on every run, so a red build is
# reproducible and never a roll of the dice; locally they explore.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
DATABASES = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """The URL of an empty database of each kind, for the whole session."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'cms.db'}"
        return
    with scratch_postgres(PG_URL, "cms_test") as url:
        yield url


def make_test_app(url: str, **config) -> Flask:
    """Return an app on ``url`` configured for tests."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
            "CMS_TIMEZONE": "America/New_York",
            # The suite logs in over HTTP many times from one address; the tests
            # of the throttle set their own limits.
            "CMS_LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
            "CMS_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
            # Partners' quotas likewise (tests of quotas give a partner its own);
            # usage counts are flushed by the tests that look at them.
            "CMS_PARTNER_RATE_LIMIT": "100000 per minute",
            "CMS_USAGE_FLUSH_SECONDS": 0,
            **config,
        }
    )


@pytest.fixture
def scratch_url(database_url, tmp_path) -> Iterator[str]:
    """A second, empty database of the same kind as the session's (for migration tests)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    with scratch_postgres(database_url) as scratch:
        yield scratch


@pytest.fixture(scope="session")
def app(database_url) -> Iterator[Flask]:
    """The application on a database built by running the migrations."""
    app = make_test_app(database_url)
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def _context_id() -> int:
    # One session per request, as in production, even though the test's own
    # app context stays pushed while the test client makes requests.
    return id(
        request_ctx._get_current_object()
        if has_request_context()
        else app_ctx._get_current_object()
    )


@pytest.fixture
def session(app) -> Iterator[scoped_session]:
    """A session whose every commit is a savepoint in a transaction rolled back after the test.

    The application's own commits (once per request) stay real commits as far
    as the code can tell; nothing survives the test.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(
                bind=connection, class_=Session, join_transaction_mode="create_savepoint"
            ),
            scopefunc=_context_id,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            # What the test committed is undone: no cache may still answer from it.
            count_change()


@pytest.fixture
def client(app, session):
    return app.test_client()


@pytest.fixture
def live_db(app) -> Iterator[Flask]:
    """Real commits, visible to other threads and processes; tables emptied afterwards."""
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            # As the migrations leave it: the fan-out cursor is a single row.
            connection.execute(FanOutCursor.__table__.insert().values(id=1, event_id=0))
        count_change()  # nothing announced the emptied tables


@pytest.fixture
def reporter(session):
    return factories.user(role="reporter", name="Rita Reporter")


@pytest.fixture
def editor(session):
    return factories.user(role="editor", name="Eddie Editor")


@pytest.fixture
def admin(session):
    return factories.user(role="admin", name="Ada Admin")
