"""Database trouble: a refused, dropped, silent or busy database makes a fast 503, not a 500.

The peers are real: a port nobody listens on, a listener on 127.0.0.1 that
accepts connections and never says a word, a SQLite file that cannot be
opened, a PostgreSQL database dropped under the app, a table locked by
another connection.
"""

from __future__ import annotations

import contextlib
import select as select_module
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, url_for
from sqlalchemy import create_engine, func, make_url, select, text

from cms.auth.models import ApiToken
from cms.config import engine_options
from cms.core.errors import PROBLEM_MEDIA_TYPE
from cms.core.extensions import db
from tests import factories
from tests.conftest import make_test_app
from tests.databases import scratch_postgres
from tests.servers import free_port

#: Endpoints that answer without the database: the API documents and their files.
WITHOUT_DATABASE = {"openapi_json", "openapi_swagger_ui", "swagger_ui_file"}
#: The review desk's pages and files: shells that the browser fills from the API.
WITHOUT_DATABASE |= {"queue", "signin", "story", "static"}
#: A well-formed login; other endpoints check the token (in the database) before their body.
CREDENTIALS = {"email": "someone@example.test", "password": "whatever it is"}
#: Far above the 2-second connect timeout the tests set, far below gunicorn's 30 s.
GENEROUS_SECONDS = 25.0


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """Listen on a loopback port, accept every connection and never answer; yield the port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=10)
        for connection in accepted:
            connection.close()
        server.close()


@pytest.fixture
def app_on() -> Iterator[Callable[..., Flask]]:
    """Make apps whose database connections give up after 2 s; close their pools afterwards."""
    made: list[Flask] = []

    def make(url: str, *, statement_timeout: float = 20, **options) -> Flask:
        engine = engine_options(url, connect_timeout=2, statement_timeout=statement_timeout)
        # Every /healthz here must reach the database: no probe is reused.
        made.append(
            make_test_app(
                url, SQLALCHEMY_ENGINE_OPTIONS={**engine, **options}, CMS_HEALTH_PROBE_SECONDS=0
            )
        )
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def postgres_at(port: int) -> str:
    return f"postgresql+psycopg://cms@127.0.0.1:{port}/cms"


def assert_unavailable(response, started: float) -> None:
    """``response`` is the 503 problem with ``Retry-After``, given well within the bound."""
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_MEDIA_TYPE
    assert response.json["type"].endswith(":database-unavailable")
    assert int(response.headers["Retry-After"]) > 0
    assert time.monotonic() - started < GENEROUS_SECONDS


def every_endpoint(app: Flask) -> Iterator[tuple[str, str, str]]:
    """Yield (endpoint, method, path) for every route and method of ``app``."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            path = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, "1"))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, path


def sweep(app: Flask) -> list[str]:
    """Call every endpoint as an authenticated client would; return the paths that needed it."""
    client = app.test_client()
    headers = {"Authorization": "Bearer some-token", "If-Match": '"1.1"'}
    swept = []
    for endpoint, method, path in every_endpoint(app):
        started = time.monotonic()
        response = client.open(path, method=method, headers=headers, json=CREDENTIALS)
        if endpoint.rpartition(".")[2] in WITHOUT_DATABASE:
            assert response.status_code < 500, (method, path)
            continue
        assert_unavailable(response, started)
        swept.append(f"{method} {path}")
    return swept


def test_every_endpoint_answers_503_when_the_database_refuses_connections(app_on):
    app = app_on(postgres_at(free_port()))

    swept = sweep(app)

    assert "POST /api/v1/auth/tokens" in swept
    assert "GET /healthz" in swept
    assert "GET /content/v1/feeds/atom" in swept


def test_every_endpoint_answers_503_when_the_sqlite_file_cannot_be_opened(app_on, tmp_path):
    app = app_on(f"sqlite:///{tmp_path / 'no such folder' / 'cms.db'}")

    assert "POST /api/v1/auth/tokens" in sweep(app)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/auth/tokens"),
        ("GET", "/healthz"),
        ("GET", "/api/v1/articles"),
        ("GET", "/content/v1/articles"),
    ],
)
def test_a_database_that_accepts_and_never_answers_is_a_503_within_the_connect_timeout(
    app_on, method, path
):
    with silent_listener() as port:
        client = app_on(postgres_at(port)).test_client()
        started = time.monotonic()
        response = client.open(
            path,
            method=method,
            headers={"Authorization": "Bearer some-token"},
            json=CREDENTIALS,
        )

    assert_unavailable(response, started)


