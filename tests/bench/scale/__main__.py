"""``make bench-scale``: build an archive-sized newsroom and time single requests on it.

For each database (SQLite, PostgreSQL or both) and each size (1,000 stories,
then ``--stories``, 100,000 by default), on a fresh scratch database built by
the migrations: bulk-load the archive (:mod:`tests.bench.scale.archive`, its
search documents included, so no ``flask cms reindex``), VACUUM ANALYZE and
CHECKPOINT. Then serve both sizes with gunicorn on 127.0.0.1, side by side, and
time each row of :mod:`tests.bench.scale.recipes` from one client, one request
at a time, the two sizes in turn (:data:`SLICES`). Prints the load's phases and
a table of p50/p95 per row and size, with the targets of issue 11 (at the large
size, p95 within 1.5x of its 1,000-story value and under 50 ms, 100 ms for
searches).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import flask_migrate
from sqlalchemy import Connection, func, select

from cms.articles.models import Article, ArticleStatus
from cms.auth import operations as auth_ops
from cms.config import engine_options
from cms.core.extensions import db
from cms.delivery import operations as delivery_ops
from cms.outbox.models import DeliveryEvent
from tests.bench.scale.archive import Shape
from tests.bench.scale.recipes import RECIPES, Facts, Plan
from tests.bench.scale.store import Report, analyse, load
from tests.conftest import make_test_app
from tests.databases import scratch_postgres
from tests.servers import gunicorn

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SMALL = 1000
PASSWORD = "bench-scale-password"
#: Ratio and absolute p95 targets at the large size (PostgreSQL is what they are for).
RATIO_TARGET, P95_TARGET_MS, SEARCH_P95_TARGET_MS = 1.5, 50.0, 100.0
#: A row's timed requests are made in this many slices, the sizes taking turns: whatever
#: else the machine does during the run then falls on both sizes alike, not on one.
SLICES = 5


@dataclass
class Built:
    """A loaded database: its URL, the load's report and what the recipes need."""

    url: str
    report: Report
    facts: Facts
    token: str
    partner_key: str
    phases_extra: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class Timing:
    p50: float | None = None
    p95: float | None = None
    errors: int = 0
    missing: str | None = None
    note: str | None = None


@contextmanager
def scratch_database(kind: str, server_url: str) -> Iterator[str]:
    """An empty database of ``kind``, dropped (or deleted) afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
            yield f"sqlite:///{folder}/archive.db"
        return
    with scratch_postgres(server_url, "cms_bench_scale") as url:
        yield url


def build(url: str, stories: int, *, say) -> Built:
    """Migrate ``url``, load an archive of ``stories`` and add the benchmark's own users."""
    # No statement timeout: a COPY of a large batch may take longer than a request may.
    app = make_test_app(
        url, TESTING=False, SQLALCHEMY_ENGINE_OPTIONS=engine_options(url, statement_timeout=0)
    )
    with app.app_context():
        began = time.perf_counter()
        flask_migrate.upgrade()
        migrated = time.perf_counter() - began
        password_hash = auth_ops.hash_password(PASSWORD)
        sqlite = db.engine.dialect.name == "sqlite"
        with db.engine.connect() as connection:
            if sqlite:  # during the load only: the app runs with synchronous=NORMAL
                _pragmas(connection, "synchronous=OFF", "cache_size=-400000")
            with connection.begin():
                report = load(
                    connection,
                    Shape.of(stories),
                    password_hash,
                    planner_process=True,
                    on_batch=lambda done: say(f"  {done:,} stories written", end="\r"),
                )
            began = time.perf_counter()
            connection.commit()
            analyse(connection)
            connection.commit()
            analysed = time.perf_counter() - began
            began = time.perf_counter()
            _checkpoint(connection)
            checkpointed = time.perf_counter() - began
            if sqlite:
                _pragmas(connection, "synchronous=NORMAL", "cache_size=-2000")
        user = auth_ops.create_user(
            email="bench-editor@example.test",
            name="Bench Editor",
            role="editor",
            password=PASSWORD,
        )
        token, _record = auth_ops.issue_token(user.email, PASSWORD)
        _partner, partner_key = delivery_ops.create_partner(
            name="Bench Partner", embargo_access=False
        )
        db.session.commit()
        archive = report.archive
        published = list(
            db.session.scalars(
                select(Article.id)
                .where(Article.status == ArticleStatus.PUBLISHED)
                .order_by(Article.id)
            )
        )
        facts = Facts(
            big_story_id=archive.big_story_id,
            big_revisions=archive.shape.big_revisions,
            sample_ids=tuple(random.Random(1).sample(published, min(200, len(published)))),
            newest_event_id=db.session.scalar(select(func.max(DeliveryEvent.id))) or 0,
        )
        db.session.remove()
        db.engine.dispose()
    built = Built(url, report, facts, token, partner_key)
    built.phases_extra.append(("migrations", migrated))
    built.phases_extra.append(("VACUUM ANALYZE (SQLite: ANALYZE)", analysed))
    built.phases_extra.append(("CHECKPOINT", checkpointed))
    return built


