"""Drive an API's operations with schemathesis-generated input and collect the answers."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings


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
