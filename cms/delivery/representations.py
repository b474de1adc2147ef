"""What a partner receives: the JSON representation, feeds, ninjs and webhook bodies.

The one place that renders partner-facing schemas. Versions are immutable,
so each representation is rendered once per process and kept in the app's
caches (:mod:`cms.core.cache`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cms.articles.models import Revision, Version
from cms.core.cache import LRU, app_cache
from cms.core.extensions import db
from cms.delivery import feeds
from cms.delivery.access import Reader
from cms.delivery.queries import (
    ARTICLE_URI,
    CONTENT_PATH,
    ChangesPage,
    Found,
    kill_notice,
    lineage,
    shown_by,
)
from cms.delivery.schemas import ChangeSchema, PartnerArticleSchema
from cms.outbox.models import DeliveryEvent, EventKind

log = logging.getLogger(__name__)

#: The version of the partner representation, part of every ETag: bump it
#: whenever ``PartnerArticleSchema`` (or the ninjs mapping) changes on purpose.
REPRESENTATION = 2
CONTENT_PREFIX = CONTENT_PATH
JSON_FORMAT = "json"
NINJS_FORMAT = "ninjs"
NINJS3_FORMAT = "ninjs3"
#: Lineage of a story nothing follows and that follows nothing.
NO_LINEAGE: dict[str, Any] = {"follows": None, "followed_by": []}

_article_schema = PartnerArticleSchema()
_change_schema = ChangeSchema()


# Versions are immutable, so their representation is rendered once per
# process. Keys carry the version's content hash and publication time, which
# no other version shares, so a cache never answers for another database.


def _representations() -> LRU:
    return app_cache("delivery.representations", 1024)


def _encoded() -> LRU:
    return app_cache("delivery.encoded", 1024)


def _feeds() -> LRU:
    return app_cache("delivery.feeds", 64)


def _load_representation(article_id: int, number: int) -> dict[str, Any]:
    """Build the JSON-ready representation of version ``number`` (embargo flag unset)."""
    versions = db.session.execute(
        select(
            Version.number,
            Version.kind,
            Version.note,
            Version.published_at,
            Version.embargo_until,
            Version.revision_number,
        )
        .where(Version.article_id == article_id, Version.number <= number)
        .order_by(Version.number)
    ).all()
    version = versions[-1]
    revision = db.session.execute(
        select(Revision)
        .where(Revision.article_id == article_id, Revision.number == version.revision_number)
        .options(selectinload(Revision.body))
    ).scalar_one()
    updates = [v.published_at for v in versions if v.kind != "minor"]
    data = {
        "id": article_id,
        "uri": f"{ARTICLE_URI}{article_id}",
        "href": f"{CONTENT_PREFIX}/articles/{article_id}?version={number}",
        "version": number,
        "kind": version.kind,
        "headline": revision.headline,
        "deck": revision.deck,
        "slug": revision.slug,
        "body": revision.body.markdown,
        "body_html": revision.body.html,
        "dateline": revision.dateline,
        "bylines": revision.bylines,
        "section": revision.section,
        "keywords": revision.keywords,
        "language": revision.language,
        "note": version.note,
        "corrections": [
            {"version": v.number, "note": v.note, "published_at": v.published_at}
            for v in versions
            if v.kind == "correction"
        ],
        "published_at": version.published_at,
        "first_published_at": versions[0].published_at,
        "last_updated_at": max(updates) if updates else version.published_at,
        "embargoed": False,
        "embargo_until": version.embargo_until,
        "pubstatus": "usable",
        "credit": (revision.dateline or {}).get("agency"),
        # Per partner and per request: see ``representation``.
        "copyright_holder": None,
        "copyright_notice": None,
        "usage_terms": None,
        **NO_LINEAGE,
    }
    return _article_schema.dump(data)


def rights(reader: Reader) -> tuple[str, str]:
    """Return the copyright holder and usage terms ``reader``'s partner receives."""
    config = current_app.config
    return (
        reader.copyright_holder or config["CMS_COPYRIGHT_HOLDER"],
        reader.usage_terms or config["CMS_USAGE_TERMS"],
    )


def representation(
    found: Found,
    reader: Reader,
    *,
    embargoed: bool,
    links: dict[str, Any] = NO_LINEAGE,
) -> dict[str, Any]:
    """Return the partner representation of ``found``'s version for ``reader``.

    The version's part is rendered once per process; the partner's copyright
    holder and usage terms, the pubstatus (``withheld`` while embargoed) and
    the story's lineage ``links`` (see :func:`queries.lineage`) are laid over it.
    """
    base = _representations().get(found.cache_key)
    if base is None:
        base = _load_representation(found.article_id, found.version)
        _representations().put(found.cache_key, base)
    holder, terms = rights(reader)
    year = (base["first_published_at"] or base["published_at"])[:4]
    return {
        **base,
        "embargoed": embargoed,
        "pubstatus": "withheld" if embargoed else "usable",
        "copyright_holder": holder,
        "copyright_notice": f"\N{COPYRIGHT SIGN} {year} {holder}",
        "usage_terms": terms,
        **links,
    }


