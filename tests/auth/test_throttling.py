"""Login throttling: per client address, per account, counted in memory or in Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask

from cms.auth.views import account_key
from tests import factories
from tests.conftest import make_test_app
from tests.servers import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
LOGIN = "/api/v1/auth/tokens"


@pytest.fixture
def throttled(database_url, session) -> Callable[..., Flask]:
    """Make apps allowing 3 failed logins per account and 5 logins per address a minute."""

    def make(**config) -> Flask:
        return make_test_app(
            database_url,
            CMS_LOGIN_LIMIT_PER_ACCOUNT="3 per minute",
            CMS_LOGIN_LIMIT_PER_ADDRESS="5 per minute",
            **config,
        )

    return make


def login(app: Flask, email: str, password: str, address: str = "198.51.100.1"):
    return app.test_client().post(
        LOGIN, json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith(":too-many-requests")
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 60
    assert response.json["retry_after"] == retry_after


def test_failed_logins_are_limited_per_account_from_any_address(throttled, reporter, editor):
    app = throttled()
    failures = [
        login(app, reporter.email, "not the password", f"198.51.100.{n}").status_code
        for n in range(3)
    ]

    blocked = login(app, f"  {reporter.email.upper()} ", factories.PASSWORD, "203.0.113.9")

    assert failures == [401] * 3
    assert_throttled(blocked)
    assert login(app, editor.email, factories.PASSWORD, "203.0.113.9").status_code == 201


def test_successful_logins_do_not_count_against_the_account(throttled, reporter):
    app = throttled()

    statuses = [
        login(app, reporter.email, factories.PASSWORD, f"198.51.100.{n}").status_code
        for n in range(5)
    ]

    assert statuses == [201] * 5


def test_every_login_counts_against_the_address(throttled, reporter, editor):
    app = throttled()
    attempts = [
        login(app, user.email, password).status_code
        for user, password in [
            (reporter, factories.PASSWORD),
            (editor, factories.PASSWORD),
            (reporter, "wrong password"),
            (editor, factories.PASSWORD),
            (reporter, factories.PASSWORD),
        ]
    ]

    assert attempts == [201, 201, 401, 201, 201]
    assert_throttled(login(app, editor.email, factories.PASSWORD))
    assert login(app, editor.email, factories.PASSWORD, "198.51.100.2").status_code == 201


def test_bodies_that_name_no_account_are_still_limited_per_address(throttled):
    app = throttled()
    client = app.test_client()
    bodies = [{}, {"email": 5}, {"email": "\ud800"}, [], "x"] + [{"email": "a@b.c"}] * 3

    statuses = [client.post(LOGIN, json=body).status_code for body in bodies]

    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429] * 3


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"email": ' + b"9" * 5000 + b"}", b"\xff", b""],
)
def test_the_account_key_never_fails_whatever_the_body(app, body):
    """An error in a key function would count as a storage failure: it must not raise."""
    with app.test_request_context(LOGIN, method="POST", json={}):
        nobody = account_key()
    with app.test_request_context(
        LOGIN, method="POST", data=body, content_type="application/json"
    ):
        assert account_key() == nobody


def test_other_endpoints_are_not_limited(throttled, reporter):
    app = throttled()
    headers = factories.auth(reporter)

    statuses = {
        app.test_client().get("/api/v1/auth/me", headers=headers).status_code for _ in range(8)
    }

    assert statuses == {200}


@pytest.mark.parametrize(("hops", "counted_apart"), [(0, False), (1, True)])
def test_forwarded_addresses_count_only_behind_a_configured_proxy(
    throttled, reporter, hops, counted_apart
):
    app = throttled(CMS_PROXY_HOPS=hops)
    client = app.test_client()

    def attempt(forwarded_for: str) -> int:
        return client.post(
            LOGIN,
            json={"email": reporter.email, "password": factories.PASSWORD},
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
        ).status_code

    first = [attempt("198.51.100.1") for _ in range(5)]

    assert first == [201] * 5
    assert attempt("198.51.100.1") == 429
    assert attempt("198.51.100.2") == (201 if counted_apart else 429)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the local Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis at 127.0.0.1:6379 (.ci/run starts one)")
    prefix = f"cms-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


def test_processes_sharing_redis_share_the_counts(throttled, redis_prefix, reporter):
    one, other = (
        throttled(CMS_RATELIMIT_STORAGE_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix)
        for _ in range(2)
    )
    for app in (one, other, one):
        assert login(app, reporter.email, "wrong password").status_code == 401

    assert_throttled(login(other, reporter.email, factories.PASSWORD, "203.0.113.1"))
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{redis_prefix}*")
    assert keys
    assert not any(reporter.email.encode() in key for key in keys)


def test_logins_are_still_limited_in_memory_when_redis_is_down(throttled, reporter):
    app = throttled(CMS_RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{free_port()}/0")

    failures = [login(app, reporter.email, "wrong password").status_code for _ in range(3)]

    assert failures == [401] * 3
    assert_throttled(login(app, reporter.email, factories.PASSWORD))
