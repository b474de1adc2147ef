"""Issue 12: credit and rights travel with every partner output; pubstatus; kills; lineage.

Every test runs on each database (``app`` through ``session``).
"""

from __future__ import annotations

import json
from datetime import timedelta

import feedparser
import pytest
from lxml import etree

from cms.core.types import utcnow
from cms.delivery import representations
from cms.delivery.access import Reader
from cms.delivery.feeds import TOMBSTONES_NS
from cms.outbox.models import EventKind
from tests import factories

ARTICLES = "/content/v1/articles"
ATOM = "/content/v1/feeds/atom"
JSON_FEED = "/content/v1/feeds/json"
PARTNERS = "/api/v1/partners"
AGENCY_STORY = {
    "dateline": {"city": "Dushanbe", "country": "Tajikistan", "agency": "Reuters"},
    "bylines": [
        {"name": "Jane Roe", "affiliation": "Reuters"},
        {"name": "John Doe", "affiliation": "Reuters"},
    ],
}
DATELINE = "DUSHANBE, Tajikistan (Reuters) \N{EM DASH}"
BYLINE = "By Jane Roe and John Doe, Reuters"


@pytest.fixture
def agency_story(session, reporter, editor):
    return factories.published(factories.article(reporter, **AGENCY_STORY), editor)


def _auth(**fields):
    partner, key = factories.partner(**fields)
    return partner, factories.partner_auth(key)


# --- 1. Credit travels with the story ---------------------------------------------------------


def test_every_output_carries_dateline_byline_agency_and_newsroom_rights(
    client, app, agency_story
):
    partner, headers = _auth()
    holder = app.config["CMS_COPYRIGHT_HOLDER"]
    terms = app.config["CMS_USAGE_TERMS"]
    year = agency_story.first_published_at.year

    content = client.get(f"{ARTICLES}/{agency_story.id}", headers=headers).json
    listed = client.get(ARTICLES, headers=headers).json["items"][0]
    ninjs = client.get(f"{ARTICLES}/{agency_story.id}?format=ninjs", headers=headers).json
    ninjs3 = client.get(f"{ARTICLES}/{agency_story.id}?format=ninjs3", headers=headers).json
    atom = client.get(ATOM, headers=headers).data.decode()
    json_feed = client.get(JSON_FEED, headers=headers).json
    [event] = [e for e in factories.events(agency_story.id) if e.kind == EventKind.PUBLISHED]
    webhook = json.loads(representations.webhook_payload(event, Reader.of(partner), utcnow()))

    for item in (content, listed, webhook["article"]):
        assert item["dateline_text"] == DATELINE
        assert item["byline_text"] == BYLINE
        assert item["credit"] == "Reuters"
        assert item["copyright_holder"] == holder
        assert item["copyright_notice"] == f"\N{COPYRIGHT SIGN} {year} {holder}"
        assert item["usage_terms"] == terms
    assert ninjs["by"] == ninjs3["by"] == BYLINE
    assert ninjs["located"] == ninjs3["located"] == "Dushanbe, Tajikistan"
    assert (
        ninjs["infosources"] == ninjs3["infoSources"] == [{"name": "Reuters", "role": "originfo"}]
    )
    assert ninjs["copyrightholder"] == ninjs3["copyrightHolder"] == holder
    assert ninjs["copyrightnotice"] == ninjs3["copyrightNotice"] == content["copyright_notice"]
    assert ninjs["usageterms"] == ninjs3["usageTerms"] == terms
    assert {"role": "dateline", "contenttype": "text/plain", "value": DATELINE} in ninjs[
        "descriptions"
    ]
    parsed = feedparser.parse(atom)
    [entry] = parsed.entries
    assert entry.rights == f"Credit: Reuters. {content['copyright_notice']} {terms}"
    assert [c.name for c in entry.contributors] == ["Reuters"]
    assert DATELINE in entry.content[0].value
    assert BYLINE in entry.content[0].value
    [item] = json_feed["items"]
    assert DATELINE in item["content_html"]
    assert item["_newsroom"]["credit"] == "Reuters"
    assert item["_newsroom"]["usage_terms"] == terms
    assert item["_newsroom"]["copyright_notice"] == content["copyright_notice"]