def _checkpoint(connection: Connection) -> None:
    """Write the load's pages out now, so that no request is timed while they are.

    PostgreSQL: ``CHECKPOINT`` (a spread checkpoint of a large load would otherwise
    write for minutes under the measurement). SQLite: fold the write-ahead log into
    the database file.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CHECKPOINT")
        connection.commit()
    else:
        _pragmas(connection, "wal_checkpoint(TRUNCATE)")


def _pragmas(connection: Connection, *pragmas: str) -> None:
    """Set SQLite ``pragmas`` outside any transaction (some refuse to change inside one)."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    for pragma in pragmas:
        raw.execute(f"PRAGMA {pragma}")


class HttpClient:
    """GETs over HTTP to the server, one connection per request, as an editor or partner."""

    def __init__(self, base_url: str, token: str, partner_key: str) -> None:
        self.host = urlsplit(base_url).netloc
        self.auth = {"editor": f"Bearer {token}", "partner": f"Bearer {partner_key}"}

    def timed_get(self, path: str, who: str) -> tuple[int, bytes, float]:
        began = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, timeout=60)
        try:
            connection.request("GET", path, headers={"Authorization": self.auth[who]})
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return response.status, raw, (time.perf_counter() - began) * 1000

    def get(self, path: str, who: str) -> tuple[int, Any]:
        status, raw, _ms = self.timed_get(path, who)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None


def measure(builts: list[Built], requests: int, warmup: int) -> list[dict[str, Timing]]:
    """Time every recipe against gunicorn serving each of ``builts``, side by side.

    Per row: ``warmup`` untimed requests to each, then ``requests`` timed ones to
    each in :data:`SLICES` slices, the databases taking turns.
    """
    results: list[dict[str, Timing]] = [{} for _built in builts]
    with ExitStack() as servers:
        clients = [
            HttpClient(
                servers.enter_context(gunicorn(env={"CMS_DATABASE_URL": built.url})).base_url,
                built.token,
                built.partner_key,
            )
            for built in builts
        ]
        for recipe in RECIPES:
            plans = [
                recipe.plan(client, built.facts)
                for client, built in zip(clients, builts, strict=True)
            ]
            missing = next((plan.missing for plan in plans if plan.missing), None)
            if missing:
                for found in results:
                    found[recipe.name] = Timing(missing=missing)
                continue
            rows = [_Row(client, plan) for client, plan in zip(clients, plans, strict=True)]
            for row in rows:
                row.run(warmup, timed=False)
            for part in range(SLICES):
                share = requests // SLICES + (part < requests % SLICES)
                for row in rows:
                    row.run(share, timed=True)
            for found, row in zip(results, rows, strict=True):
                found[recipe.name] = row.timing()
    return results


