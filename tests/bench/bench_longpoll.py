"""Long polling: from a publication's commit to a waiting partner having it, through gunicorn.

gunicorn runs the production recipe's threaded worker (``gthread``, 2 workers of
16 threads). :data:`WAITERS` partners long poll ``/content/v1/changes?wait=30``;
once they all wait, a story is published (and committed) in this process, and
each waiter's time from the commit (its start) to its answer is recorded. Prints p50, p95
and the worst over :data:`ROUNDS` publications, on SQLite (a waiting request
checks every ``CMS_LONG_POLL_INTERVAL``, 0.25 s) and, when
``CMS_TEST_DATABASE_URL`` is set, PostgreSQL (woken by ``LISTEN``/``NOTIFY``).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request

import flask_migrate

from cms.articles import operations as article_ops
from cms.auth.models import User
from cms.core.extensions import db
from cms.delivery import operations as delivery_ops
from cms.workflow import operations as workflow_ops
from tests import factories
from tests.bench.bench_core import databases
from tests.conftest import make_test_app
from tests.servers import gunicorn

ROUNDS = 30
WAITERS = 8
#: Seconds the waiters are given to be waiting before a publication.
SETTLE = 0.3


def _changes(base_url: str, key: str, after: str | None, wait: int) -> dict:
    query = f"?wait={wait}" + (f"&after={after}" if after else "")
    request = urllib.request.Request(
        f"{base_url}/content/v1/changes{query}", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request, timeout=wait + 30) as response:
        return json.load(response)


def _wait(base_url: str, key: str, after: str, arrived: list[float]) -> None:
    """Long poll once; append when the answer came (list appends are atomic)."""
    page = _changes(base_url, key, after, 30)
    arrived.append(time.perf_counter())
    assert page["items"], "an empty page: the publication was not seen"


def bench(label: str, url: str) -> tuple[float, float, float]:
    """Return p50, p95 and the worst latency in milliseconds on the database at ``url``."""
    app = make_test_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        reporter = factories.user(role="reporter")
        editor = factories.user(role="editor")
        pending = []
        for n in range(ROUNDS):
            article = article_ops.create_article(
                {"headline": f"Flash {n}", "body": "Breaking."}, reporter
            )
            article = workflow_ops.submit(article, article.etag, reporter)
            article = workflow_ops.approve(article, article.etag, editor)
            pending.append(article.id)
        _partner, key = delivery_ops.create_partner(name="Bench Wire Desk")
        editor_id = editor.id
        db.session.commit()

    latencies: list[float] = []
    env = {
        "CMS_DATABASE_URL": url,
        "CMS_PARTNER_RATE_LIMIT": "100000/minute",
        "GUNICORN_CMD_ARGS": "--worker-class gthread --threads 16",
    }
    with gunicorn(env=env) as server, app.app_context():
        cursor = _changes(server.base_url, key, None, 0)["next_cursor"]
        for article_id in pending:
            arrived: list[float] = []
            waiters = [
                threading.Thread(target=_wait, args=(server.base_url, key, cursor, arrived))
                for _ in range(WAITERS)
            ]
            for waiter in waiters:
                waiter.start()
            time.sleep(SETTLE)
            article = article_ops.get_article(article_id)
            workflow_ops.publish(article, article.etag, db.session.get_one(User, editor_id))
            # From just before the commit: the commit's own time is counted too.
            committed = time.perf_counter()
            db.session.commit()
            for waiter in waiters:
                waiter.join(timeout=60)
            latencies += [(moment - committed) * 1000 for moment in arrived]
            cursor = _changes(server.base_url, key, cursor, 0)["next_cursor"]
        db.session.remove()
        db.engine.dispose()
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95, ordered[-1]


def main() -> None:
    print(
        f"\nlong polling: publish (commit) → {WAITERS} waiting partners have it, "
        f"{ROUNDS} publications, gunicorn gthread"
    )
    for label, url in databases():
        p50, p95, worst = bench(label, url)
        print(f"{label:<12} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {worst:7.1f} ms")


if __name__ == "__main__":
    main()
