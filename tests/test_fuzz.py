"""Schemathesis drives every operation of the editors' API with generated input.

Whatever it sends — valid or not — the answer must not be a server error. The
app runs with ``TESTING`` on, so an unhandled exception fails the test too.
"""

from __future__ import annotations

from tests import factories
from tests.fuzzing import fuzz


def test_no_generated_input_is_a_server_error(app, session):
    author = factories.user(role="reporter")
    for _ in range(2):
        factories.article(author)

    def fresh_admin() -> dict[str, str]:
        # A fresh admin per operation: fuzzing may revoke the token or deactivate the user.
        return {**factories.auth(factories.user(role="admin")), "If-Match": '"1.1"'}

    operations, statuses = fuzz(app, "/api/v1/openapi.json", fresh_admin, max_examples=15)

    assert operations > 20
    assert any(200 <= status < 300 for status in statuses)
    assert any(400 <= status < 500 for status in statuses)