def test_no_free_pooled_connection_in_time_is_a_503(app_on, app, database_url):
    app = app_on(database_url, pool_size=1, max_overflow=0, pool_timeout=1)
    with app.app_context(), db.engine.connect():
        started = time.monotonic()
        response = app.test_client().post("/api/v1/auth/tokens", json=CREDENTIALS)

    assert_unavailable(response, started)


@pytest.fixture
def postgres_url(app, database_url) -> str:
    """The session's migrated database, on PostgreSQL only."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")
    return database_url


def test_a_dropped_database_is_a_503(app_on, postgres_url):
    with scratch_postgres(postgres_url) as url:
        app = app_on(url)
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()

        started = time.monotonic()
        response = client.post("/api/v1/auth/tokens", json=CREDENTIALS)
        assert_unavailable(response, started)


def test_a_pooled_connection_the_server_closed_is_replaced_not_handed_to_a_request(
    app_on, postgres_url
):
    with scratch_postgres(postgres_url) as url:
        app = app_on(url)
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        with app.app_context():
            assert db.engine.pool.checkedin() == 1
        # What a server restart does to the pool: every backend of the database ends.
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        others = "FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
        name = {"name": make_url(url).database}
        with admin.connect() as connection:
            connection.execute(text(f"SELECT pg_terminate_backend(pid) {others}"), name)
            for _ in range(200):  # until they are gone (termination is asynchronous)
                if not connection.execute(text(f"SELECT count(*) {others}"), name).scalar():
                    break
                time.sleep(0.05)
        admin.dispose()

        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz").status_code == 200


def test_a_live_pooled_connection_with_something_to_read_is_pinged_and_kept(app_on, postgres_url):
    app = app_on(postgres_url)
    client = app.test_client()
    with app.app_context():
        pooled = db.engine.raw_connection()
        pooled.driver_connection.execute("LISTEN cms_test_liveness")
        pooled.driver_connection.commit()
        socket_of = pooled.driver_connection.fileno()
        backend = pooled.driver_connection.info.backend_pid
        pooled.close()  # back to the pool, listening
    notifier = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with notifier.connect() as connection:
        connection.execute(text("NOTIFY cms_test_liveness"))
    notifier.dispose()
    for _ in range(100):  # until the notification is there to read
        if select_module.select([socket_of], [], [], 0.05)[0]:
            break

    assert client.get("/healthz").status_code == 200  # a read: autocommit after the ping
    assert client.post("/api/v1/auth/tokens", json=CREDENTIALS).status_code == 401
    with app.app_context():
        assert db.engine.pool.checkedin() == 1
        kept = db.engine.raw_connection()
        assert kept.driver_connection.info.backend_pid == backend  # pinged, not replaced
        kept.close()


def test_the_statement_timeout_bounds_a_query_that_waits_on_a_lock(app_on, postgres_url):
    app = app_on(postgres_url, statement_timeout=1)
    locker = create_engine(postgres_url)
    try:
        with locker.connect() as connection, connection.begin():
            connection.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            response = app.test_client().post("/api/v1/auth/tokens", json=CREDENTIALS)
    finally:
        locker.dispose()

    assert_unavailable(response, started)


def test_postgresql_connections_plan_without_jit(app_on, postgres_url):
    app = app_on(postgres_url)
    with app.app_context():
        assert db.session.scalar(text("SHOW jit")) == "off"


FAILING_COMMIT = (
    # What a server going down mid-commit reports (SQLSTATE 57P01, admin_shutdown).
    "CREATE FUNCTION test_failing_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'terminating connection due to administrator command' "
    "USING ERRCODE = '57P01'; END $$",
    "CREATE CONSTRAINT TRIGGER test_failing_commit AFTER INSERT ON api_tokens "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_failing_commit()",
)


def test_a_database_that_fails_at_the_commit_is_a_503(app_on, postgres_url, live_db, caplog):
    """The view succeeds; the commit fails (a deferred trigger plays the server going down)."""
    user = factories.user()
    with db.engine.begin() as connection:
        for statement in FAILING_COMMIT:
            connection.execute(text(statement))
    try:
        started = time.monotonic()
        response = (
            app_on(postgres_url)
            .test_client()
            .post(
                "/api/v1/auth/tokens", json={"email": user.email, "password": factories.PASSWORD}
            )
        )
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER test_failing_commit ON api_tokens"))
            connection.execute(text("DROP FUNCTION test_failing_commit()"))

    assert_unavailable(response, started)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert "POST /api/v1/auth/tokens 503" in caplog.text  # the log tells what the client got