def _variant(reader: Reader, links: dict[str, Any]) -> str:
    """A short digest of what a partner's copy adds to a version: rights and lineage."""
    text = json.dumps([rights(reader), links], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def article_etag(
    found: Found, fmt: str, now: datetime, reader: Reader, links: dict[str, Any] = NO_LINEAGE
) -> str:
    """The strong ETag of ``found``'s representation in ``fmt`` at ``now`` for ``reader``."""
    flag = "e" if found.embargoed(now) else "p"
    return (
        f'"{found.article_id}.{found.version}.{found.content_hash[:12]}'
        f'.{fmt}{REPRESENTATION}{flag}.{_variant(reader, links)}"'
    )


def dumps(data: Any) -> bytes:
    """Return ``data`` as compact UTF-8 JSON, the encoding of every partner-facing body."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def article_body(
    found: Found, fmt: str, now: datetime, reader: Reader, links: dict[str, Any] = NO_LINEAGE
) -> bytes:
    """Return the encoded representation of ``found`` for ``reader`` in ``fmt``.

    ``json``, ``ninjs`` (IPTC ninjs 2.2) or ``ninjs3`` (3.1).
    """
    embargoed = found.embargoed(now)
    key = (found.cache_key, fmt, embargoed, _variant(reader, links))
    body = _encoded().get(key)
    if body is None:
        data = representation(found, reader, embargoed=embargoed, links=links)
        if fmt == NINJS_FORMAT:
            body = dumps(feeds.ninjs(data))
        elif fmt == NINJS3_FORMAT:
            body = dumps(feeds.ninjs(data, feeds.NINJS3_VERSION))
        else:
            body = dumps(data)
        _encoded().put(key, body)
    return body


def feed_document(
    kind: str,
    info: feeds.FeedInfo,
    found: list[Found],
    now: datetime,
    reader: Reader,
    kills: list[dict[str, Any]],
) -> tuple[bytes, str]:
    """Return the Atom (``atom``) or JSON Feed (``json``) document of ``found`` and its ETag.

    ``kills`` (from :func:`queries.recent_kills`) become tombstones (Atom) or
    kill notices (JSON Feed).
    """
    links = lineage(reader, [f.article_id for f in found])
    state = tuple((f.cache_key, f.embargoed(now)) for f in found)
    fingerprint = hashlib.sha256(
        repr(
            (kind, REPRESENTATION, info.self_url, info.title, state, rights(reader), links, kills)
        ).encode()
    ).hexdigest()
    etag = f'"feed.{fingerprint[:32]}"'
    document = _feeds().get(etag)
    if document is None:
        items = [
            representation(f, reader, embargoed=f.embargoed(now), links=links[f.article_id])
            for f in found
        ]
        if kind == "atom":
            document = feeds.atom_feed(info, items, kills)
        else:
            document = dumps(feeds.json_feed(info, items, kills))
        _feeds().put(etag, document)
    return document, etag


def change_item(event: Any, now: datetime) -> dict[str, Any]:
    """Return the JSON-ready changes-feed item of ``event``."""
    withdrawn = event.kind == EventKind.WITHDRAWN
    embargoed = event.embargo_until is not None and event.embargo_until > now
    return _change_schema.dump(
        {
            "id": event.id,
            "kind": event.kind,
            "article_id": event.article_id,
            "version": event.version_number,
            "version_kind": event.version_kind,
            "at": event.created_at,
            "section": event.section,
            "slug": event.slug,
            "note": event.note,
            "embargoed": embargoed,
            "embargo_until": None if withdrawn else event.embargo_until,
            "pubstatus": "canceled" if withdrawn else "withheld" if embargoed else "usable",
            "href": None
            if withdrawn
            else f"{CONTENT_PREFIX}/articles/{event.article_id}?version={event.version_number}",
        }
    )


def changes_document(page: ChangesPage, now: datetime) -> dict[str, Any]:
    """Return the JSON-ready changes-feed page ``page``."""
    return {
        "items": [change_item(event, now) for event in page.events],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }


def webhook_payload(event: DeliveryEvent, reader: Reader, now: datetime) -> bytes:
    """Return the JSON body of ``event``'s webhook to the partner ``reader`` stands for.

    ``{"event": <changes-feed item>, "article": <partner representation>}`` for
    a publication (``article`` is ``null`` if the story has been withdrawn
    since: the kill follows), ``{"event": …, "withdrawal": <kill notice>}``
    for a kill.
    """
    body: dict[str, Any] = {"event": change_item(event, now)}
    if event.kind == EventKind.WITHDRAWN:
        body["withdrawal"] = kill_notice(reader, event.article_id)
    else:
        found = shown_by(event)
        body["article"] = (
            None
            if found is None
            else representation(
                found,
                reader,
                embargoed=found.embargoed(now),
                links=lineage(reader, [found.article_id])[found.article_id],
            )
        )
    return dumps(body)
