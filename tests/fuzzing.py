"""Drive the APIs with schemathesis-generated input: in-process for the suite, through
gunicorn on PostgreSQL for ``make fuzz`` (``python -m tests.fuzzing``) and its CI run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import flask_migrate
import schemathesis
from hypothesis import HealthCheck, given, settings

from cms.articles.models import VersionKind
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.workflow import operations as workflow_ops
from tests import factories
from tests.conftest import make_test_app
from tests.databases import scratch_postgres
from tests.servers import gunicorn

EDITORS = "/api/v1/openapi.json"
CONTENT = "/content/v1/openapi.json"
#: Who ``make fuzz`` fuzzes as, and which document: each role of the editors' API, and a partner.
IDENTITIES = (("reporter", EDITORS), ("editor", EDITORS), ("admin", EDITORS), ("partner", CONTENT))
#: Schemathesis failure codes of a 5xx answer (``not_a_server_error``).
SERVER_ERRORS = frozenset({"ST101", "ST102"})
#: Failure codes of the response-conformance checks: undocumented status, header or media
#: type, a body that does not match its schema or cannot be read.
CONFORMANCE = frozenset({f"ST{code}" for code in range(103, 112)})
#: What our API answers on purpose where schemathesis expects otherwise (see docs/testing.md).
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fuzz(app, openapi_path: str, headers_for, *, max_examples: int) -> tuple[int, list[int]]:
    """Call every operation of the OpenAPI document at ``openapi_path`` with generated input.

    ``headers_for()`` gives the headers of each operation's requests. Fails on
    the first server error; returns the number of operations and every status.
    """
    schema = schemathesis.openapi.from_wsgi(openapi_path, app)
    operations = [result.ok() for result in schema.get_all_operations()]
    statuses: list[int] = []
    for operation in operations:
        _exercise(operation, headers_for(), statuses, max_examples)
    return len(operations), statuses


def _exercise(operation, headers: dict[str, str], statuses: list[int], max_examples: int) -> None:
    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy())
    def exercise(case):
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        assert response.status_code < 500, f"{operation.label}: {response.text}"

    exercise()


@dataclass
class RunTotals:
    """What one schemathesis run (one identity, one document) found."""

    identity: str
    document: str
    operations: int = 0
    test_cases: int = 0
    #: Failure code (``ST101``…) → how many distinct failures.
    failures: dict[str, int] = field(default_factory=dict)
    #: Requests that got no answer at all (network errors, timeouts).
    errors: int = 0
    seconds: float = 0.0
    output: Path | None = None

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.failures.items() if code in SERVER_ERRORS)

    @property
    def conformance_failures(self) -> int:
        return sum(n for code, n in self.failures.items() if code in CONFORMANCE)

    @property
    def ok(self) -> bool:
        """No 5xx, every answer as documented, every request answered."""
        return not (self.server_errors or self.conformance_failures or self.errors)


def seed(url: str) -> None:
    """Migrate the empty database at ``url`` and give it stories in every state."""
    with make_test_app(url).app_context():
        flask_migrate.upgrade()
        reporter = factories.user(role="reporter")
        editor = factories.user(role="editor")
        factories.user(role="admin")
        factories.article(reporter, headline="A draft")
        factories.submitted(factories.article(reporter, headline="Submitted"), reporter)
        factories.approved(factories.article(reporter, headline="Approved"), editor)
        story = factories.published(factories.article(reporter, headline="Published"), editor)
        factories.updated(
            story, reporter, editor, kind=VersionKind.CORRECTION, note="Fixed.", deck="D"
        )
        scheduled = factories.approved(factories.article(reporter, headline="Later"), editor)
        workflow_ops.schedule(
            scheduled, scheduled.etag, editor, publish_at=utcnow() + timedelta(days=1)
        )
        killed = factories.published(factories.article(reporter, headline="Killed"), editor)
        factories.withdrawn(killed, editor)
        db.session.commit()
        factories.partner(embargo_access=True)
        db.engine.dispose()


def fuzz_server(
    server_url: str,
    *,
    max_examples: int,
    report_dir: Path,
    seed_value: int | None = None,
    phases: str | None = None,
) -> list[RunTotals]:
    """Fuzz both documents through gunicorn on a scratch database on ``server_url``.

    One schemathesis run (``--checks all``) per identity of :data:`IDENTITIES`;
    each run's output and JSON report go to ``report_dir``.
    """
    report_dir = report_dir.resolve()  # schemathesis runs in it
    with scratch_postgres(server_url, "cms_fuzz") as url:
        seed(url)
        # gunicorn answers a request line over its limit itself, in HTML (414): give the
        # generated URLs its largest limit, so that they reach the app.
        env = {
            "CMS_DATABASE_URL": url,
            "GUNICORN_CMD_ARGS": "--limit-request-line 8190",
            # One partner sends thousands of requests: its quota must not answer them all.
            "CMS_PARTNER_RATE_LIMIT": "1000000/hour",
        }
        with gunicorn(env=env) as server:
            return [
                _run(
                    server.base_url + document,
                    url,
                    role,
                    max_examples=max_examples,
                    report_dir=report_dir,
                    seed_value=seed_value,
                    phases=phases,
                )
                for role, document in IDENTITIES
            ]


def _run(
    location: str,
    database_url: str,
    role: str,
    *,
    max_examples: int,
    report_dir: Path,
    seed_value: int | None,
    phases: str | None,
) -> RunTotals:
    report = report_dir / f"{role}.json"
    output = report_dir / f"{role}.txt"
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        location,
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--no-color",
        # Past the first failure of an operation: one crash must not hide another.
        "--continue-on-failure",
        "--report",
        "json,junit",
        "--report-json-path",
        str(report),
        "--report-junit-path",
        str(report_dir / f"{role}.xml"),
    ]
    if seed_value is not None:
        command += ["--seed", str(seed_value), "--generation-deterministic"]
    if phases:
        command += ["--phases", phases]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz_hooks",
        "CMS_FUZZ_DATABASE_URL": database_url,
        "CMS_FUZZ_ROLE": role,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    started = time.monotonic()
    with output.open("w") as log:
        # In report_dir, schemathesis also keeps its crash cache (for `st replay`).
        subprocess.run(
            command, cwd=report_dir, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    totals = RunTotals(role, location.rsplit("/", 1)[0], output=output)
    totals.seconds = time.monotonic() - started
    if not report.exists():  # schemathesis did not get as far as testing
        totals.errors = 1
        return totals
    data = json.loads(report.read_text())
    totals.operations = data["operations"]["tested"]
    totals.test_cases = data["test_cases"]["generated"]
    totals.failures = {entry["code"]: entry["count"] for entry in data["failures"]}
    totals.errors = len(data["errors"])
    return totals


def print_totals(runs: list[RunTotals]) -> None:
    """Print one line per run and the totals."""
    print(
        f"{'identity':<10} {'operations':>10} {'cases':>7} {'5xx':>4} {'conform':>7} "
        f"{'errors':>6} {'seconds':>7}  other failures"
    )
    for run in runs:
        other = {c: n for c, n in run.failures.items() if c not in SERVER_ERRORS | CONFORMANCE}
        print(
            f"{run.identity:<10} {run.operations:>10} {run.test_cases:>7} {run.server_errors:>4} "
            f"{run.conformance_failures:>7} {run.errors:>6} {run.seconds:>7.1f}  "
            + (", ".join(f"{c}: {n}" for c, n in sorted(other.items())) or "-")
        )
    print(
        f"{'total':<10} {sum(r.operations for r in runs):>10} "
        f"{sum(r.test_cases for r in runs):>7} {sum(r.server_errors for r in runs):>4} "
        f"{sum(r.conformance_failures for r in runs):>7} {sum(r.errors for r in runs):>6} "
        f"{sum(r.seconds for r in runs):>7.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    """``make fuzz``: fuzz both APIs as every identity; exit 1 on a 5xx or undocumented answer."""
    parser = argparse.ArgumentParser(prog="python -m tests.fuzzing", description=main.__doc__)
    parser.add_argument("--max-examples", type=int, default=50, help="per operation (50)")
    parser.add_argument("--seed", type=int, default=None, help="reproduce an earlier run")
    parser.add_argument("--phases", default=None, help="e.g. examples,coverage,fuzzing,stateful")
    parser.add_argument(
        "--report-dir", type=Path, default=None, help="where each run's output goes (a temp dir)"
    )
    args = parser.parse_args(argv)
    server = os.environ.get("CMS_TEST_DATABASE_URL", DEFAULT_SERVER)
    report_dir = args.report_dir or Path(tempfile.mkdtemp(prefix="cms-fuzz-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    runs = fuzz_server(
        server,
        max_examples=args.max_examples,
        report_dir=report_dir,
        seed_value=args.seed,
        phases=args.phases,
    )
    print_totals(runs)
    print(f"\nEach run's schemathesis output and reports: {report_dir}")
    for run in runs:
        if not run.ok:
            print(f"{run.identity}: see {run.output}")
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
