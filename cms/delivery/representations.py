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

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import selectinload

from cms.articles.models import Revision, Version
from cms.core.cache import LRU, app_cache
from cms.core.extensions import db
from cms.delivery import feeds
from cms.delivery.access import Reader
from cms.delivery.queries import ARTICLE_URI, ChangesPage, Found, kill_notice, shown_by
from cms.delivery.schemas import ChangeSchema, PartnerArticleSchema
from cms.outbox.models import DeliveryEvent, EventKind

log = logging.getLogger(__name__)

#: The version of the partner representation, part of every ETag: bump it
#: whenever ``PartnerArticleSchema`` (or the ninjs mapping) changes on purpose.
REPRESENTATION = 1
CONTENT_PREFIX = "/content/v1"
JSON_FORMAT = "json"
NINJS_FORMAT = "ninjs"

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
    }
    return _article_schema.dump(data)


def representation(found: Found, *, embargoed: bool) -> dict[str, Any]:
    """Return the partner representation of ``found``'s version (do not change it)."""
    base = _representations().get(found.cache_key)
    if base is None:
        base = _load_representation(found.article_id, found.version)
        _representations().put(found.cache_key, base)
    if embargoed:
        return {**base, "embargoed": True}
    return base


def article_etag(found: Found, fmt: str, now: datetime) -> str:
    """The strong ETag of ``found``'s representation in ``fmt`` at ``now``."""
    flag = "e" if found.embargoed(now) else "p"
    return (
        f'"{found.article_id}.{found.version}.{found.content_hash[:12]}'
        f'.{fmt}{REPRESENTATION}{flag}"'
    )


def dumps(data: Any) -> bytes:
    """Return ``data`` as compact UTF-8 JSON, the encoding of every partner-facing body."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def article_body(found: Found, fmt: str, now: datetime) -> bytes:
    """Return the encoded representation of ``found`` in ``fmt`` (``json`` or ``ninjs``)."""
    embargoed = found.embargoed(now)
    key = (found.cache_key, fmt, embargoed)
    body = _encoded().get(key)
    if body is None:
        data = representation(found, embargoed=embargoed)
        body = dumps(feeds.ninjs(data) if fmt == NINJS_FORMAT else data)
        _encoded().put(key, body)
    return body


def feed_document(
    kind: str, info: feeds.FeedInfo, found: list[Found], now: datetime
) -> tuple[bytes, str]:
    """Return the Atom (``atom``) or JSON Feed (``json``) document of ``found`` and its ETag."""
    state = tuple((f.cache_key, f.embargoed(now)) for f in found)
    fingerprint = hashlib.sha256(
        repr((kind, REPRESENTATION, info.self_url, info.title, state)).encode()
    ).hexdigest()
    etag = f'"feed.{fingerprint[:32]}"'
    document = _feeds().get(etag)
    if document is None:
        items = [representation(f, embargoed=f.embargoed(now)) for f in found]
        if kind == "atom":
            document = feeds.atom_feed(info, items)
        else:
            document = dumps(feeds.json_feed(info, items))
        _feeds().put(etag, document)
    return document, etag


def change_item(event: Any, now: datetime) -> dict[str, Any]:
    """Return the JSON-ready changes-feed item of ``event``."""
    withdrawn = event.kind == EventKind.WITHDRAWN
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
            "embargoed": event.embargo_until is not None and event.embargo_until > now,
            "embargo_until": None if withdrawn else event.embargo_until,
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
            None if found is None else representation(found, embargoed=found.embargoed(now))
        )
    return dumps(body)
