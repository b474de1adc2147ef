"""The cost of adversarial bodies and wire copy at the size limits.

For each shape of :mod:`tests.shapes` prints the seconds to store it as an
article (``POST /api/v1/articles``, through the app in-process on a scratch
SQLite database), to render it alone, to diff it against an edit of itself,
and to ingest it as wire copy (``POST /api/v1/ingest``); then the edit of a
full-size body into an unrelated full-size body. A refused shape shows its
status (422, and the time to refuse it). The target is 2 s for each figure.
Each figure is wall-clock seconds, then this process's CPU seconds: on a
loaded machine the first grows, the second is what the work itself costs.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable
from typing import Any

import flask_migrate
from flask import Flask
from flask.testing import FlaskClient

from cms.articles import diffs
from cms.articles.rendering import MARKUP_MAX, markup_weight, render_markdown
from cms.auth import operations as auth_ops
from cms.core.extensions import db
from tests.conftest import make_test_app
from tests.shapes import SHAPES, article_body, prose, wire_copy

TARGET = 2.0
COLUMN = 17


def timed(function: Callable[[], Any]) -> tuple[tuple[float, float], Any]:
    """Return the wall-clock and CPU seconds ``function`` took, and what it returned."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return (time.perf_counter() - start, time.process_time() - cpu), result


def prepare(app: Flask) -> dict[str, str]:
    """Migrate the app's database; return the headers of an editor."""
    with app.app_context():
        flask_migrate.upgrade()
        auth_ops.create_user(
            email="bench@example.test", name="Bench", role="editor", password="bench-password"
        )
        token, _ = auth_ops.issue_token("bench@example.test", "bench-password")
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def post_json(client: FlaskClient, path: str, payload: dict, headers: dict, method: str = "POST"):
    """Send ``payload`` as UTF-8 JSON (not ``\\u`` escapes, which would double its size)."""
    data = json.dumps(payload, ensure_ascii=False).encode()
    return client.open(
        path, method=method, data=data, content_type="application/json", headers=headers
    )


def ingest(client: FlaskClient, copy: bytes, headers: dict):
    return client.post(
        "/api/v1/ingest", data=copy, content_type="text/plain; charset=utf-8", headers=headers
    )


def _figure(seconds: tuple[float, float], status: int | None = None) -> str:
    wall, cpu = seconds
    mark = "" if wall <= TARGET else " !"
    refused = f" {status}" if status not in (None, 200, 201) else ""
    return f"{wall:5.2f}/{cpu:4.2f}{refused}{mark}".ljust(COLUMN)


def bench_shape(
    client: FlaskClient, shape: str, headers: dict, request_limit: int, copy_limit: int
) -> str:
    """Return the figures of one shape: its weight, then store, render, diff, ingest."""
    body = article_body(shape, request_limit)
    payload = {"headline": f"Shape {shape}", "body": body}
    stored, response = timed(lambda: post_json(client, "/api/v1/articles", payload, headers))
    if response.status_code == 201:
        rendered, _ = timed(lambda: render_markdown(body))
        middle = len(body) // 2
        edited = {"body": body[:middle] + " an edit " + body[middle:]}
        diffed, _ = timed(lambda: diffs.summarize(diffs.diff_documents({"body": body}, edited)))
        figures = _figure(stored) + _figure(rendered) + _figure(diffed)
    else:
        figures = _figure(stored, response.status_code) + " " * 2 * COLUMN
    copy = wire_copy(shape, copy_limit)
    ingested, response = timed(lambda: ingest(client, copy, headers))
    return f"{markup_weight(body):>10,}  {figures}{_figure(ingested, response.status_code)}"


def bench_shapes(app: Flask, headers: dict[str, str]) -> None:
    request_limit = app.config["MAX_CONTENT_LENGTH"]
    copy_limit = app.config["CMS_INGEST_MAX_BYTES"]
    print(
        f"body: the largest that fits a {request_limit:,}-byte request; copy: "
        f"{copy_limit:,} bytes; markup weight allowed: {MARKUP_MAX:,}; target {TARGET} s; "
        f"figures: wall/CPU seconds, then the status if not a success"
    )
    columns = "".join(name.ljust(COLUMN) for name in ("store", "render", "diff", "ingest"))
    print(f"{'shape':24} {'weight':>10}  {columns}")
    client = app.test_client()
    for shape in SHAPES:
        print(f"{shape:24} {bench_shape(client, shape, headers, request_limit, copy_limit)}")

    first = prose(request_limit - 1000, seed=1)
    second = prose(request_limit - 1000, seed=2)
    created = post_json(
        client, "/api/v1/articles", {"headline": "Unrelated", "body": first}, headers
    )
    diffed, _ = timed(
        lambda: diffs.summarize(diffs.diff_documents({"body": first}, {"body": second}))
    )
    path = f"/api/v1/articles/{created.json['id']}"
    edit_headers = {**headers, "If-Match": created.headers["ETag"]}
    edited, response = timed(
        lambda: post_json(client, path, {"body": second}, edit_headers, method="PATCH")
    )
    print(
        f"{'unrelated full-size edit':24} {'':>10}  {_figure(edited, response.status_code)}"
        f"{'':{COLUMN}}{_figure(diffed)}"
    )
    take = b"A full-size story\n\n" + prose(copy_limit - 1000, seed=3).encode()
    ingest(client, take, headers)
    rewritten = b"A full-size story\n\n" + prose(copy_limit - 1000, seed=4).encode()
    merged, response = timed(lambda: ingest(client, rewritten, headers))
    padding = " " * 3 * COLUMN
    print(
        f"{'full-size take, merged':24} {'':>10}  {padding}{_figure(merged, response.status_code)}"
    )


def main() -> None:
    """Print the figures (on SQLite: the shapes' cost is the app's, not the database's)."""
    print("\n== cost of adversarial shapes (seconds; ! over the target) ==")
    with tempfile.TemporaryDirectory() as folder:
        app = make_test_app(f"sqlite:///{folder}/shapes.db")
        logging.getLogger("cms").setLevel(logging.WARNING)  # no access log line per shape
        headers = prepare(app)
        bench_shapes(app, headers)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
