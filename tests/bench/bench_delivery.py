"""Partner content API through gunicorn (2 workers), against bare Flask in the same run.

Prints single-article reads and 304 revalidations by a partner as ratios to a
bare Flask endpoint served the same way and measured in turn with them (beside
the app's own ``/healthz``, which pays the same per-request plumbing: request
id, access log line, the unit of work's hooks), and Atom feeds of 50 stories per
second: rendered from scratch in-process, and served through gunicorn (where
an unchanged feed comes from the per-process cache). Runs on SQLite, and on
PostgreSQL too when ``CMS_TEST_DATABASE_URL`` names a server.
"""

from __future__ import annotations

import time
import urllib.request
from datetime import UTC, datetime

import flask_migrate

from cms.articles import operations as article_ops
from cms.auth import operations as auth_ops
from cms.core.extensions import db
from cms.delivery import access, feeds, queries, representations
from cms.delivery import operations as delivery_ops
from cms.workflow import operations as workflow_ops
from tests.bench.bench_core import BODY, CONNECTIONS, SECONDS, databases, read
from tests.bench.load import interleaved, measurement
from tests.conftest import make_test_app
from tests.servers import gunicorn

STORIES = 60
FEED_ITEMS = 50


def prepare(url: str) -> tuple[str, list[int]]:
    """Migrate ``url``; publish :data:`STORIES` stories and create a partner with a key."""
    app = make_test_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        reporter = auth_ops.create_user(
            email="reporter@bench.test", name="Bench Reporter", role="reporter",
            password="bench-password",
        )  # fmt: skip
        editor = auth_ops.create_user(
            email="editor@bench.test", name="Bench Editor", role="editor",
            password="bench-password",
        )  # fmt: skip
        ids = []
        for n in range(STORIES):
            article = article_ops.create_article(
                {
                    "headline": f"Council agrees budget, part {n}",
                    "deck": "After a long debate",
                    "dateline": {"city": "Portsmouth", "country": "UK", "agency": "Bench Wire"},
                    "bylines": [{"name": "Bench Reporter", "affiliation": "Bench Wire"}],
                    "section": "local",
                    "keywords": ["council", "budget"],
                    "body": BODY,
                },
                reporter,
            )
            article = workflow_ops.submit(article, article.etag, reporter)
            article = workflow_ops.approve(article, article.etag, editor)
            article = workflow_ops.publish(article, article.etag, editor)
            ids.append(article.id)
        _partner, key = delivery_ops.create_partner(name="Bench Gazette")
        db.session.commit()
        db.engine.dispose()
    return key, ids


def render_rate(url: str, key: str) -> float:
    """Atom documents of :data:`FEED_ITEMS` stories rendered per second, in-process, uncached."""
    app = make_test_app(url)
    with app.app_context():
        reader = access.authenticate(key)
        found, _ = queries.list_articles(reader, limit=FEED_ITEMS)
        now = datetime.now(UTC)
        items = [representations.representation(f, reader, embargoed=False) for f in found]
        db.engine.dispose()
    info = feeds.FeedInfo(
        id="tag:bench,2026:feed",
        title="Bench",
        self_url="http://bench.test/content/v1/feeds/atom",
        base_url="http://bench.test/",
        author="Bench",
        now=now,
    )
    rounds, began = 0, time.perf_counter()
    while time.perf_counter() - began < min(SECONDS, 2.0):
        feeds.atom_feed(info, items)
        rounds += 1
    return rounds / (time.perf_counter() - began)


def bench(label: str, url: str) -> dict[str, float]:
    """Print the figures on the database at ``url``; return the hot-path rows."""
    key, ids = prepare(url)
    auth = {"Authorization": f"Bearer {key}"}
    # The bench is one partner making thousands of requests: above any partner's quota.
    env = {"CMS_DATABASE_URL": url, "CMS_PARTNER_RATE_LIMIT": "100000/minute"}
    with gunicorn("tests.bench.bare:app") as bare, gunicorn(env=env) as cms:
        etags = {}
        for article_id in ids:
            request = urllib.request.Request(
                f"{cms.base_url}/content/v1/articles/{article_id}", headers=auth
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                etags[article_id] = response.headers["ETag"]

        def article(index: int, state: dict):
            state["n"] = state.get("n", index) + CONNECTIONS
            article_id = ids[state["n"] % len(ids)]
            return "GET", f"/content/v1/articles/{article_id}", None, auth

        def revalidation(index: int, state: dict):
            method, path, body, headers = article(index, state)
            article_id = int(path.rsplit("/", 1)[1])
            return method, path, body, {**headers, "If-None-Match": etags[article_id]}

        figures = interleaved(
            {
                "base": read(bare.base_url, "/article"),
                "floor": read(cms.base_url, "/healthz"),
                "reads": measurement(cms.base_url, article, threads=CONNECTIONS),
                "not_modified": measurement(
                    cms.base_url, revalidation, threads=CONNECTIONS, expect=(304,)
                ),
                "feed": read(cms.base_url, f"/content/v1/feeds/atom?limit={FEED_ITEMS}", auth),
            },
            SECONDS,
        )
        base, floor, reads = figures["base"], figures["floor"], figures["reads"]
        not_modified, feed = figures["not_modified"], figures["feed"]
    rendered = render_rate(url, key)

    print(f"\n== partner content API on {label} (gunicorn, 2 workers, {CONNECTIONS} clients)")
    print(base.line("bare Flask GET (baseline)"))
    print(floor.line("GET /healthz (the app's floor)", base))
    print(reads.line("GET /content/v1/articles/{id} (200)", base))
    print(not_modified.line("GET /content/v1/articles/{id} (304)", base))
    print(feed.line(f"GET /content/v1/feeds/atom ({FEED_ITEMS} items)", base))
    print(f"{'Atom feed of 50 items, rendered in-process':<44} {rendered:8.0f} feeds/s")
    return {
        "healthz": floor.rate / base.rate,
        "partner": reads.rate / base.rate,
        "not_modified": not_modified.rate / base.rate,
    }


def main() -> dict[str, dict[str, float]]:
    """Print the figures on each database; return the hot-path rows by database."""
    return {label: bench(label, url) for label, url in databases()}


if __name__ == "__main__":
    main()
