"""Atom 1.0, JSON Feed 1.1 and IPTC ninjs 2.2 and 3.1 from the partner representation. Pure.

Every function takes plain data: the JSON-ready partner representation of a
version (``cms.delivery.schemas.PartnerArticleSchema``) and a
:class:`FeedInfo`. No database, no Flask.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
NINJS_VERSION = "2.2"
NINJS_SCHEMA = "https://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"
NINJS3_VERSION = "3.1"
NINJS3_SCHEMA = "https://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"
NINJS_MEDIA_TYPE = "application/ninjs+json"
#: RFC 6721: the namespace of ``at:deleted-entry``.
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
#: ninjs 2.2 member names and their ninjs 3.x spelling (3.0 moved to camelCase).
NINJS3_NAMES = {
    "altids": "altIds",
    "charcount": "charCount",
    "contenttype": "contentType",
    "copyrightholder": "copyrightHolder",
    "copyrightnotice": "copyrightNotice",
    "ednote": "edNote",
    "embargoed": "embargoedUntil",
    "firstcreated": "firstCreated",
    "infosources": "infoSources",
    "pubstatus": "pubStatus",
    "representationtype": "representationType",
    "usageterms": "usageTerms",
    "versioncreated": "versionCreated",
    "wordcount": "wordCount",
}
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
    """Return the story as partners should show it: byline, dateline, body, corrections.

    The AP-style dateline (``DUSHANBE, Tajikistan (Reuters) —``) carries the
    agency credit, so a story republished from a feed keeps it.
    """
    parts = []
    if item["byline_text"]:
        parts.append(f'<p class="byline">{html.escape(item["byline_text"])}</p>')
    if item["dateline_text"]:
        parts.append(f'<p class="dateline">{html.escape(item["dateline_text"])}</p>')
    parts.append(item["body_html"])
    for correction in item["corrections"]:
        when = _when(correction["published_at"])
        parts.append(
            f"<p><em>Correction ({when:%Y-%m-%d}): {html.escape(correction['note'])}</em></p>"
        )
    return "\n".join(parts)


def rights_text(item: dict[str, Any]) -> str:
    """Return the credit, copyright notice and usage terms as one line (Atom ``rights``)."""
    parts = [f"Credit: {item['credit']}."] if item["credit"] else []
    parts += [item["copyright_notice"], item["usage_terms"]]
    return " ".join(part for part in parts if part)


class _Tombstones(BaseExtension):
    """RFC 6721 ``at:deleted-entry`` elements for kills, appended to an Atom feed."""

    def __init__(self) -> None:
        self.kills: list[dict[str, Any]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"at": TOMBSTONES_NS}

    def extend_atom(self, feed: Any) -> Any:
        atom = feed.nsmap.get(None, "http://www.w3.org/2005/Atom")
        for kill in self.kills:
            deleted = feed.makeelement(
                f"{{{TOMBSTONES_NS}}}deleted-entry",
                {"ref": kill["uri"], "when": kill["withdrawn_at"]},
            )
            deleted.append(
                feed.makeelement(f"{{{atom}}}link", {"rel": "alternate", "href": kill["href"]})
            )
            comment = feed.makeelement(f"{{{TOMBSTONES_NS}}}comment", {})
            comment.text = _xml(kill_note(kill))
            deleted.append(comment)
            feed.append(deleted)
        return feed


def lineage_links(item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return the story's lineage as ``(title, link)``: what it follows, what follows it."""
    links = [(f"follows ({item['follows']['kind']})", item["follows"])] if item["follows"] else []
    return links + [(f"followed by ({link['kind']})", link) for link in item["followed_by"]]


