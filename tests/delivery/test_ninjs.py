"""IPTC ninjs 2.2: every representation validates against the published schema."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from cms.articles.models import VersionKind
from cms.core.types import utcnow
from cms.delivery import feeds
from tests import factories

#: In CI the repository is cloned with ``shared/`` beside it.
SCHEMA = Path(__file__).resolve().parents[2].parent / "shared/schemas/ninjs-schema_2.2.json"


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is absent")
    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _errors(validator, document) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_format_checker_checks_date_times(validator):
    assert _errors(validator, {"uri": "tag:x,2026:a", "versioncreated": "yesterday"})


def test_every_kind_of_version_and_a_kill_validate(client, session, reporter, editor, validator):
    _, key = factories.partner(embargo_access=True)
    headers = factories.partner_auth(key)
    article = factories.published(
        factories.article(
            reporter,
            dateline={"city": "Dushanbe", "country": "Tajikistan", "agency": "Reuters"},
            bylines=[
                {"name": "Jane Roe", "affiliation": "Reuters"},
                {"name": "John Doe", "affiliation": "Reuters"},
            ],
        ),
        editor,
    )
    article = factories.updated(
        article, reporter, editor, kind=VersionKind.CORRECTION, note="Name fixed.", deck=None
    )
    bare = factories.published(
        factories.article(reporter, headline="Bare", dateline=None, bylines=[], keywords=[]),
        editor,
        embargo_until=utcnow() + timedelta(hours=1),
    )
    bare_section = factories.article(reporter, headline="No section", section=None)
    bare_section = factories.published(bare_section, editor)

    documents = []
    for path in (
        f"/content/v1/articles/{article.id}?format=ninjs",
        f"/content/v1/articles/{article.id}?version=1&format=ninjs",
        f"/content/v1/articles/{bare.id}?format=ninjs",
        f"/content/v1/articles/{bare_section.id}?format=ninjs",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "application/ninjs+json"
        documents.append(response.json)
    factories.withdrawn(article, editor, "Could not be verified")
    kill = client.get(f"/content/v1/articles/{article.id}?format=ninjs", headers=headers)
    assert kill.status_code == 410
    documents.append(kill.json["ninjs"])

    for document in documents:
        assert _errors(validator, document) == []
    corrected, first, embargoed, _, canceled = documents
    assert corrected["version"] == "2"
    assert corrected["located"] == "Dushanbe, Tajikistan"
    assert corrected["by"] == "By Jane Roe and John Doe, Reuters"
    assert corrected["pubstatus"] == "usable"
    assert corrected["descriptions"][0] == {
        "role": "dateline",
        "contenttype": "text/plain",
        "value": "DUSHANBE, Tajikistan (Reuters) \N{EM DASH}",
    }
    assert corrected["descriptions"][1]["role"] == "correction"
    assert "Name fixed." in corrected["descriptions"][1]["value"]
    assert [d["role"] for d in first["descriptions"]] == ["dateline"]
    assert first["headlines"][1] == {"role": "sub", "value": factories.STORY["deck"]}
    assert embargoed["embargoed"] == bare.live.embargo_until.isoformat()
    assert "by" not in embargoed
    assert "located" not in embargoed
    assert canceled["pubstatus"] == "canceled"
    assert canceled["ednote"] == "Withdrawn: Could not be verified"
    assert canceled["uri"] == corrected["uri"]


def test_accept_header_selects_ninjs(client, session, reporter, editor, validator):
    _, key = factories.partner()
    article = factories.published(factories.article(reporter), editor)

    response = client.get(
        f"/content/v1/articles/{article.id}",
        headers={**factories.partner_auth(key), "Accept": "application/ninjs+json"},
    )
    json_first = client.get(
        f"/content/v1/articles/{article.id}",
        headers={
            **factories.partner_auth(key),
            "Accept": "application/json, application/ninjs+json;q=0.5",
        },
    )

    assert response.mimetype == "application/ninjs+json"
    assert _errors(validator, response.json) == []
    assert json_first.mimetype == "application/json"


def test_the_mapping_is_pure_and_total():
    item = {
        "id": 1,
        "uri": "tag:newsroom-cms,2026:article:1",
        "version": 3,
        "headline": "H",
        "deck": None,
        "slug": "h",
        "body_html": "<p>One two &amp; three</p>",
        "dateline": {"city": "Boston", "region": "Mass.", "country": "USA"},
        "byline_text": None,
        "section": None,
        "keywords": [],
        "language": "en",
        "corrections": [],
        "published_at": "2026-07-27T10:00:00+00:00",
        "first_published_at": "2026-07-27T10:00:00+00:00",
        "embargoed": False,
        "embargo_until": None,
        "pubstatus": "usable",
        "dateline_text": "BOSTON, Mass. \N{EM DASH}",
        "credit": None,
        "copyright_holder": "Newsroom CMS",
        "copyright_notice": "\N{COPYRIGHT SIGN} 2026 Newsroom CMS",
        "usage_terms": "Partners only.",
        "follows": None,
        "followed_by": [],
    }

    document = feeds.ninjs(item)

    assert document["located"] == "Boston, Mass."
    assert document["bodies"][0]["wordcount"] == 4
    assert "subjects" not in document
    assert "embargoed" not in document
