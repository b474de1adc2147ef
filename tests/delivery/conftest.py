"""Fixtures for delivery: fast webhook settings, a real receiver, a worker pass."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import receivers

#: Webhook settings that keep tests fast: short timeouts, tiny backoffs.
FAST_WEBHOOKS = {
    "CMS_WEBHOOK_ALLOW_PRIVATE": True,
    "CMS_WEBHOOK_TIMEOUT": 1.0,
    "CMS_WEBHOOK_LEASE_SECONDS": 3.0,
    "CMS_WEBHOOK_BACKOFF_BASE": 0.01,
    "CMS_WEBHOOK_BACKOFF_MAX": 0.05,
    "CMS_WEBHOOK_MAX_ATTEMPTS": 3,
    "CMS_PARTNER_KEY_CACHE_SECONDS": 0.0,
}


@pytest.fixture(autouse=True)
def fast_webhooks(request) -> Iterator[None]:
    """Loopback receivers allowed and short timeouts, for this test only.

    Tests of pure code (no ``app``) do not get an app, so they run once, not
    once per database.
    """
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    saved = {name: app.config[name] for name in FAST_WEBHOOKS}
    app.config.update(FAST_WEBHOOKS)
    try:
        yield
    finally:
        app.config.update(saved)


@pytest.fixture
def receiver() -> Iterator[receivers.Receiver]:
    with receivers.running() as running:
        yield running
