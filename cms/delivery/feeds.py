"""Atom 1.0, JSON Feed 1.1 and IPTC ninjs 2.2 from the partner representation. Pure.

Every function takes plain data: the JSON-ready partner representation of a
version (``cms.delivery.schemas.PartnerArticleSchema``) and a
:class:`FeedInfo`. No database, no Flask.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
NINJS_VERSION = "2.2"
NINJS_SCHEMA = "https://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"
NINJS_MEDIA_TYPE = "application/ninjs+json"
#: Scheme of the Atom category that marks an embargoed entry.
EMBARGO_SCHEME = "tag:newsroom-cms,2026:embargo"
_TAGS = re.compile(r"<[^>]+>")
#: Characters XML 1.0 cannot carry (e.g. U+FFFF): stored text may have them, a feed may not.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself."""

    #: A stable IRI naming the feed (a tag URI).
    id: str
    title: str
    #: The feed's own absolute URL.
    self_url: str
    #: Absolute URL that relative ``href`` values of items are resolved against.
    base_url: str
    #: The newsroom, as the feed's author.
    author: str
    #: Used as the feed's ``updated`` when it has no items.
    now: datetime


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _absolute(info: FeedInfo, href: str) -> str:
    return info.base_url.rstrip("/") + href


def content_html(item: dict[str, Any]) -> str:
    """Return the story's HTML with its corrections appended, as partners should show it."""
    parts = [item["body_html"]]
    for correction in item["corrections"]:
        when = _when(correction["published_at"])
        parts.append(
            f"<p><em>Correction ({when:%Y-%m-%d}): {html.escape(correction['note'])}</em></p>"
        )
    return "\n".join(parts)


def atom_feed(info: FeedInfo, items: list[dict[str, Any]]) -> bytes:
    """Return an Atom 1.0 document of ``items``, in the order given.

    An entry's ``updated`` is the story's public "Last Updated" stamp and its
    ``published`` the first publication; the feed's ``updated`` is the newest
    entry's. Embargoed entries carry a category in :data:`EMBARGO_SCHEME`.
    """
    feed = FeedGenerator()
    feed.id(_xml(info.id))
    feed.title(_xml(info.title))
    feed.author({"name": _xml(info.author)})
    feed.link(href=_xml(info.self_url), rel="self", type="application/atom+xml")
    feed.generator("Newsroom CMS")
    stamps = [_when(item["last_updated_at"] or item["published_at"]) for item in items]
    feed.updated(max(stamps) if stamps else info.now)
    for item, updated in zip(items, stamps, strict=True):
        entry = feed.add_entry(order="append")
        entry.id(item["uri"])
        entry.title(_xml(item["headline"]))
        entry.updated(updated)
        first_published = item["first_published_at"]
        entry.published(_when(first_published) if first_published else updated)
        entry.link(
            href=_xml(_absolute(info, item["href"])), rel="alternate", type="application/json"
        )
        for byline in item["bylines"]:
            entry.author({"name": _xml(byline["name"])})
        if item["deck"]:
            entry.summary(_xml(item["deck"]))
        entry.content(_xml(content_html(item)), type="html")
        if item["section"]:
            entry.category(term=_xml(item["section"]), label=_xml(item["section"]))
        for keyword in item["keywords"]:
            entry.category(term=_xml(keyword))
        if item["embargoed"]:
            entry.category(
                term="embargoed",
                scheme=EMBARGO_SCHEME,
                label=f"Embargoed until {item['embargo_until']}",
            )
    return feed.atom_str(pretty=False)


