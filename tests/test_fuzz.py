"""Schemathesis drives every operation with generated input.

In-process, the editors' API: whatever it sends — valid or not — the answer must
not be a server error (``TESTING`` is on, so an unhandled exception fails too).
Through gunicorn on PostgreSQL (the short CI run of ``make fuzz``), both APIs as
every identity with ``--checks all``: no 5xx, and every answer as documented.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import PG_URL
from tests.fuzzing import fuzz, fuzz_server, print_totals


def test_no_generated_input_is_a_server_error(app, session):
    author = factories.user(role="reporter")
    for _ in range(2):
        factories.article(author)

    def fresh_admin() -> dict[str, str]:
        # A fresh admin per operation: fuzzing may revoke the token or deactivate the user.
        return {**factories.auth(factories.user(role="admin")), "If-Match": '"1.1"'}

    operations, statuses = fuzz(app, "/api/v1/openapi.json", fresh_admin, max_examples=10)

    assert operations > 20
    assert any(200 <= status < 300 for status in statuses)
    assert any(400 <= status < 500 for status in statuses)


@pytest.mark.fuzz
@pytest.mark.skipif(not PG_URL, reason="fuzzes gunicorn on PostgreSQL: set CMS_TEST_DATABASE_URL")
def test_fuzzing_through_gunicorn_on_postgresql_as_every_identity(tmp_path):
    # The short CI run of `make fuzz`: same runs, fewer examples, no coverage/stateful phases.
    runs = fuzz_server(
        PG_URL, max_examples=5, report_dir=tmp_path, seed_value=1, phases="examples,fuzzing"
    )
    print_totals(runs)

    assert [(run.identity, run.operations) for run in runs] == [
        ("reporter", 45),
        ("editor", 45),
        ("admin", 45),
        ("partner", 6),
    ]
    for run in runs:
        assert run.test_cases > 0
        assert run.conformance_failures == 0, run.output.read_text()
        assert run.errors == 0, run.output.read_text()
        assert run.server_errors == 0, run.output.read_text()
