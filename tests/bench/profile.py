"""Where the time of a hot request goes: cProfile and SQL statements per request, in-process.

``python -m tests.bench.profile [sqlite|postgresql] [TOP]`` prepares the same
data as ``make bench`` (core and delivery), then calls the app's WSGI entry
point directly, many times per hot path, and prints per path: microseconds per
request (wall clock, and this process's CPU time: on a loaded machine the first grows, the
second is what the work costs), the SQL statements each one runs (counted with an engine event
listener) and the functions where the time went (cProfile, by own time and by
cumulative time; ``TOP`` 0 prints none). No server, no client: what is left is the app's own cost.
"""

from __future__ import annotations

import cProfile
import io
import json
import logging
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event
from werkzeug.test import EnvironBuilder

from tests.bench import bench_core, bench_delivery
from tests.conftest import make_test_app
from tests.databases import scratch_postgres

ROUNDS = int(os.environ.get("CMS_PROFILE_ROUNDS", "2000"))


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/profile.db"
        return
    server = os.environ.get(
        "CMS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/test"
    )
    with scratch_postgres(server, "cms_profile") as url:
        yield url


def caller(app: Flask, method: str, path: str, headers: dict, body: bytes | None = None):
    """Return a function that sends one request through the WSGI app and returns its status."""

    def call() -> tuple[int, dict[str, str]]:
        environ = EnvironBuilder(
            path=path, method=method, headers=headers, data=body, base_url="http://127.0.0.1:5000"
        ).get_environ()
        answer: dict = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"] = int(status.split()[0])
            answer["headers"] = dict(response_headers)

        for _chunk in app(environ, start_response):
            pass
        return answer["status"], answer["headers"]

    return call


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        self.count += 1
        self.statements.append(" ".join(statement.split())[:110])


def measure(label: str, call: Callable, counter: StatementCounter, top: int) -> None:
    status, _headers = call()  # warm the caches
    counter.count, counter.statements = 0, []
    call()
    statements = list(counter.statements)
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(ROUNDS):
        call()
    per_request = (time.perf_counter() - began) / ROUNDS * 1e6
    cpu_per_request = (time.process_time() - cpu) / ROUNDS * 1e6
    print(
        f"\n--- {label}: status {status}, {per_request:.0f} µs/request "
        f"({cpu_per_request:.0f} µs of CPU), {len(statements)} SQL statements"
    )
    for statement in statements:
        print(f"    SQL {statement}")
    if not top:
        return
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(ROUNDS // 4):
        call()
    profile.disable()
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats(order).print_stats(top)
        lines = text.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print(f"  by {order}:")
        print("\n".join("    " + line for line in lines[start : start + top + 1]))


def main(kind: str, top: int) -> None:
    logging.getLogger("cms").setLevel(logging.INFO)
    with database(kind) as url:
        token, articles = bench_core.prepare(url)
        key, ids = bench_delivery.prepare(url)
        app = make_test_app(url, TESTING=False)
        logging.getLogger("cms").handlers[0].stream = open(os.devnull, "w")  # noqa: SIM115
        counter = StatementCounter()
        with app.app_context():
            from cms.core.extensions import db

            event.listen(db.engine, "before_cursor_execute", counter)
        editor = {"Authorization": f"Bearer {token}"}
        partner = {"Authorization": f"Bearer {key}"}
        article_id = articles[0][0]
        _status, headers = caller(app, "GET", f"/content/v1/articles/{ids[0]}", partner)()
        etag = headers["ETag"]
        state = {"etag": articles[0][1], "n": 0}

        def patch() -> tuple[int, dict]:
            state["n"] += 1
            body = json.dumps({"body": f"{bench_core.BODY}\n\nUpdate {state['n']}."}).encode()
            answer = caller(
                app,
                "PATCH",
                f"/api/v1/articles/{article_id}",
                {**editor, "Content-Type": "application/json", "If-Match": state["etag"]},
                body,
            )()
            state["etag"] = answer[1].get("ETag", state["etag"])
            return answer

        paths = [
            ("GET /healthz", caller(app, "GET", "/healthz", {})),
            ("editors' GET article", caller(app, "GET", f"/api/v1/articles/{article_id}", editor)),
            ("partner GET article", caller(app, "GET", f"/content/v1/articles/{ids[0]}", partner)),
            (
                "partner 304",
                caller(
                    app,
                    "GET",
                    f"/content/v1/articles/{ids[0]}",
                    {**partner, "If-None-Match": etag},
                ),
            ),
            ("PATCH article", patch),
        ]
        only = os.environ.get("CMS_PROFILE_ONLY")
        for label, call in paths:
            if only and only not in label:
                continue
            measure(f"{kind}: {label}", call, counter, top)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "sqlite",
        int(sys.argv[2]) if len(sys.argv) > 2 else 25,
    )