def test_a_partner_override_of_copyright_and_terms_reaches_it_alone(client, admin, agency_story):
    partner, headers = _auth()
    _other, other_headers = _auth()
    path = f"{ARTICLES}/{agency_story.id}"
    before = client.get(path, headers=headers)

    changed = client.patch(
        f"{PARTNERS}/{partner.id}",
        json={"copyright_holder": "Harbour Gazette Syndicate", "usage_terms": "Print only."},
        headers=factories.auth(admin),
    )
    after = client.get(path, headers=headers)
    other = client.get(path, headers=other_headers).json
    revalidated = client.get(path, headers={**headers, "If-None-Match": before.headers["ETag"]})
    ninjs = client.get(f"{path}?format=ninjs", headers=headers).json
    atom = feedparser.parse(client.get(ATOM, headers=headers).data)
    reset = client.patch(
        f"{PARTNERS}/{partner.id}",
        json={"copyright_holder": None, "usage_terms": "  "},
        headers=factories.auth(admin),
    )

    assert changed.status_code == 200
    assert changed.json["copyright_holder"] == "Harbour Gazette Syndicate"
    assert after.json["copyright_holder"] == "Harbour Gazette Syndicate"
    assert after.json["copyright_notice"].endswith(" Harbour Gazette Syndicate")
    assert after.json["usage_terms"] == "Print only."
    assert ninjs["copyrightholder"] == "Harbour Gazette Syndicate"
    assert ninjs["usageterms"] == "Print only."
    assert atom.entries[0].rights.endswith("Harbour Gazette Syndicate Print only.")
    assert other["copyright_holder"] != "Harbour Gazette Syndicate"
    assert revalidated.status_code == 200, "the rights are part of the ETag"
    assert after.headers["ETag"] != before.headers["ETag"]
    assert reset.json["copyright_holder"] is None
    assert reset.json["usage_terms"] is None
    assert client.get(path, headers=headers).json["usage_terms"] == other["usage_terms"]


def test_rights_longer_than_the_column_are_refused(client, admin):
    partner, _ = _auth()

    response = client.patch(
        f"{PARTNERS}/{partner.id}",
        json={"usage_terms": "x" * 1001},
        headers=factories.auth(admin),
    )

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_a_story_without_dateline_or_bylines_has_no_credit(client, reporter, editor):
    _, headers = _auth()
    bare = factories.published(factories.article(reporter, dateline=None, bylines=[]), editor)

    body = client.get(f"{ARTICLES}/{bare.id}", headers=headers).json
    ninjs = client.get(f"{ARTICLES}/{bare.id}?format=ninjs", headers=headers).json

    assert body["dateline_text"] is None
    assert body["byline_text"] is None
    assert body["credit"] is None
    assert body["copyright_holder"]
    assert "infosources" not in ninjs
    assert "by" not in ninjs


# --- 2. pubstatus, kills, tombstones ----------------------------------------------------------


def test_pubstatus_is_withheld_under_embargo_then_usable(client, reporter, editor):
    _, trusted = _auth(embargo_access=True)
    story = factories.published(
        factories.article(reporter), editor, embargo_until=utcnow() + timedelta(hours=1)
    )

    body = client.get(f"{ARTICLES}/{story.id}", headers=trusted).json
    ninjs = client.get(f"{ARTICLES}/{story.id}?format=ninjs", headers=trusted).json
    ninjs3 = client.get(f"{ARTICLES}/{story.id}?format=ninjs3", headers=trusted).json
    changes = client.get("/content/v1/changes", headers=trusted).json["items"]
    open_story = factories.published(factories.article(reporter, headline="Open"), editor)
    usable = client.get(f"{ARTICLES}/{open_story.id}", headers=trusted).json

    assert body["pubstatus"] == "withheld"
    assert ninjs["pubstatus"] == ninjs3["pubStatus"] == "withheld"
    assert ninjs3["embargoedUntil"] == story.live.embargo_until.isoformat()
    assert [c["pubstatus"] for c in changes] == ["withheld"]
    assert usable["pubstatus"] == "usable"


def test_after_a_kill_every_version_is_410_canceled_with_the_kill_notice(
    client, reporter, editor, agency_story
):
    _, headers = _auth()
    story = factories.updated(agency_story, reporter, editor, headline="Second version")
    factories.withdrawn(story, editor, "Could not be verified")

    for query in ("", "?version=1", "?version=2", "?format=ninjs&version=1", "?format=ninjs3"):
        response = client.get(f"{ARTICLES}/{story.id}{query}", headers=headers)

        assert response.status_code == 410, query
        assert response.mimetype == "application/problem+json"
        body = response.json
        assert body["pubstatus"] == "canceled"
        assert body["reason"] == "Could not be verified"
        assert body["ninjs"]["pubstatus"] == "canceled"
        assert body["ninjs3"]["pubStatus"] == "canceled"
        assert body["ninjs3"]["edNote"] == "Withdrawn: Could not be verified"
        assert body["ninjs3"]["standard"]["version"] == "3.1"
    changes = client.get("/content/v1/changes", headers=headers).json["items"]
    assert [c["pubstatus"] for c in changes] == ["usable", "usable", "canceled"]


