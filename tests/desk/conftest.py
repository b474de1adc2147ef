"""The desk served for real: the demo newsroom committed, a threaded server, Chromium.

The browser tests drive Debian's Chromium (``/usr/bin/chromium``) with Playwright
for Python; where either is missing they are skipped with a message and the rest
of the suite runs. Screenshots go to ``tests/artifacts/desk/``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from cms.core.extensions import db
from cms.demo import load_demo

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "desk"
#: Generous: the machine running the suite may be busy.
TIMEOUT_MS = 60_000


@pytest.fixture
def desk_server(live_db) -> Iterator[str]:
    """The app with the demo newsroom, committed, served on a free loopback port."""
    load_demo()
    db.session.commit()
    db.session.remove()
    server = make_server("127.0.0.1", 0, live_db, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser():
    """Chromium driven by Playwright, or a skip saying what is missing.

    Per module, so that Playwright's event loop is gone before other tests run.
    """
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed (dev extras)"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()


class Console:
    """The JavaScript errors a page reported: console errors and uncaught exceptions."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def unexpected(self, *allowed: str) -> list[str]:
        return [e for e in self.errors if not any(text in e for text in allowed)]


@pytest.fixture
def desk_page(browser, desk_server):
    """A fresh browser context and page at 1280 x 900, with its console watched."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=desk_server)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console = Console(page)
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name: str, element=None, *, full_page: bool = True) -> Path:
    """Save a screenshot as a test artifact (the page, or ``element``); return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if element is None:
        page.screenshot(path=str(path), full_page=full_page)
    else:
        element.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path