def json_feed(info: FeedInfo, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a JSON Feed 1.1 document of ``items``, in the order given.

    Newsroom specifics (version, kind, embargo, corrections) are in each
    item's ``_newsroom`` extension object.
    """
    return {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "feed_url": info.self_url,
        "authors": [{"name": info.author}],
        "items": [_json_feed_item(info, item) for item in items],
    }


def _json_feed_item(info: FeedInfo, item: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": item["uri"],
        "url": _absolute(info, item["href"]),
        "title": item["headline"],
        "content_html": content_html(item),
        "date_published": item["first_published_at"] or item["published_at"],
        "date_modified": item["last_updated_at"] or item["published_at"],
    }
    if item["deck"]:
        entry["summary"] = item["deck"]
    if item["bylines"]:
        entry["authors"] = [{"name": byline["name"]} for byline in item["bylines"]]
    tags = ([item["section"]] if item["section"] else []) + list(item["keywords"])
    if tags:
        entry["tags"] = tags
    entry["language"] = item["language"]
    entry["_newsroom"] = {
        "article_id": item["id"],
        "version": item["version"],
        "kind": item["kind"],
        "embargoed": item["embargoed"],
        "embargo_until": item["embargo_until"],
        "corrections": item["corrections"],
    }
    return entry


def located(dateline: dict[str, Any] | None) -> str | None:
    """Return where a story was filed, for ninjs ``located``: ``Dushanbe, Tajikistan``."""
    if not dateline or not dateline.get("city"):
        return None
    place = dateline.get("region") or dateline.get("country")
    return f"{dateline['city']}, {place}" if place else dateline["city"]


def _plain_text(markup: str) -> str:
    return html.unescape(_TAGS.sub(" ", markup))


def ninjs(item: dict[str, Any]) -> dict[str, Any]:
    """Return ``item`` as an IPTC ninjs 2.2 object.

    Mapping: the article's tag URI → ``uri``; the public version → ``version``;
    headline and deck → ``headlines`` (roles ``main`` and ``sub``); the slug →
    ``slugline``; bylines → ``by``; the dateline → ``located``; the HTML body →
    ``bodies``; section and keywords → ``subjects``; corrections →
    ``descriptions`` (role ``correction``); first publication and this
    version's publication → ``firstcreated`` / ``versioncreated``; an embargo in
    force → ``embargoed``. A kill is :func:`ninjs_kill`.
    """
    text = _plain_text(item["body_html"])
    document: dict[str, Any] = {
        "uri": item["uri"],
        "type": "text",
        "representationtype": "full",
        "profile": "newsroom-cms-article",
        "version": str(item["version"]),
        "firstcreated": item["first_published_at"] or item["published_at"],
        "versioncreated": item["published_at"],
        "pubstatus": "usable",
        "language": item["language"],
        "headlines": [{"role": "main", "value": item["headline"]}],
        "title": item["headline"],
        "slugline": item["slug"],
        "bodies": [
            {
                "role": "main",
                "contenttype": "text/html",
                "value": item["body_html"],
                "charcount": len(text.strip()),
                "wordcount": len(text.split()),
            }
        ],
        "altids": [{"role": "article-id", "value": str(item["id"])}],
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA},
    }
    if item["embargoed"] and item["embargo_until"]:
        document["embargoed"] = item["embargo_until"]
    if item["deck"]:
        document["headlines"].append({"role": "sub", "value": item["deck"]})
    if item["byline_text"]:
        document["by"] = item["byline_text"]
    place = located(item["dateline"])
    if place:
        document["located"] = place
    subjects = [{"name": item["section"], "rel": "section"}] if item["section"] else []
    subjects += [{"name": keyword, "rel": "keyword"} for keyword in item["keywords"]]
    if subjects:
        document["subjects"] = subjects
    if item["corrections"]:
        document["descriptions"] = [
            {
                "role": "correction",
                "contenttype": "text/plain",
                "value": f"Correction (version {c['version']}, {c['published_at']}): {c['note']}",
            }
            for c in item["corrections"]
        ]
    return document


def ninjs_kill(notice: dict[str, Any]) -> dict[str, Any]:
    """Return a kill notice as ninjs: ``pubstatus: canceled``, the reason in ``ednote``."""
    document: dict[str, Any] = {
        "uri": notice["uri"],
        "type": "text",
        "pubstatus": "canceled",
        "versioncreated": notice["withdrawn_at"],
        "ednote": f"Withdrawn: {notice['reason']}" if notice["reason"] else "Withdrawn",
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA},
    }
    if notice.get("version") is not None:
        document["version"] = str(notice["version"])
    if notice.get("headline"):
        document["headlines"] = [{"role": "main", "value": notice["headline"]}]
    if notice.get("slug"):
        document["slugline"] = notice["slug"]
    return document