def test_the_kill_webhook_says_canceled(client, reporter, editor, agency_story):
    partner, _ = _auth()
    factories.withdrawn(agency_story, editor, "Legal advice")
    [kill] = [e for e in factories.events(agency_story.id) if e.kind == EventKind.WITHDRAWN]

    body = json.loads(representations.webhook_payload(kill, Reader.of(partner), utcnow()))

    assert body["event"]["pubstatus"] == "canceled"
    assert body["withdrawal"]["pubstatus"] == "canceled"
    assert body["withdrawal"]["reason"] == "Legal advice"


def test_the_atom_feed_has_rfc_6721_tombstones_for_kills_in_its_window(client, reporter, editor):
    _, headers = _auth()
    live = factories.published(factories.article(reporter, headline="Live"), editor)
    killed = factories.published(factories.article(reporter, headline="Killed"), editor)
    factories.withdrawn(killed, editor, "Libel risk")

    root = etree.fromstring(client.get(ATOM, headers=headers).data)
    tombstones = root.findall(f"{{{TOMBSTONES_NS}}}deleted-entry")
    json_feed = client.get(JSON_FEED, headers=headers).json
    # A feed of one story covers only the time since that story: the older kill
    # falls outside its window.
    narrow = etree.fromstring(client.get(f"{ATOM}?limit=1", headers=headers).data)
    later = factories.published(factories.article(reporter, headline="Later"), editor)
    window = etree.fromstring(client.get(f"{ATOM}?limit=1", headers=headers).data)

    assert root.nsmap["at"] == TOMBSTONES_NS
    [tombstone] = tombstones
    assert tombstone.get("ref") == f"tag:newsroom-cms,2026:article:{killed.id}"
    assert tombstone.get("when") == killed.withdrawn_at.isoformat()
    assert tombstone.findtext(f"{{{TOMBSTONES_NS}}}comment") == "Withdrawn: Libel risk"
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.findtext("{http://www.w3.org/2005/Atom}id") for e in entries] == [
        f"tag:newsroom-cms,2026:article:{live.id}"
    ]
    assert feedparser.parse(client.get(ATOM, headers=headers).data).bozo == 0
    [notice] = json_feed["_newsroom"]["withdrawn"]
    assert notice["id"] == tombstone.get("ref")
    assert notice["pubstatus"] == "canceled"
    assert notice["reason"] == "Libel risk"
    assert len(narrow.findall(f"{{{TOMBSTONES_NS}}}deleted-entry")) == 1
    assert later.id > killed.id
    assert window.findall(f"{{{TOMBSTONES_NS}}}deleted-entry") == []


def test_a_partner_gets_no_tombstone_for_a_story_it_never_saw(client, reporter, editor):
    _, sport = _auth(sections=["sport"])
    killed = factories.published(factories.article(reporter), editor)  # business
    factories.withdrawn(killed, editor)

    root = etree.fromstring(client.get(ATOM, headers=sport).data)

    assert root.findall(f"{{{TOMBSTONES_NS}}}deleted-entry") == []
    assert client.get(JSON_FEED, headers=sport).json["_newsroom"]["withdrawn"] == []


# --- 3. Lineage -------------------------------------------------------------------------------


def _follow(client, user, article, follows, kind):
    current = client.get(f"/api/v1/articles/{article.id}", headers=factories.auth(user))
    return client.put(
        f"/api/v1/articles/{article.id}/follows",
        json={"follows": follows, "kind": kind},
        headers={**factories.auth(user), "If-Match": current.headers["ETag"]},
    )


