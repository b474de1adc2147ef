"""The partners' content API: only published versions, only their sections, kills as 410."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.http import http_date

from cms.articles import operations as article_ops
from cms.articles.models import VersionKind
from cms.core.types import utcnow
from cms.delivery import access
from cms.delivery import operations as delivery_ops
from tests import factories

ARTICLES = "/content/v1/articles"


@pytest.fixture
def partner(session):
    _partner, key = factories.partner(name="Harbour Gazette")
    return factories.partner_auth(key)


def _get(client, path, headers, **extra):
    return client.get(path, headers={**headers, **extra})


# --- Authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nrk_not-a-key"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer " + "x" * 500},
        {"X-API-Key": "nrk_whatever"},
    ],
)
def test_requests_without_a_valid_key_are_401_problems(client, headers):
    for path in (ARTICLES, f"{ARTICLES}/1", "/content/v1/changes", "/content/v1/feeds/atom"):
        response = client.get(path, headers=headers)

        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_key_and_an_inactive_partner_are_refused(client, session, reporter, editor):
    record, key = factories.partner()
    article = factories.published(factories.article(reporter), editor)
    assert _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(key)).status_code == 200

    new_key, _ = delivery_ops.issue_key(record)
    delivery_ops.revoke_key(record, record.keys[0].id)
    session.commit()
    assert _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(key)).status_code == 401
    assert (
        _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(new_key)).status_code
        == 200
    )

    delivery_ops.update_partner(record, active=False)
    session.commit()
    assert (
        _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(new_key)).status_code
        == 401
    )


def test_positive_key_lookups_are_cached_for_the_configured_seconds(app, session, monkeypatch):
    record, key = factories.partner()
    monkeypatch.setitem(app.config, "CMS_PARTNER_KEY_CACHE_SECONDS", 60.0)
    reader = access.authenticate(key)
    # Revoked behind this process's back (another process): still cached here.
    record.keys[0].revoked_at = utcnow()
    session.commit()
    assert access.authenticate(key) == reader

    delivery_ops.revoke_key(record, record.keys[0].id)  # in this process: forgotten at once
    with pytest.raises(Exception, match="valid partner API key"):
        access.authenticate(key)


# --- What partners see ------------------------------------------------------------------------


def test_only_published_versions_are_visible_never_a_draft(client, partner, reporter, editor):
    draft = factories.article(reporter)
    approved = factories.approved(factories.article(reporter, headline="Approved only"), editor)
    live = factories.published(factories.article(reporter, headline="Live story"), editor)
    # A newer draft of the live story, and an approved but unpublished revision.
    live, _ = article_ops.edit_article(live, live.etag, {"headline": "Draft headline"}, reporter)
    factories.approved(live, editor)

    assert _get(client, f"{ARTICLES}/{draft.id}", partner).status_code == 404
    assert _get(client, f"{ARTICLES}/{approved.id}", partner).status_code == 404
    response = _get(client, f"{ARTICLES}/{live.id}", partner)
    assert response.status_code == 200
    body = response.json
    assert body["headline"] == "Live story"
    assert body["version"] == 1
    assert body["kind"] == "first"
    assert "status" not in body
    assert "approved_revision" not in body
    listed = _get(client, ARTICLES, partner).json["items"]
    assert [item["id"] for item in listed] == [live.id]


def test_the_representation_is_the_partner_schema(client, partner, reporter, editor):
    article = factories.published(factories.article(reporter), editor)

    body = _get(client, f"{ARTICLES}/{article.id}", partner).json

    assert list(body) == [
        "id", "uri", "href", "version", "kind", "headline", "deck", "slug", "body",
        "body_html", "dateline", "bylines", "byline_text", "section", "keywords", "language",
        "note", "corrections", "published_at", "first_published_at", "last_updated_at",
        "embargoed", "embargo_until", "pubstatus", "dateline_text", "credit",
        "copyright_holder", "copyright_notice", "usage_terms", "follows", "followed_by",
    ]  # fmt: skip
    assert body["uri"] == f"tag:newsroom-cms,2026:article:{article.id}"
    assert body["href"] == f"/content/v1/articles/{article.id}?version=1"
    assert body["dateline"]["text"] == "ROTTERDAM, Netherlands (Newsroom Wire) —"
    assert body["byline_text"] == "By Rita Reporter, Newsroom Wire"
    assert body["body_html"].startswith("<p>Cranes stood still")
    assert body["embargoed"] is False


def test_versions_stamps_and_corrections(client, partner, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    first = article.first_published_at
    article = factories.updated(article, reporter, editor, body="Cranes moved again.")
    updated_at = article.last_updated_at
    article = factories.updated(
        article, reporter, editor, kind=VersionKind.MINOR, body="Cranes moved again!"
    )
    article = factories.updated(
        article,
        reporter,
        editor,
        kind=VersionKind.CORRECTION,
        note="An earlier version misnamed the port.",
        deck="Rotterdam port authority says ships will be diverted",
    )

    latest = _get(client, f"{ARTICLES}/{article.id}", partner).json
    minor = _get(client, f"{ARTICLES}/{article.id}?version=3", partner).json
    one = _get(client, f"{ARTICLES}/{article.id}?version=1", partner).json

    assert latest["version"] == 4
    assert latest["kind"] == "correction"
    assert [c["version"] for c in latest["corrections"]] == [4]
    assert latest["corrections"][0]["note"] == "An earlier version misnamed the port."
    assert minor["kind"] == "minor"
    assert minor["body"] == "Cranes moved again!"
    # A typo fix does not move "Last Updated"; an update did.
    assert minor["last_updated_at"] == updated_at.isoformat()
    assert minor["first_published_at"] == first.isoformat()
    assert minor["corrections"] == []
    assert one["body"] == factories.STORY["body"]
    assert _get(client, f"{ARTICLES}/{article.id}?version=5", partner).status_code == 404


def test_sections_limit_what_a_partner_sees(client, session, reporter, editor):
    _, key = factories.partner(sections=["sport"])
    sport = factories.published(factories.article(reporter, section="sport"), editor)
    business = factories.published(factories.article(reporter, headline="Markets"), editor)
    headers = factories.partner_auth(key)

    assert _get(client, f"{ARTICLES}/{sport.id}", headers).status_code == 200
    assert _get(client, f"{ARTICLES}/{business.id}", headers).status_code == 404
    assert [i["id"] for i in _get(client, ARTICLES, headers).json["items"]] == [sport.id]


def test_an_embargoed_version_is_only_for_partners_with_embargo_access(
    client, session, reporter, editor
):
    _, plain = factories.partner()
    _, trusted = factories.partner(embargo_access=True)
    lifted = utcnow() + timedelta(hours=2)
    article = factories.published(factories.article(reporter), editor, embargo_until=lifted)

    assert _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(plain)).status_code == (
        404
    )
    body = _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(trusted)).json
    assert body["embargoed"] is True
    assert body["embargo_until"] == lifted.isoformat()
    assert _get(client, ARTICLES, factories.partner_auth(plain)).json["items"] == []


def test_an_embargoed_update_leaves_the_previous_version_showing(
    client, session, reporter, editor
):
    _, plain = factories.partner()
    _, trusted = factories.partner(embargo_access=True)
    article = factories.published(factories.article(reporter), editor)
    factories.updated(
        article, reporter, editor, body="Results.", embargo_until=utcnow() + timedelta(hours=1)
    )

    seen = _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(plain)).json
    early = _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(trusted)).json

    assert (seen["version"], seen["embargoed"]) == (1, False)
    assert (early["version"], early["embargoed"]) == (2, True)
    assert (
        _get(client, f"{ARTICLES}/{article.id}?version=2", factories.partner_auth(plain))
    ).status_code == 404


def test_a_withdrawn_story_is_410_with_the_kill_notice(client, partner, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    factories.withdrawn(article, editor, "Legal: the report could not be verified")

    for path in (f"{ARTICLES}/{article.id}", f"{ARTICLES}/{article.id}?version=1"):
        response = _get(client, path, partner)
        assert response.status_code == 410
        assert response.mimetype == "application/problem+json"
        notice = response.json
        assert notice["reason"] == "Legal: the report could not be verified"
        assert notice["article_id"] == article.id
        assert notice["version"] == 1
        assert notice["headline"] == factories.STORY["headline"]
        assert notice["ninjs"]["pubstatus"] == "canceled"
    assert _get(client, ARTICLES, partner).json["items"] == []


def test_a_kill_of_a_story_a_partner_never_saw_is_a_plain_404(client, session, reporter, editor):
    _, key = factories.partner(sections=["sport"])
    article = factories.published(factories.article(reporter), editor)
    factories.withdrawn(article, editor)

    assert _get(client, f"{ARTICLES}/{article.id}", factories.partner_auth(key)).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "?version=0",
        "?version=abc",
        "?version=99999999999",
        "?format=xml",
    ],
)
def test_bad_arguments_are_422(client, partner, reporter, editor, query):
    article = factories.published(factories.article(reporter), editor)

    response = _get(client, f"{ARTICLES}/{article.id}{query}", partner)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_unknown_articles_are_404(client, partner):
    assert _get(client, f"{ARTICLES}/2147483647", partner).status_code == 404
    assert _get(client, f"{ARTICLES}/2147483648", partner).status_code == 404
    assert _get(client, f"{ARTICLES}/abc", partner).status_code == 404


# --- Caching validators -----------------------------------------------------------------------


def test_etag_and_last_modified_give_304(client, partner, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    path = f"{ARTICLES}/{article.id}"

    first = _get(client, path, partner)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "private, no-cache"

    again = _get(client, path, partner, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert "Last-Modified" not in again.headers  # RFC 9110 §15.4.5: the ETag says it
    assert again.data == b""
    assert _get(client, path, partner, **{"If-None-Match": f"W/{etag}"}).status_code == 304
    assert _get(client, path, partner, **{"If-None-Match": '"other", ' + etag}).status_code == 304
    assert _get(client, path, partner, **{"If-Modified-Since": modified}).status_code == 304
    earlier = http_date(article.live.published_at - timedelta(minutes=1))
    assert _get(client, path, partner, **{"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match wins over If-Modified-Since.
    assert (
        _get(client, path, partner, **{"If-None-Match": '"x"', "If-Modified-Since": modified})
    ).status_code == 200

    factories.updated(article, reporter, editor, body="New facts.")
    changed = _get(client, path, partner, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json["version"] == 2


def test_a_kill_is_never_answered_304(client, partner, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    etag = _get(client, f"{ARTICLES}/{article.id}", partner).headers["ETag"]
    factories.withdrawn(article, editor)

    response = _get(client, f"{ARTICLES}/{article.id}", partner, **{"If-None-Match": etag})

    assert response.status_code == 410


def test_the_etag_differs_by_format(client, partner, reporter, editor):
    article = factories.published(factories.article(reporter), editor)

    plain = _get(client, f"{ARTICLES}/{article.id}", partner)
    ninjs = _get(client, f"{ARTICLES}/{article.id}", partner, Accept="application/ninjs+json")

    assert ninjs.mimetype == "application/ninjs+json"
    assert plain.headers["ETag"] != ninjs.headers["ETag"]
    assert plain.headers["Vary"] == "Accept, Authorization"


# --- The list ---------------------------------------------------------------------------------


def test_the_list_is_newest_first_and_keyset_paginated(client, partner, reporter, editor):
    stories = [
        factories.published(factories.article(reporter, headline=f"Story {n}"), editor)
        for n in range(5)
    ]
    # Updating the oldest story makes it the most recent change.
    factories.updated(stories[0], reporter, editor, body="Later news.")

    seen, cursor = [], None
    for _ in range(5):
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = _get(client, ARTICLES + query, partner).json
        seen += [(item["id"], item["version"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    expected = [stories[0].id] + [s.id for s in reversed(stories[1:])]
    assert [story_id for story_id, _ in seen] == expected
    assert seen[0] == (stories[0].id, 2)


def test_the_list_filters_by_section_and_updated_since(client, partner, reporter, editor):
    sport = factories.published(factories.article(reporter, section="sport"), editor)
    business = factories.published(factories.article(reporter, headline="Markets"), editor)
    cut = utcnow()
    updated = factories.updated(business, reporter, editor, body="Markets fell.")

    by_section = _get(client, f"{ARTICLES}?section=sport", partner).json["items"]
    since = _get(client, ARTICLES, partner, **{}).json["items"]
    recent = client.get(
        ARTICLES, query_string={"updated_since": cut.isoformat()}, headers=partner
    ).json["items"]

    assert [i["id"] for i in by_section] == [sport.id]
    assert {i["id"] for i in since} == {sport.id, business.id}
    assert [(i["id"], i["version"]) for i in recent] == [(updated.id, 2)]


@pytest.mark.parametrize(
    "query",
    [
        "?cursor=nonsense",
        "?cursor=Y2hhbmdlczox",  # a changes-feed cursor
        "?limit=0",
        "?limit=101",
        "?updated_since=yesterday",
        "?updated_since=2026-01-01T00:00:00",  # naive
    ],
)
def test_bad_list_arguments_are_422(client, partner, query):
    assert _get(client, ARTICLES + query, partner).status_code == 422


# --- The OpenAPI document ---------------------------------------------------------------------


def test_the_content_api_has_its_own_openapi_document(client):
    content = client.get("/content/v1/openapi.json").json
    editors = client.get("/api/v1/openapi.json").json

    assert content["info"]["title"] == "Newsroom CMS — partners' content API"
    assert set(content["paths"]) == {
        "/content/v1/articles",
        "/content/v1/articles/{article_id}",
        "/content/v1/changes",
        "/content/v1/feeds/atom",
        "/content/v1/feeds/json",
        "/content/v1/search",
    }
    assert "PartnerArticle" in content["components"]["schemas"]
    assert not any(path.startswith("/content") for path in editors["paths"])
    assert "/api/v1/partners" in editors["paths"]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (ARTICLES, {"updated_since": "9999-12-31T23:59:59-23:00"}),
        (ARTICLES, {"updated_since": "0001-01-01T00:00:00+23:00"}),
        (ARTICLES, {"section": "\x00"}),
        (ARTICLES, {"section": "x" * 101}),
        (ARTICLES, {"cursor": "\U0001f600"}),
        (ARTICLES, {"cursor": "A" * 201}),
        (ARTICLES, {"limit": "-1"}),
        ("/content/v1/changes", {"after": "\U0001f600"}),
        ("/content/v1/changes", {"after": "Y2hhbmdlczo5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}),
        ("/content/v1/changes", {"after": "Y2hhbmdlczotMQ"}),
    ],
)
def test_hostile_arguments_are_422_never_500(client, partner, path, query):
    response = client.get(path, query_string=query, headers=partner)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_a_key_that_is_not_ascii_is_401(client):
    response = client.get(ARTICLES, headers={"Authorization": "Bearer nrk_\udcff"})

    assert response.status_code == 401
