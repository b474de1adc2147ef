"""The application factory: configuration, extensions, both APIs and the CLI."""

from __future__ import annotations

import os
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_cors import CORS

from cms import config
from cms.articles.views import blp as articles_blp
from cms.auth import operations as auth
from cms.auth.views import auth_blp, throttle_logins, users_blp
from cms.cli import cms_cli
from cms.core.api import ProblemApi
from cms.core.changes import init_announcements
from cms.core.database import configure_custom_plans, configure_liveness, configure_read_only
from cms.core.extensions import db, make_api, make_content_api, migrate
from cms.core.http import (
    configure_logging,
    init_body_limit,
    init_json_bodies,
    init_request_tracking,
    init_unit_of_work,
)
from cms.core.limiter import confine_limiter, init_limiter
from cms.core.sqlite import configure_sqlite, defer_write_lock
from cms.core.views import blp as core_blp
from cms.delivery import content_views
from cms.delivery.views import blp as partners_blp
from cms.desk.views import blp as desk_blp
from cms.ingest.views import blp as ingest_blp
from cms.ingest.views import takes_blp
from cms.notes.views import blp as notes_blp
from cms.workflow.views import blp as workflow_blp


class _UnsortedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, keeping keys in the order the schemas declare them."""

    sort_keys = False


class _App(Flask):
    """Flask, asking once per function whether it must run as a coroutine."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._coroutines: dict[Callable[..., Any], bool] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # Flask asks this of every hook and view of every request (about ten a
        # request, ~0.4 µs each); the answer for a function never changes. A method
        # view's method is bound anew per request: the function it binds is the key.
        key = getattr(func, "__func__", func)
        coroutine = self._coroutines.get(key)
        if coroutine is None:
            coroutine = self._coroutines[key] = iscoroutinefunction(func)
        return self.async_to_sync(func) if coroutine else func


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application.

    Configuration comes from ``CMS_*`` environment variables (see
    :mod:`cms.config`); ``test_config`` overrides it. Raises ``ValueError`` for
    a malformed variable.
    """

    app = _App(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config.API_SETTINGS)
    app.config.update(config.CONTENT_API_SETTINGS)
    app.config.update(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.json = _UnsortedJSONProvider(app)

    configure_logging(app)
    db.init_app(app)
    init_announcements()
    with app.app_context():
        configure_sqlite(db.engine)
        configure_read_only(db.engine)
        configure_custom_plans(db.engine)
        configure_liveness(db.engine)
    # Article writes are compare-and-swaps: on SQLite they need the write lock
    # only from their first write, not while they load, diff and render.
    defer_write_lock(app, articles_blp.name)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations"
        ),
    )
    # After-request hooks run last-registered first: the unit of work commits
    # (and may turn the answer into a 503) before the request is logged.
    init_request_tracking(app)
    init_unit_of_work(app)
    # Before-request hooks run in this order: the body is read within its limit,
    # then parsed within its bounds, before the login throttle looks at it.
    init_body_limit(app)
    init_json_bodies(app)
    limiter = init_limiter(app)
    throttle_logins(
        limiter,
        per_account=app.config["CMS_LOGIN_LIMIT_PER_ACCOUNT"],
        per_address=app.config["CMS_LOGIN_LIMIT_PER_ADDRESS"],
    )
    # The login limits are the only ones: other requests skip the limiter.
    confine_limiter(app, limiter, [auth_blp.name])
    auth.init_app(app)
    _init_cors(app)

    api = make_api()
    api.init_app(app)
    content_api = make_content_api()
    content_api.init_app(app)
    _register_blueprints(app, api, content_api)
    _register_commands(app)
    return app


def _init_cors(app: Flask) -> None:
    origins = app.config["CMS_CORS_ORIGINS"]
    if not origins:
        return

    CORS(
        app,
        resources={r"/api/*": {"origins": origins}},
        expose_headers=["ETag", "Location", "X-Request-Id"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        max_age=600,
    )


def _register_blueprints(app: Flask, api: ProblemApi, content_api: ProblemApi) -> None:

    api.register_blueprint(auth_blp)
    api.register_blueprint(users_blp)
    api.register_blueprint(articles_blp)
    api.register_blueprint(ingest_blp)
    api.register_blueprint(takes_blp)
    api.register_blueprint(workflow_blp)
    api.register_blueprint(notes_blp)
    api.register_blueprint(partners_blp)
    content_api.register_blueprint(content_views.articles_blp)
    content_api.register_blueprint(content_views.changes_blp)
    content_api.register_blueprint(content_views.search_blp)
    content_api.register_blueprint(content_views.feeds_blp)
    app.register_blueprint(core_blp)
    app.register_blueprint(desk_blp)


def _register_commands(app: Flask) -> None:

    app.cli.add_command(cms_cli)