def test_partners_see_lineage_both_ways(client, reporter, editor, agency_story):
    _, headers = _auth()
    rewrite = factories.article(reporter, headline="Rewrite of the agency story")

    declared = _follow(client, reporter, rewrite, agency_story.id, "rewrite")
    old_before = client.get(f"{ARTICLES}/{agency_story.id}", headers=headers)
    factories.published(rewrite, editor)
    new = client.get(f"{ARTICLES}/{rewrite.id}", headers=headers).json
    old = client.get(f"{ARTICLES}/{agency_story.id}", headers=headers)
    revalidated = client.get(
        f"{ARTICLES}/{agency_story.id}",
        headers={**headers, "If-None-Match": old_before.headers["ETag"]},
    )
    ninjs = client.get(f"{ARTICLES}/{rewrite.id}?format=ninjs", headers=headers).json
    ninjs3 = client.get(f"{ARTICLES}/{agency_story.id}?format=ninjs3", headers=headers).json
    feed = client.get(JSON_FEED, headers=headers).json

    assert declared.status_code == 200
    assert declared.json["follows"] == agency_story.id
    assert declared.json["follows_kind"] == "rewrite"
    assert old_before.json["followed_by"] == [], "an unpublished follower is not shown"
    link = {
        "id": agency_story.id,
        "uri": f"tag:newsroom-cms,2026:article:{agency_story.id}",
        "href": f"/content/v1/articles/{agency_story.id}",
        "kind": "rewrite",
    }
    assert new["follows"] == link
    assert old.json["followed_by"] == [
        {**link, "id": rewrite.id, "uri": new["uri"], "href": f"{ARTICLES}/{rewrite.id}"}
    ]
    assert revalidated.status_code == 200, "lineage is part of the ETag"
    assert ninjs["associations"] == [{"name": "follows", "uri": link["uri"]}]
    assert ninjs3["associations"] == [{"name": "followed-by", "uri": new["uri"], "rel": "rewrite"}]
    by_id = {item["_newsroom"]["article_id"]: item["_newsroom"] for item in feed["items"]}
    assert by_id[rewrite.id]["follows"]["id"] == agency_story.id
    assert by_id[agency_story.id]["followed_by"][0]["id"] == rewrite.id


def test_a_replacement_names_the_killed_story_it_replaces(client, reporter, editor, agency_story):
    _, headers = _auth()
    factories.withdrawn(agency_story, editor, "Wrong figures")
    replacement = factories.article(reporter, headline="Corrected story")
    assert _follow(client, editor, replacement, agency_story.id, "replacement").status_code == 200
    factories.published(replacement, editor)

    body = client.get(f"{ARTICLES}/{replacement.id}", headers=headers).json
    atom = feedparser.parse(client.get(ATOM, headers=headers).data)

    assert body["follows"]["id"] == agency_story.id
    assert body["follows"]["kind"] == "replacement"
    related = [link for link in atom.entries[0].links if link.rel == "related"]
    assert related[0].href.endswith(f"/content/v1/articles/{agency_story.id}")
    assert related[0].title == "follows (replacement)"


def test_lineage_names_only_stories_the_partner_could_see(client, reporter, editor):
    _, business = _auth(sections=["business"])
    sport_story = factories.published(factories.article(reporter, section="sport"), editor)
    follower = factories.article(reporter, headline="Business follow-up")
    _follow(client, reporter, follower, sport_story.id, "new-lede")
    factories.published(follower, editor)

    body = client.get(f"{ARTICLES}/{follower.id}", headers=business).json

    assert body["follows"] is None


def test_lineage_is_checked(client, reporter, editor):
    first = factories.article(reporter, headline="First")
    second = factories.article(reporter, headline="Second")
    assert _follow(client, reporter, second, first.id, "new-lede").status_code == 200
    path = f"/api/v1/articles/{first.id}/follows"

    cycle = _follow(client, reporter, first, second.id, "rewrite")
    itself = _follow(client, reporter, first, first.id, "rewrite")
    missing = _follow(client, reporter, first, 999_999, "rewrite")
    no_kind = _follow(client, reporter, first, second.id, None)
    bad_kind = _follow(client, reporter, first, second.id, "sequel")
    no_if_match = client.put(path, json={"follows": None}, headers=factories.auth(reporter))
    cleared = _follow(client, reporter, second, None, None)

    for response in (cycle, itself, missing, no_kind, bad_kind):
        assert response.status_code == 422, response.json
        assert response.mimetype == "application/problem+json"
    assert no_if_match.status_code == 428
    assert cleared.status_code == 200
    assert cleared.json["follows"] is None
    assert cleared.json["follows_kind"] is None


def test_a_withdrawn_story_keeps_its_lineage(client, reporter, editor, agency_story):
    factories.withdrawn(agency_story, editor)

    response = _follow(client, editor, agency_story, None, None)

    assert response.status_code == 409
