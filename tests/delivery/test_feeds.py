"""Atom 1.0 and JSON Feed 1.1: valid documents of the stories a partner may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from cms.articles.models import VersionKind
from cms.core.types import utcnow
from cms.delivery import feeds
from tests import factories
from tests.conftest import make_test_app

ATOM = "/content/v1/feeds/atom"
JSON_FEED = "/content/v1/feeds/json"


def _item(**overrides):
    item = {
        "id": 12,
        "uri": "tag:newsroom-cms,2026:article:12",
        "href": "/content/v1/articles/12?version=2",
        "version": 2,
        "kind": "update",
        "headline": "Cranes & ships <idle>",
        "deck": "Talks resume",
        "slug": "cranes",
        "body": "Text.",
        "body_html": "<p>Text &amp; more.</p>",
        "dateline": {"city": "Dushanbe", "country": "Tajikistan", "agency": "Reuters"},
        "bylines": [{"name": "Jane Roe"}, {"name": "John Doe"}],
        "byline_text": "By Jane Roe and John Doe",
        "section": "world",
        "keywords": ["ports"],
        "language": "en",
        "note": None,
        "corrections": [
            {"version": 2, "note": "Fixed <name>.", "published_at": "2026-07-27T10:00:00+00:00"}
        ],
        "published_at": "2026-07-27T10:00:00+00:00",
        "first_published_at": "2026-07-26T09:00:00+00:00",
        "last_updated_at": "2026-07-27T10:00:00+00:00",
        "embargoed": False,
        "embargo_until": None,
        "pubstatus": "usable",
        "dateline_text": "DUSHANBE, Tajikistan (Reuters) \N{EM DASH}",
        "credit": "Reuters",
        "copyright_holder": "Newsroom CMS",
        "copyright_notice": "\N{COPYRIGHT SIGN} 2026 Newsroom CMS",
        "usage_terms": "Partners only.",
        "follows": None,
        "followed_by": [],
    }
    return item | overrides


INFO = feeds.FeedInfo(
    id="tag:newsroom-cms,2026:feed:atom",
    title="Newsroom — latest",
    self_url="https://cms.example/content/v1/feeds/atom",
    base_url="https://cms.example/",
    author="Newsroom CMS",
    now=datetime(2026, 7, 28, tzinfo=UTC),
)


def test_an_atom_feed_is_valid_and_its_updated_is_the_last_updated_stamp():
    minor = _item(
        id=13,
        uri="tag:newsroom-cms,2026:article:13",
        version=3,
        kind="minor",
        published_at="2026-07-28T08:00:00+00:00",
        last_updated_at="2026-07-25T08:00:00+00:00",
        embargoed=True,
        embargo_until="2026-07-29T00:00:00+00:00",
        corrections=[],
        deck=None,
    )

    parsed = feedparser.parse(feeds.atom_feed(INFO, [_item(), minor]))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.updated == "2026-07-27T10:00:00+00:00"
    first, second = parsed.entries
    assert first.id == "tag:newsroom-cms,2026:article:12"
    assert first.title == "Cranes & ships <idle>"
    assert first.updated == "2026-07-27T10:00:00+00:00"
    assert first.published == "2026-07-26T09:00:00+00:00"
    assert first.link == "https://cms.example/content/v1/articles/12?version=2"
    assert [a.name for a in first.authors] == ["Jane Roe", "John Doe"]
    assert "Fixed &lt;name&gt;." in first.content[0].value
    assert {t.term for t in first.tags} == {"world", "ports"}
    # A typo fix keeps "Last Updated": the entry's updated is that stamp, not the fix.
    assert second.updated == "2026-07-25T08:00:00+00:00"
    assert any(t.term == "embargoed" for t in second.tags)


def test_an_empty_atom_feed_is_valid():
    parsed = feedparser.parse(feeds.atom_feed(INFO, []))

    assert parsed.bozo == 0
    assert parsed.feed.updated == "2026-07-28T00:00:00+00:00"


def test_a_json_feed_has_the_version_1_1_shape():
    document = feeds.json_feed(INFO, [_item()])

    assert document["version"] == "https://jsonfeed.org/version/1.1"
    [item] = document["items"]
    assert item["id"] == "tag:newsroom-cms,2026:article:12"
    assert item["url"] == "https://cms.example/content/v1/articles/12?version=2"
    assert item["date_modified"] == "2026-07-27T10:00:00+00:00"
    assert item["date_published"] == "2026-07-26T09:00:00+00:00"
    assert item["authors"] == [{"name": "Jane Roe"}, {"name": "John Doe"}]
    assert item["tags"] == ["world", "ports"]
    assert item["_newsroom"]["version"] == 2


# --- Through the API --------------------------------------------------------------------------


@pytest.fixture
def partner_headers(session):
    return factories.partner_auth(factories.partner()[1])


def test_the_atom_feed_lists_live_stories_newest_first(client, partner_headers, reporter, editor):
    old = factories.published(factories.article(reporter, headline="Old news"), editor)
    new = factories.published(factories.article(reporter, headline="New & <b>bold</b>"), editor)
    killed = factories.published(factories.article(reporter, headline="Killed"), editor)
    factories.withdrawn(killed, editor)
    draft = factories.article(reporter, headline="Draft only")

    response = client.get(ATOM, headers=partner_headers)

    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0
    assert [e.title for e in parsed.entries] == ["New & <b>bold</b>", "Old news"]
    # The kill is the feed's newest change: a tombstone (RFC 6721) says so.
    assert parsed.feed.updated == killed.withdrawn_at.isoformat()
    assert new.last_updated_at < killed.withdrawn_at
    assert parsed.entries[0].link == f"http://localhost/content/v1/articles/{new.id}?version=1"
    assert all(draft.head.headline != e.title for e in parsed.entries)
    assert old.id != new.id


def test_the_atom_feed_filters_by_section_and_answers_304(
    client, partner_headers, reporter, editor
):
    factories.published(factories.article(reporter, headline="Business"), editor)
    sport = factories.published(factories.article(reporter, section="sport"), editor)

    response = client.get(ATOM + "?section=sport", headers=partner_headers)
    again = client.get(
        ATOM + "?section=sport",
        headers={**partner_headers, "If-None-Match": response.headers["ETag"]},
    )
    factories.updated(sport, reporter, editor, body="Match report.")
    changed = client.get(
        ATOM + "?section=sport",
        headers={**partner_headers, "If-None-Match": response.headers["ETag"]},
    )

    parsed = feedparser.parse(response.data)
    assert [e.title for e in parsed.entries] == [factories.STORY["headline"]]
    assert parsed.feed.id == "tag:newsroom-cms,2026:feed:atom:sport"
    assert again.status_code == 304
    assert changed.status_code == 200


def test_the_json_feed_through_the_api(client, partner_headers, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    article = factories.updated(
        article, reporter, editor, kind=VersionKind.CORRECTION, note="Name fixed.", deck="New"
    )

    response = client.get(JSON_FEED + "?limit=5", headers=partner_headers)

    assert response.status_code == 200
    assert response.mimetype == "application/feed+json"
    [item] = response.json["items"]
    assert item["_newsroom"]["version"] == 2
    assert item["date_modified"] == article.last_updated_at.isoformat()
    assert "Name fixed." in item["content_html"]


def test_feeds_show_embargoed_stories_only_to_partners_with_embargo_access(
    client, session, reporter, editor
):
    _, plain = factories.partner()
    _, trusted = factories.partner(embargo_access=True)
    factories.published(
        factories.article(reporter), editor, embargo_until=utcnow() + timedelta(hours=1)
    )

    hidden = feedparser.parse(client.get(ATOM, headers=factories.partner_auth(plain)).data)
    shown = feedparser.parse(client.get(ATOM, headers=factories.partner_auth(trusted)).data)

    assert hidden.entries == []
    [entry] = shown.entries
    assert any(t.term == "embargoed" for t in entry.tags)


@pytest.mark.parametrize("query", ["?limit=0", "?limit=101", "?section="])
def test_bad_feed_arguments_are_422(client, partner_headers, query):
    assert client.get(ATOM + query, headers=partner_headers).status_code == 422
    assert client.get(JSON_FEED + query, headers=partner_headers).status_code == 422


def test_fifty_entries_render(client, partner_headers, reporter, editor):
    for n in range(50):
        factories.published(factories.article(reporter, headline=f"Story {n}"), editor)

    parsed = feedparser.parse(client.get(ATOM, headers=partner_headers).data)

    assert parsed.bozo == 0
    assert len(parsed.entries) == 50
    assert parsed.entries[0].title == "Story 49"
    assert utcnow() - datetime.fromisoformat(parsed.feed.updated) < timedelta(minutes=5)


def test_text_xml_cannot_carry_is_replaced_not_a_500(client, partner_headers, reporter, editor):
    factories.published(
        factories.article(reporter, headline="Cranes \uffff idle", deck="Deck \ufffe"), editor
    )

    response = client.get(ATOM + "?section=business\uffff", headers=partner_headers)
    everything = client.get(ATOM, headers=partner_headers)

    assert response.status_code == 200
    parsed = feedparser.parse(everything.data)
    assert parsed.bozo == 0
    assert parsed.entries[0].title == "Cranes \ufffd idle"


def _feed_urls(response) -> list[str]:
    """Every URL an Atom or JSON feed gives: its own and each entry's."""
    if response.mimetype == "application/atom+xml":
        parsed = feedparser.parse(response.data)
        return [link.href for link in parsed.feed.links] + [e.link for e in parsed.entries]
    document = response.json
    return [document["feed_url"]] + [item["url"] for item in document["items"]]


