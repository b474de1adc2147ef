"""Core API throughput through gunicorn (2 workers), against bare Flask in the same run.

Prints single-article reads per second (:data:`CONNECTIONS` clients) and
revision writes per second (:data:`WRITERS` clients, each PATCHing its own
story with ``If-Match``), each as a ratio to a bare Flask endpoint served the
same way, measured in turn with it (:func:`tests.bench.load.interleaved`). Runs
on SQLite, and on PostgreSQL too when ``CMS_TEST_DATABASE_URL`` names a server.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator

import flask_migrate

from cms.articles import operations as article_ops
from cms.auth import operations as auth_ops
from cms.core.extensions import db
from tests.bench.load import Measurement, interleaved, measurement
from tests.conftest import make_test_app
from tests.databases import scratch_postgres
from tests.servers import gunicorn

#: Concurrent clients of the read benchmarks (the issue's "16 connections").
CONNECTIONS = 16
#: Concurrent writers, each editing its own story.
WRITERS = 8
SECONDS = float(os.environ.get("CMS_BENCH_SECONDS", "4"))
BODY = "\n\n".join(
    f"Paragraph {n}: the council met on Tuesday and agreed the budget after a long debate."
    for n in range(40)
)


def databases() -> Iterator[tuple[str, str]]:
    """Yield (label, url) for a scratch SQLite database and, if configured, PostgreSQL."""
    with tempfile.TemporaryDirectory() as folder:
        yield "sqlite", f"sqlite:///{folder}/bench.db"
    server = os.environ.get("CMS_TEST_DATABASE_URL")
    if not server:
        return
    with scratch_postgres(server, "cms_bench") as url:
        yield "postgresql", url


def prepare(url: str) -> tuple[str, list[tuple[int, str]]]:
    """Migrate ``url`` and create a user, a token and one article per writer."""
    app = make_test_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        user = auth_ops.create_user(
            email="bench@example.test", name="Bench", role="editor", password="bench-password"
        )
        token, _ = auth_ops.issue_token(user.email, "bench-password")
        articles = [
            article_ops.create_article({"headline": f"Story {n}", "body": BODY}, user)
            for n in range(WRITERS)
        ]
        db.session.commit()
        result = token, [(a.id, a.etag) for a in articles]
        db.engine.dispose()
    return result


def read(base_url: str, path: str, headers: dict[str, str] | None = None) -> Measurement:
    """A measurement of GETs of ``path`` from :data:`CONNECTIONS` clients."""
    return measurement(
        base_url, lambda i, s: ("GET", path, None, headers or {}), threads=CONNECTIONS
    )


def bench(label: str, url: str) -> dict[str, float]:
    """Print the figures on the database at ``url``; return the hot-path rows."""
    token, articles = prepare(url)
    auth = {"Authorization": f"Bearer {token}"}
    # Each writer's next body and the ETag of its story's head, from one slice to the next.
    writers: list[dict] = [{"etag": etag} for _id, etag in articles]

    def write_request(index: int, state: dict):
        state["n"] = state.get("n", 0) + 1
        body = json.dumps({"body": f"{BODY}\n\nUpdate number {state['n']}."}).encode()
        headers = {**auth, "Content-Type": "application/json", "If-Match": state["etag"]}
        return "PATCH", f"/api/v1/articles/{articles[index][0]}", body, headers

    def remember_etag(index: int, state: dict, response) -> None:
        state["etag"] = response.getheader("ETag", state["etag"])

    def article_read(index: int, state: dict):
        return "GET", f"/api/v1/articles/{articles[index % WRITERS][0]}", None, auth

    def bare_write(index: int, state: dict):
        return "PATCH", "/article", b"{}", {"Content-Type": "application/json"}

    with gunicorn("tests.bench.bare:app") as bare, gunicorn(env={"CMS_DATABASE_URL": url}) as cms:
        figures = interleaved(
            {
                "read_base": read(bare.base_url, "/article"),
                "reads": measurement(cms.base_url, article_read, threads=CONNECTIONS),
                "write_base": measurement(bare.base_url, bare_write, threads=WRITERS),
                "writes": measurement(
                    cms.base_url,
                    write_request,
                    threads=WRITERS,
                    on_response=remember_etag,
                    states=writers,
                ),
            },
            SECONDS,
        )
    read_base, reads = figures["read_base"], figures["reads"]
    write_base, writes = figures["write_base"], figures["writes"]

    print(f"\n== core API on {label} (gunicorn, 2 workers) ==")
    print(read_base.line(f"bare Flask GET (baseline, {CONNECTIONS} clients)"))
    print(reads.line("GET /api/v1/articles/{id}", read_base))
    print(write_base.line(f"bare Flask PATCH (baseline, {WRITERS} clients)"))
    print(writes.line(f"PATCH, {WRITERS} writers on their own stories", write_base))
    return {
        "editors": reads.rate / read_base.rate,
        "writes": (writes.requests - writes.errors) / writes.seconds,
    }


def main() -> dict[str, dict[str, float]]:
    """Print the figures on each database; return the hot-path rows by database."""
    return {label: bench(label, url) for label, url in databases()}


if __name__ == "__main__":
    main()
