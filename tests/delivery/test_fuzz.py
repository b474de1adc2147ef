"""Schemathesis drives every operation of the partners' content API with generated input.

Whatever it sends, the answer is never a server error (``TESTING`` is on, so an
unhandled exception fails the test too).
"""

from __future__ import annotations

from cms.articles.models import VersionKind
from tests import factories
from tests.fuzzing import fuzz


def test_no_generated_input_to_the_content_api_is_a_server_error(app, session, reporter, editor):
    story = factories.published(factories.article(reporter), editor)
    factories.updated(
        story, reporter, editor, kind=VersionKind.CORRECTION, note="Fixed.", deck="D"
    )
    killed = factories.published(factories.article(reporter, headline="Killed"), editor)
    factories.withdrawn(killed, editor)
    _, key = factories.partner(embargo_access=True)
    operations, statuses = fuzz(
        app, "/content/v1/openapi.json", lambda: factories.partner_auth(key), max_examples=25
    )

    assert operations == 6  # articles, article, changes, search, two feeds
    assert any(status == 200 for status in statuses)
    assert any(400 <= status < 500 for status in statuses)