@pytest.mark.parametrize("path", [ATOM + "?section=world", JSON_FEED + "?section=world"])
def test_a_forged_host_header_never_reaches_the_feeds(
    client, partner_headers, reporter, editor, path
):
    factories.published(factories.article(reporter, section="world"), editor)

    response = client.get(
        path, headers={**partner_headers, "Host": "evil.example", "X-Forwarded-Host": "x.example"}
    )

    assert response.status_code == 200
    urls = _feed_urls(response)
    assert len(urls) >= 2
    assert all(url.startswith("http://localhost/content/v1/") for url in urls), urls
    assert b"evil.example" not in response.data
    assert b"x.example" not in response.data


@pytest.fixture
def public_app(database_url):
    return make_test_app(database_url, CMS_PUBLIC_URL="https://news.example/cms")


@pytest.mark.parametrize("path", [ATOM + "?limit=5", JSON_FEED + "?limit=5"])
def test_feed_urls_come_from_cms_public_url(public_app, partner_headers, reporter, editor, path):
    article = factories.published(factories.article(reporter), editor)

    response = public_app.test_client().get(
        path, headers={**partner_headers, "Host": "evil.example"}
    )

    urls = _feed_urls(response)
    assert urls[0] == f"https://news.example/cms{path}"
    assert f"https://news.example/cms/content/v1/articles/{article.id}?version=1" in urls
    assert b"evil.example" not in response.data