@dataclass
class _Row:
    """One row's requests to one server: its plan's paths in turn, and their latencies."""

    client: HttpClient
    plan: Plan
    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def run(self, requests: int, *, timed: bool) -> None:
        for _ in range(requests):
            path = self.plan.paths[self.sent % len(self.plan.paths)]
            self.sent += 1
            status, _raw, ms = self.client.timed_get(path, self.plan.who)
            if timed:
                self.latencies.append(ms)
                self.errors += status != 200

    def timing(self) -> Timing:
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        median = statistics.median(self.latencies)
        return Timing(median, cuts[94], self.errors, note=self.plan.note)


def print_build(kind: str, stories: int, built: Built) -> None:
    report = built.report
    print(f"\n== {kind}: archive of {stories:,} stories ==")
    counts = report.archive.counts
    print("rows: " + ", ".join(f"{name} {counts.get(name, 0):,}" for name in sorted(counts)))
    for phase in report.phases:
        print("  " + phase.line())
    for name, seconds in built.phases_extra:
        print(f"  {name:<44} {'':>15} {seconds:8.1f} s")
    total = report.seconds + sum(seconds for _name, seconds in built.phases_extra)
    print(f"  {'load (bulk inserts)':<44} {'':>15} {report.seconds:8.1f} s")
    print(f"  {'total build':<44} {'':>15} {total:8.1f} s")


def _cell(timing: Timing | None) -> str:
    if timing is None:
        return f"{'-':>17}"
    if timing.missing:
        return f"{'n/a':>17}"
    return f"{timing.p50:7.1f} {timing.p95:8.1f} ms"


def print_table(kind: str, small: dict[str, Timing], large: dict[str, Timing], stories: int):
    print(f"\n== {kind}: single client through gunicorn (2 workers), p50 / p95 ==")
    header = f"{'row':<40} {'1k p50':>7} {'p95':>8}    {f'{stories // 1000}k p50':>7} {'p95':>8}"
    print(f"{header}    {'p95 ratio':>9}  target")
    for recipe in RECIPES:
        one, big = small.get(recipe.name), large.get(recipe.name)
        line = f"{recipe.name:<40} {_cell(one)} {_cell(big)}"
        missing = (one and one.missing) or (big and big.missing)
        if missing:
            print(f"{line}  {missing}")
            continue
        ratio = big.p95 / one.p95  # type: ignore[operator, union-attr]
        limit = SEARCH_P95_TARGET_MS if recipe.search else P95_TARGET_MS
        ok = ratio <= RATIO_TARGET and big.p95 <= limit
        notes = [f"{'ok' if ok else 'MISS'} (<= {RATIO_TARGET}x, <= {limit:.0f} ms)"]
        for size, timing in (("1k", one), ("large", big)):
            if timing.note:
                notes.append(f"{size}: {timing.note}")
            if timing.errors:
                notes.append(f"{size}: {timing.errors} non-200")
        print(f"{line}    {ratio:8.2f}x  {'; '.join(notes)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.scale", description=__doc__)
    parser.add_argument("--stories", type=int, default=100_000, help="the large size")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per row")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per row first")
    args = parser.parse_args(argv)
    server = os.environ.get("CMS_TEST_DATABASE_URL") or DEFAULT_PG
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    print(
        f"Archive-scale benchmark: {SMALL:,} then {args.stories:,} stories; "
        f"{args.requests} timed requests per row after {args.warmup} untimed, one client, "
        f"HTTP to gunicorn on 127.0.0.1 (client and server share the machine)."
    )

    def say(text: str, end: str = "\n") -> None:
        print(text, end=end, file=sys.stderr, flush=True)

    for kind in kinds:
        with ExitStack() as databases:
            builts = []
            for stories in (SMALL, args.stories):
                url = databases.enter_context(scratch_database(kind, server))
                say(f"{kind}: building {stories:,} stories")
                builts.append(build(url, stories, say=say))
                print_build(kind, stories, builts[-1])
            say(f"{kind}: measuring at {SMALL:,} and {args.stories:,} stories, in turn")
            small, large = measure(builts, args.requests, args.warmup)
        print_table(kind, small, large, args.stories)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