class _RelatedLinks(BaseEntryExtension):
    """An entry's ``rel="related"`` links, with titles (feedgen 1.0 drops a link's ``rel``)."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        atom = entry.nsmap.get(None, "http://www.w3.org/2005/Atom")
        for title, href in self.links:
            entry.append(
                entry.makeelement(
                    f"{{{atom}}}link", {"rel": "related", "href": href, "title": title}
                )
            )
        return entry


def kill_note(kill: dict[str, Any]) -> str:
    """Return what partners are told of a kill: ``Withdrawn: <reason>``."""
    return f"Withdrawn: {kill['reason']}" if kill["reason"] else "Withdrawn"


def atom_feed(
    info: FeedInfo, items: list[dict[str, Any]], kills: Sequence[dict[str, Any]] = ()
) -> bytes:
    """Return an Atom 1.0 document of ``items``, in the order given, and tombstones of ``kills``.

    An entry's ``updated`` is the story's public "Last Updated" stamp and its
    ``published`` the first publication; the feed's ``updated`` is the newest
    entry's or kill's. Embargoed entries carry a category in :data:`EMBARGO_SCHEME`;
    ``rights`` holds the credit, copyright and usage terms. Each kill (its
    notice, see :func:`kill_feed_item`) is an RFC 6721 ``at:deleted-entry``
    whose ``ref`` is the story's entry id.
    """
    feed = FeedGenerator()
    feed.register_extension("newsroom", _Tombstones, _RelatedLinks, atom=True, rss=False)
    feed.newsroom.kills = [{**k, "href": _xml(_absolute(info, k["href"]))} for k in kills]
    feed.id(_xml(info.id))
    feed.title(_xml(info.title))
    feed.author({"name": _xml(info.author)})
    feed.link(href=_xml(info.self_url), rel="self", type="application/atom+xml")
    feed.generator("Newsroom CMS")
    stamps = [_when(item["last_updated_at"] or item["published_at"]) for item in items]
    feed.updated(max([*stamps, *(_when(k["withdrawn_at"]) for k in kills)], default=info.now))
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
        entry.newsroom.links = [
            (title, _xml(_absolute(info, link["href"]))) for title, link in lineage_links(item)
        ]
        for byline in item["bylines"]:
            entry.author({"name": _xml(byline["name"])})
        if item["credit"]:
            entry.contributor({"name": _xml(item["credit"])})
        if item["deck"]:
            entry.summary(_xml(item["deck"]))
        entry.content(_xml(content_html(item)), type="html")
        entry.rights(_xml(rights_text(item)))
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


def json_feed(
    info: FeedInfo, items: list[dict[str, Any]], kills: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """Return a JSON Feed 1.1 document of ``items``, in the order given.

    Newsroom specifics (version, kind, pubstatus, embargo, corrections, credit,
    rights, lineage) are in each item's ``_newsroom`` extension object; the
    kills in the feed's window are listed in the feed's ``_newsroom.withdrawn``.
    """
    return {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "feed_url": info.self_url,
        "authors": [{"name": info.author}],
        "items": [_json_feed_item(info, item) for item in items],
        "_newsroom": {"withdrawn": [kill_feed_item(info, kill) for kill in kills]},
    }


def kill_feed_item(info: FeedInfo, kill: dict[str, Any]) -> dict[str, Any]:
    """Return the kill notice of a feed: the story's id, when and why, ``pubstatus: canceled``."""
    return {
        "id": kill["uri"],
        "article_id": kill["article_id"],
        "url": _absolute(info, kill["href"]),
        "withdrawn_at": kill["withdrawn_at"],
        "reason": kill["reason"],
        "note": kill_note(kill),
        "pubstatus": "canceled",
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
        "pubstatus": item["pubstatus"],
        "embargoed": item["embargoed"],
        "embargo_until": item["embargo_until"],
        "corrections": item["corrections"],
        **{name: item[name] for name in CREDIT_FIELDS},
        "follows": item["follows"],
        "followed_by": item["followed_by"],
    }
    return entry


#: The partner representation's credit and rights members, carried by every output.
CREDIT_FIELDS = (
    "dateline_text",
    "byline_text",
    "credit",
    "copyright_holder",
    "copyright_notice",
    "usage_terms",
)


def located(dateline: dict[str, Any] | None) -> str | None:
    """Return where a story was filed, for ninjs ``located``: ``Dushanbe, Tajikistan``."""
    if not dateline or not dateline.get("city"):
        return None
    place = dateline.get("region") or dateline.get("country")
    return f"{dateline['city']}, {place}" if place else dateline["city"]


def _plain_text(markup: str) -> str:
    return html.unescape(_TAGS.sub(" ", markup))


