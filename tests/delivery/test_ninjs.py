"""IPTC ninjs 2.2 and 3.1: every representation validates against IPTC's published schemas.

The schemas are kept in ``tests/schemas/`` (CC BY 4.0, IPTC; see its README).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from cms.articles import operations as article_ops
from cms.articles.models import FollowKind, VersionKind
from cms.core.types import utcnow
from cms.delivery import feeds
from tests import factories

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def _validator(version: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"ninjs-schema_{version}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


@pytest.fixture(scope="module")
def validator():
    return _validator("2.2")


@pytest.fixture(scope="module")
def validator3():
    return _validator("3.1")


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


# --- Many shapes of story, both versions ------------------------------------------------------

SHAPES = {
    "agency copy, two bylines": {
        "dateline": {"city": "Dushanbe", "country": "Tajikistan", "agency": "Reuters"},
        "bylines": [
            {"name": "Jane Roe", "affiliation": "Reuters"},
            {"name": "Ali Kaya", "role": "contributor", "affiliation": "AFP"},
        ],
    },
    "no dateline, no byline": {"dateline": None, "bylines": [], "deck": None, "keywords": []},
    "dated dateline, region": {
        "dateline": {"city": "Boston", "region": "Mass.", "country": "USA", "date": "2026-11-05"}
    },
    "German": {"language": "de", "headline": "Kräne stehen still", "section": None},
    "Japanese, ideographs": {"language": "ja", "headline": "港のクレーンが停止", "deck": "交渉"},
    "Arabic, right to left": {"language": "ar", "headline": "توقف الرافعات في الميناء"},
    "markup in the body": {"body": "# Head\n\n* one\n* two\n\n> quote & <b>tag</b>"},
}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_every_shape_validates_in_both_versions(
    client, reporter, editor, validator, validator3, shape
):
    _, key = factories.partner(embargo_access=True)
    headers = factories.partner_auth(key)
    story = factories.published(factories.article(reporter, **SHAPES[shape]), editor)
    corrected = factories.updated(
        story,
        reporter,
        editor,
        kind=VersionKind.CORRECTION,
        note="A figure was wrong.",
        keywords=["corrected"],
    )
    embargoed = factories.updated(
        corrected,
        reporter,
        editor,
        headline="Embargoed update",
        embargo_until=utcnow() + timedelta(hours=2),
    )
    follower = factories.article(reporter, headline=f"{shape}: new lede")
    follower = article_ops.set_follows(follower, follower.etag, embargoed.id, FollowKind.NEW_LEDE)
    factories.published(follower, editor)

    documents = []
    for query in ("", "&version=1", "&version=2"):
        for fmt, version in (("ninjs", "2.2"), ("ninjs3", "3.1")):
            response = client.get(
                f"/content/v1/articles/{story.id}?format={fmt}{query}", headers=headers
            )
            assert response.status_code == 200
            documents.append((version, response.json))
    lineage = client.get(f"/content/v1/articles/{follower.id}?format=ninjs3", headers=headers)
    documents.append(("3.1", lineage.json))
    factories.withdrawn(embargoed, editor, "Killed")
    kill = client.get(f"/content/v1/articles/{story.id}?version=2", headers=headers)
    documents += [("2.2", kill.json["ninjs"]), ("3.1", kill.json["ninjs3"])]

    for version, document in documents:
        checker = validator if version == "2.2" else validator3
        assert _errors(checker, document) == [], (version, document)
        assert document["standard"]["version"] == version
    statuses = [d.get("pubstatus") or d.get("pubStatus") for _, d in documents]
    assert statuses == ["withheld"] * 2 + ["usable"] * 5 + ["canceled"] * 2
    assert lineage.json["associations"][0]["rel"] == "new-lede"


def test_the_3_1_mapping_renames_members_and_nothing_else():
    item = {
        "id": 1,
        "uri": "tag:newsroom-cms,2026:article:1",
        "version": 2,
        "headline": "H",
        "deck": "D",
        "slug": "h",
        "body_html": "<p>One</p>",
        "dateline": {"city": "Boston", "agency": "AP"},
        "dateline_text": "BOSTON (AP) \N{EM DASH}",
        "byline_text": "By A",
        "credit": "AP",
        "section": "world",
        "keywords": ["k"],
        "language": "en",
        "corrections": [],
        "published_at": "2026-07-27T10:00:00+00:00",
        "first_published_at": "2026-07-26T10:00:00+00:00",
        "embargoed": True,
        "embargo_until": "2026-07-28T10:00:00+00:00",
        "pubstatus": "withheld",
        "copyright_holder": "N",
        "copyright_notice": "\N{COPYRIGHT SIGN} 2026 N",
        "usage_terms": "U",
        "follows": None,
        "followed_by": [],
    }

    two = feeds.ninjs(item)
    three = feeds.ninjs(item, feeds.NINJS3_VERSION)

    assert three["pubStatus"] == two["pubstatus"] == "withheld"
    assert three["embargoedUntil"] == two["embargoed"]
    assert three["bodies"][0]["contentType"] == "text/html"
    assert three["infoSources"] == two["infosources"]
    assert three["standard"] == {
        "name": "ninjs",
        "version": "3.1",
        "schema": "https://www.iptc.org/std/ninjs/ninjs-schema_3.1.json",
    }
    assert len(three) == len(two)


def test_ninjs_3_1_by_accept_and_406_for_what_we_cannot_serve(client, reporter, editor):
    _, key = factories.partner()
    path = f"/content/v1/articles/{factories.published(factories.article(reporter), editor).id}"
    auth = factories.partner_auth(key)

    def get(accept):
        return client.get(path, headers={**auth, "Accept": accept})

    three = get("application/ninjs+json; version=3.1")
    two = get("application/ninjs+json; version=2.2")
    preferred = get("application/ninjs+json;version=2.2;q=0.4, application/ninjs+json;version=3.1")
    anything = get("*/*")

    assert three.status_code == 200
    assert three.headers["Content-Type"] == "application/ninjs+json; version=3.1"
    assert three.json["standard"]["version"] == "3.1"
    assert two.json["standard"]["version"] == "2.2"
    assert preferred.json["standard"]["version"] == "3.1"
    assert anything.mimetype == "application/json"
    assert three.headers["ETag"] != two.headers["ETag"]
    for refused in ("text/html", "application/ninjs+json; version=9", "application/xml"):
        response = get(refused)
        assert response.status_code == 406, refused
        assert response.mimetype == "application/problem+json"
    assert (
        client.get(f"{path}?format=ninjs3", headers={**auth, "Accept": "text/html"}).json[
            "standard"
        ]["version"]
        == "3.1"
    ), "?format= wins over Accept"
