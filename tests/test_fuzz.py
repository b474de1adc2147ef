"""Schemathesis drives every operation of the editors' API with generated input.

Whatever it sends — valid or not — the answer must not be a server error. The
app runs with ``TESTING`` on, so an unhandled exception fails the test too.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests import factories

FUZZ_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _fuzz(operation, headers: dict[str, str], statuses: list[int]) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy())
    def exercise(case):
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        assert response.status_code < 500, f"{operation.label}: {response.text}"

    exercise()


def test_no_generated_input_is_a_server_error(app, session):
    author = factories.user(role="reporter")
    for _ in range(2):
        factories.article(author)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    statuses: list[int] = []

    for operation in operations:
        # A fresh admin per operation: fuzzing may revoke the token or deactivate the user.
        headers = {**factories.auth(factories.user(role="admin")), "If-Match": '"1.1"'}
        _fuzz(operation, headers, statuses)

    assert any(200 <= status < 300 for status in statuses)
    assert any(400 <= status < 500 for status in statuses)
