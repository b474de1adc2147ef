"""Schemathesis drives every operation of the partners' content API with generated input.

Whatever it sends, the answer is never a server error (``TESTING`` is on, so an
unhandled exception fails the test too).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from cms.workflow.models import VersionKind
from tests import factories

FUZZ_SETTINGS = settings(
    max_examples=25,
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


def test_no_generated_input_to_the_content_api_is_a_server_error(app, session, reporter, editor):
    story = factories.published(factories.article(reporter), editor)
    factories.updated(
        story, reporter, editor, kind=VersionKind.CORRECTION, note="Fixed.", deck="D"
    )
    killed = factories.published(factories.article(reporter, headline="Killed"), editor)
    factories.withdrawn(killed, editor)
    _, key = factories.partner(embargo_access=True)
    schema = schemathesis.openapi.from_wsgi("/content/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5
    statuses: list[int] = []

    for operation in operations:
        _fuzz(operation, factories.partner_auth(key), statuses)

    assert any(status == 200 for status in statuses)
    assert any(400 <= status < 500 for status in statuses)