def ninjs(item: dict[str, Any], version: str = NINJS_VERSION) -> dict[str, Any]:
    """Return ``item`` as an IPTC ninjs object, 2.2 or (``version="3.1"``) 3.1.

    Mapping: the article's tag URI → ``uri``; the public version → ``version``;
    headline and deck → ``headlines`` (roles ``main`` and ``sub``); the slug →
    ``slugline``; the byline text → ``by``; the dateline's place → ``located``
    and the rendered dateline → a ``descriptions`` entry of role ``dateline``;
    the agency → ``infosources`` (role ``originfo``); the copyright holder,
    notice and usage terms → ``copyrightholder``, ``copyrightnotice``,
    ``usageterms``; the HTML body → ``bodies``; section and keywords →
    ``subjects``; corrections → ``descriptions`` (role ``correction``); first
    publication and this version's publication → ``firstcreated`` /
    ``versioncreated``; an embargo in force → ``embargoed`` and ``pubstatus:
    withheld``; lineage → ``associations`` named ``follows`` and
    ``followed-by`` (3.1 adds the kind as ``rel``). A kill is :func:`ninjs_kill`.
    3.1 spells the same members in camelCase (:data:`NINJS3_NAMES`).
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
        "pubstatus": item["pubstatus"],
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
        "copyrightholder": item["copyright_holder"],
        "copyrightnotice": item["copyright_notice"],
        "usageterms": item["usage_terms"],
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
    if item["credit"]:
        document["infosources"] = [{"name": item["credit"], "role": "originfo"}]
    subjects = [{"name": item["section"], "rel": "section"}] if item["section"] else []
    subjects += [{"name": keyword, "rel": "keyword"} for keyword in item["keywords"]]
    if subjects:
        document["subjects"] = subjects
    descriptions = []
    if item["dateline_text"]:
        descriptions.append(
            {"role": "dateline", "contenttype": "text/plain", "value": item["dateline_text"]}
        )
    descriptions += [
        {
            "role": "correction",
            "contenttype": "text/plain",
            "value": f"Correction (version {c['version']}, {c['published_at']}): {c['note']}",
        }
        for c in item["corrections"]
    ]
    if descriptions:
        document["descriptions"] = descriptions
    associations = [
        {"name": "follows" if title.startswith("follows") else "followed-by", "uri": link["uri"]}
        | ({"rel": link["kind"]} if version != NINJS_VERSION else {})
        for title, link in lineage_links(item)
    ]
    if associations:
        document["associations"] = associations
    return _versioned(document, version)


def _versioned(document: dict[str, Any], version: str) -> dict[str, Any]:
    """Return ``document`` (2.2 names) in ninjs ``version``, with its ``standard``."""
    if version == NINJS_VERSION:
        return {**document, "standard": _standard(version)}
    return {**_camel(document), "standard": _standard(version)}


def _standard(version: str) -> dict[str, str]:
    schema = NINJS_SCHEMA if version == NINJS_VERSION else NINJS3_SCHEMA
    return {"name": "ninjs", "version": version, "schema": schema}


def _camel(value: Any) -> Any:
    """Return ninjs 2.2 ``value`` with its member names spelled as ninjs 3.x spells them."""
    if isinstance(value, dict):
        return {NINJS3_NAMES.get(name, name): _camel(member) for name, member in value.items()}
    if isinstance(value, list):
        return [_camel(member) for member in value]
    return value


def ninjs_kill(notice: dict[str, Any], version: str = NINJS_VERSION) -> dict[str, Any]:
    """Return a kill notice as ninjs: ``pubstatus: canceled``, the reason in ``ednote``."""
    document: dict[str, Any] = {
        "uri": notice["uri"],
        "type": "text",
        "pubstatus": "canceled",
        "versioncreated": notice["withdrawn_at"],
        "ednote": kill_note(notice),
    }
    if notice.get("version") is not None:
        document["version"] = str(notice["version"])
    if notice.get("headline"):
        document["headlines"] = [{"role": "main", "value": notice["headline"]}]
    if notice.get("slug"):
        document["slugline"] = notice["slug"]
    return _versioned(document, version)
