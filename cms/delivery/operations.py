"""Syndication operations: partners and keys, what a partner sees, webhooks. They flush.

What a partner sees is decided by the outbox (``delivery_events``), the same
rows as the changes feed, so that the feed, the content API and the webhooks
always agree:

- a publication event is visible to a partner when its audience includes the
  partner (see :class:`~cms.delivery.models.Audience`: embargoed publications
  go to partners with embargo access, their later *release* to the others)
  and its section is one of the partner's sections (or the partner takes all);
- a kill is visible to a partner that could see an earlier publication of the
  story, whatever the section;
- the version a partner sees of a story is the one of its newest visible
  event; a story whose newest visible event is a kill is gone (410).

Each verb flushes; the request, the CLI command or the worker job commits.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased, selectinload

from cms.articles.models import Article, ArticleStatus, Revision
from cms.core.errors import Conflict, Gone, NotFound, Unauthorized, ValidationFailed
from cms.core.sqlite import writing
from cms.core.types import utcnow
from cms.delivery import feeds, signing, webhooks
from cms.delivery.models import (
    Audience,
    Delivery,
    DeliveryAttempt,
    DeliveryEvent,
    DeliveryState,
    EventKind,
    Partner,
    PartnerKey,
)
from cms.delivery.schemas import ChangeSchema, PartnerArticleSchema
from cms.extensions import db
from cms.workflow.models import Version
from cms.workflow.operations import JobOutcome, lock_feed, record_delivery_event

log = logging.getLogger(__name__)

KEY_PREFIX = "nrk_"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret
#: Characters of a key kept in the clear to tell keys apart (``nrk_`` + 8).
KEY_PREFIX_LENGTH = 12
#: The version of the partner representation, part of every ETag: bump it
#: whenever ``PartnerArticleSchema`` (or the ninjs mapping) changes on purpose.
REPRESENTATION = 1
ARTICLE_URI = "tag:newsroom-cms,2026:article:"
CONTENT_PREFIX = "/content/v1"
JSON_FORMAT = "json"
NINJS_FORMAT = "ninjs"
_OPEN = (DeliveryState.PENDING, DeliveryState.DELIVERING)
_WITHDRAWN = EventKind.WITHDRAWN

_article_schema = PartnerArticleSchema()
_change_schema = ChangeSchema()


# --- Small caches ------------------------------------------------------------------------------


class _LRU:
    """A bounded, thread-safe mapping that forgets the least recently used entry."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: Versions are immutable, so their representation is rendered once per
#: process. Keys carry the version's content hash and publication time, which
#: no other version shares, so a cache never answers for another database.
_representations = _LRU(1024)
_encoded = _LRU(1024)
_feeds = _LRU(64)
#: Positive API-key lookups: ``key hash → (monotonic expiry, Reader)``.
_keys = _LRU(4096)


# --- Partners and their keys -------------------------------------------------------------------


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def normalise_sections(sections: list[str] | None) -> list[str] | None:
    """Return ``sections`` stripped and without duplicates; ``None`` (every section) stays."""
    if sections is None:
        return None
    return list(dict.fromkeys(s.strip() for s in sections if s.strip()))


def _checked_webhook_url(url: str | None) -> str | None:
    """Return ``url`` stripped, or ``None`` for none.

    Raises :class:`ValidationFailed` for a URL webhooks may not go to.
    """
    if url is None or not url.strip():
        return None
    url = url.strip()
    try:
        webhooks.check_url(url, allow_private=current_app.config["CMS_WEBHOOK_ALLOW_PRIVATE"])
    except webhooks.RefusedUrlError as refused:
        raise ValidationFailed(
            f"Webhook URL refused: {refused}", errors={"json": {"webhook_url": [str(refused)]}}
        ) from None
    return url


def _ensure_name_free(name: str, partner_id: int | None) -> None:
    statement = select(Partner.id).where(Partner.name == name)
    if partner_id is not None:
        statement = statement.where(Partner.id != partner_id)
    if db.session.scalar(statement.limit(1)) is not None:
        raise Conflict(f"A partner named {name!r} already exists.")


def create_partner(
    *,
    name: str,
    sections: list[str] | None = None,
    embargo_access: bool = False,
    webhook_url: str | None = None,
) -> tuple[Partner, str]:
    """Create a partner with its first API key; return it and the key (shown once).

    The partner's webhook secret is generated too (``partner.webhook_secret``).
    Raises :class:`Conflict` for a taken name and :class:`ValidationFailed`
    for a webhook URL that is not allowed.
    """
    name = name.strip()
    _ensure_name_free(name, None)
    now = utcnow()
    partner = Partner(
        name=name,
        sections=normalise_sections(sections),
        embargo_access=embargo_access,
        webhook_url=_checked_webhook_url(webhook_url),
        webhook_secret=SECRET_PREFIX + secrets.token_urlsafe(32),
        active=True,
        created_at=now,
        updated_at=now,
    )
    db.session.add(partner)
    db.session.flush()
    key, _record = issue_key(partner)
    log.info("created partner %s (%s)", partner.id, name)
    return partner, key


def get_partner(partner_id: int) -> Partner:
    """Return the partner with ``partner_id``.

    Raises :class:`NotFound` if there is none.
    """
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"There is no partner {partner_id}.")
    return partner


def find_partner(name_or_id: str) -> Partner:
    """Return the partner named ``name_or_id``, or with that id.

    Raises :class:`NotFound` if there is none.
    """
    partner = db.session.scalar(select(Partner).where(Partner.name == name_or_id.strip()))
    if partner is None and name_or_id.strip().isdigit():
        partner = db.session.get(Partner, int(name_or_id))
    if partner is None:
        raise NotFound(f"There is no partner {name_or_id!r}.")
    return partner


def partners_query() -> Select:
    """Return a ``select()`` of partners, by name."""
    return select(Partner).order_by(Partner.name, Partner.id)


#: What :func:`update_partner` may change.
PARTNER_CHANGES = frozenset(
    {"name", "sections", "embargo_access", "webhook_url", "webhook_paused", "active"}
)


def update_partner(partner: Partner, **changes: Any) -> Partner:
    """Change a partner's ``PARTNER_CHANGES`` fields present in ``changes``.

    ``sections: None`` means every section and ``webhook_url: None`` removes
    the webhook. A new webhook URL, or ``webhook_paused: False``, resumes a
    paused webhook. Raises :class:`Conflict` for a taken name and
    :class:`ValidationFailed` for a webhook URL that is not allowed.
    """
    unknown = set(changes) - PARTNER_CHANGES
    if unknown:
        raise TypeError(f"cannot change {', '.join(sorted(unknown))}")
    now = utcnow()
    if changes.get("name") is not None:
        name = changes["name"].strip()
        _ensure_name_free(name, partner.id)
        partner.name = name
    if "sections" in changes:
        partner.sections = normalise_sections(changes["sections"])
    if changes.get("embargo_access") is not None:
        partner.embargo_access = changes["embargo_access"]
    paused = changes.get("webhook_paused")
    if "webhook_url" in changes:
        partner.webhook_url = _checked_webhook_url(changes["webhook_url"])
        paused = False if paused is None else paused
    if paused is False:
        partner.webhook_paused_at = None
        partner.webhook_paused_reason = None
    elif paused is True and partner.webhook_paused_at is None:
        partner.webhook_paused_at = now
        partner.webhook_paused_reason = "paused by an admin"
    if changes.get("active") is not None:
        partner.active = changes["active"]
    partner.updated_at = now
    db.session.flush()
    # What a key may see has changed: this process forgets at once, other
    # processes within CMS_PARTNER_KEY_CACHE_SECONDS.
    _keys.clear()
    return partner


def issue_key(partner: Partner, *, revoke_others: bool = False) -> tuple[str, PartnerKey]:
    """Give ``partner`` a new API key; return it (shown once) and its record.

    Older keys stay valid unless ``revoke_others``, so a partner can switch
    over before the old key is revoked.
    """
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    if revoke_others:
        for other in partner.keys:
            if other.revoked_at is None:
                other.revoked_at = now
        _keys.clear()
    record = PartnerKey(
        partner=partner, prefix=key[:KEY_PREFIX_LENGTH], key_hash=_digest(key), created_at=now
    )
    db.session.add(record)
    db.session.flush()
    return key, record


def revoke_key(partner: Partner, key_id: int) -> PartnerKey:
    """Revoke one of ``partner``'s keys (again is harmless) and return it.

    Raises :class:`NotFound` if the partner has no such key.
    """
    record = db.session.scalar(
        select(PartnerKey).where(PartnerKey.id == key_id, PartnerKey.partner_id == partner.id)
    )
    if record is None:
        raise NotFound(f"Partner {partner.id} has no key {key_id}.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        db.session.flush()
    _keys.clear()
    return record


def find_key(partner: Partner, id_or_prefix: str) -> PartnerKey:
    """Return the partner's key with that id or prefix.

    Raises :class:`NotFound` if there is none.
    """
    for record in partner.keys:
        if id_or_prefix in (str(record.id), record.prefix):
            return record
    raise NotFound(f"Partner {partner.id} has no key {id_or_prefix!r}.")


def rotate_webhook_secret(partner: Partner) -> str:
    """Replace the partner's webhook secret and return the new one (shown once).

    Deliveries from now on are signed with the new secret.
    """
    partner.webhook_secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    partner.updated_at = utcnow()
    db.session.flush()
    return partner.webhook_secret


# --- Authentication and visibility -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reader:
    """A partner, as far as what it may see goes."""

    partner_id: int
    #: ``None``: every section.
    sections: tuple[str, ...] | None
    embargo_access: bool

    @classmethod
    def of(cls, partner: Partner) -> Reader:
        sections = None if partner.sections is None else tuple(partner.sections)
        return cls(partner.id, sections, partner.embargo_access)

    @property
    def audiences(self) -> tuple[Audience, Audience]:
        other = Audience.EMBARGO_ACCESS if self.embargo_access else Audience.NO_EMBARGO_ACCESS
        return (Audience.ALL, other)

    def sees(self, audience: Audience, section: str | None) -> bool:
        """Whether a publication event with ``audience`` and ``section`` is for this partner."""
        if audience not in self.audiences:
            return False
        return self.sections is None or section in self.sections


def authenticate(key: str) -> Reader:
    """Return the reader a partner API key stands for.

    Positive answers are remembered in this process for
    ``CMS_PARTNER_KEY_CACHE_SECONDS``, so a revocation made by another process
    takes that long to reach this one. Raises :class:`Unauthorized` for an
    unknown or revoked key, or an inactive partner.
    """
    digest = _digest(key)
    cached = _keys.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    row = db.session.execute(
        select(Partner.id, Partner.sections, Partner.embargo_access)
        .join(PartnerKey, PartnerKey.partner_id == Partner.id)
        .where(
            PartnerKey.key_hash == digest,
            PartnerKey.revoked_at.is_(None),
            Partner.active.is_(True),
        )
    ).first()
    if row is None:
        raise Unauthorized(
            "A valid partner API key is required: Authorization: Bearer <key>.",
        )
    sections = None if row.sections is None else tuple(row.sections)
    reader = Reader(row.id, sections, row.embargo_access)
    ttl = current_app.config["CMS_PARTNER_KEY_CACHE_SECONDS"]
    if ttl > 0:
        _keys.put(digest, (time.monotonic() + ttl, reader))
    return reader


def visible(reader: Reader, event: Any = DeliveryEvent) -> ColumnElement[bool]:
    """SQL: ``event`` is a publication the reader may see (audience and section)."""
    condition = and_(event.kind != _WITHDRAWN, event.audience.in_(reader.audiences))
    if reader.sections is not None:
        condition = and_(condition, event.section.in_(reader.sections))
    return condition


def _seen_before(reader: Reader, event: Any) -> ColumnElement[bool]:
    """SQL: the reader could see a publication of ``event``'s story before ``event``."""
    earlier = aliased(DeliveryEvent)
    return exists(
        select(earlier.id).where(
            earlier.article_id == event.article_id, earlier.id < event.id, visible(reader, earlier)
        )
    )


def _in_feed(reader: Reader, event: Any = DeliveryEvent) -> ColumnElement[bool]:
    """SQL: ``event`` belongs to the reader's changes feed."""
    return or_(visible(reader, event), and_(event.kind == _WITHDRAWN, _seen_before(reader, event)))


def _current(reader: Reader, event: Any = DeliveryEvent) -> ColumnElement[bool]:
    """SQL: ``event`` may be the reader's current state of its story (kills count for all)."""
    return or_(event.kind == _WITHDRAWN, visible(reader, event))


# --- What a partner sees of a story ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    """A version of a story a partner may see, and when it became visible."""

    article_id: int
    version: int
    #: The visible event that showed this version.
    event_id: int
    seen_at: datetime
    embargo_until: datetime | None
    content_hash: str
    published_at: datetime

    @property
    def cache_key(self) -> tuple:
        return (self.article_id, self.version, self.content_hash, self.published_at)

    def embargoed(self, now: datetime) -> bool:
        return self.embargo_until is not None and self.embargo_until > now

    def etag(self, fmt: str, now: datetime) -> str:
        """The strong ETag of this version's representation in ``fmt`` at ``now``."""
        flag = "e" if self.embargoed(now) else "p"
        return (
            f'"{self.article_id}.{self.version}.{self.content_hash[:12]}'
            f'.{fmt}{REPRESENTATION}{flag}"'
        )

    def last_modified(self, now: datetime) -> datetime:
        """When the representation last changed: visible, or its embargo ended."""
        if self.embargo_until is not None and self.seen_at < self.embargo_until <= now:
            return self.embargo_until
        return self.seen_at


def _found_columns() -> tuple:
    return (
        DeliveryEvent.id,
        DeliveryEvent.kind,
        DeliveryEvent.article_id,
        DeliveryEvent.version_number,
        DeliveryEvent.created_at,
        DeliveryEvent.embargo_until,
        Version.content_hash,
        Version.published_at,
    )


def _with_version(statement: Select) -> Select:
    return statement.join(
        Version,
        and_(
            Version.article_id == DeliveryEvent.article_id,
            Version.number == DeliveryEvent.version_number,
        ),
    )


def _found(row: Row) -> Found:
    return Found(
        article_id=row.article_id,
        version=row.version_number,
        event_id=row.id,
        seen_at=row.created_at,
        embargo_until=row.embargo_until,
        content_hash=row.content_hash,
        published_at=row.published_at,
    )


#: The item lookup's statements, built once per kind of reader: the hot path
#: of the content API then spends no time constructing SQL.
_statements = _LRU(256)


def _statement(name: str, reader: Reader, build: Callable[[], Select]) -> Select:
    key = (name, reader.embargo_access, reader.sections)
    statement = _statements.get(key)
    if statement is None:
        statement = build()
        _statements.put(key, statement)
    return statement


def _latest_statement(reader: Reader) -> Select:
    return (
        _with_version(select(*_found_columns()))
        .where(DeliveryEvent.article_id == bindparam("article_id"), _current(reader))
        .order_by(DeliveryEvent.id.desc())
        .limit(1)
    )


def _version_statement(reader: Reader) -> Select:
    return (
        _with_version(select(*_found_columns()))
        .where(
            DeliveryEvent.article_id == bindparam("article_id"),
            DeliveryEvent.version_number == bindparam("version"),
            visible(reader),
        )
        .order_by(DeliveryEvent.id)
        .limit(1)
    )


def find_article(reader: Reader, article_id: int, *, version: int | None = None) -> Found:
    """Return the version of the story the reader sees (or version ``version`` of it).

    One indexed query (two for an older version). Raises :class:`NotFound`
    when the reader may not see the story (or that version), and
    :class:`Gone` with the kill notice when it was withdrawn.
    """
    # Core execution: plain rows, none of the ORM's bookkeeping.
    connection = db.session.connection()
    latest = connection.execute(
        _statement("latest", reader, lambda: _latest_statement(reader)),
        {"article_id": article_id},
    ).first()
    if latest is not None and latest.kind == _WITHDRAWN:
        notice = kill_notice(reader, article_id)
        if notice is not None:
            raise Gone(
                f"Article {article_id} was withdrawn: {notice['reason']}",
                **notice,
                ninjs=feeds.ninjs_kill(notice),
            )
        latest = None
    if latest is None:
        raise NotFound(f"There is no article {article_id}.")
    if version is None or version == latest.version_number:
        return _found(latest)
    older = connection.execute(
        _statement("version", reader, lambda: _version_statement(reader)),
        {"article_id": article_id, "version": version},
    ).first()
    if older is None:
        raise NotFound(f"Article {article_id} has no version {version}.")
    return _found(older)


def kill_notice(reader: Reader, article_id: int) -> dict[str, Any] | None:
    """Return what the reader is told of a withdrawn story, or ``None`` if it never saw it."""
    seen = db.session.execute(
        _with_version(select(*_found_columns()))
        .where(DeliveryEvent.article_id == article_id, visible(reader))
        .order_by(DeliveryEvent.id.desc())
        .limit(1)
    ).first()
    article = db.session.execute(
        select(Article.status, Article.withdrawn_at, Article.withdrawal_reason).where(
            Article.id == article_id
        )
    ).first()
    if seen is None or article is None or article.status != ArticleStatus.WITHDRAWN:
        return None
    last = representation(_found(seen), embargoed=False)
    return {
        "article_id": article_id,
        "uri": f"{ARTICLE_URI}{article_id}",
        "version": seen.version_number,
        "headline": last["headline"],
        "slug": last["slug"],
        "withdrawn_at": article.withdrawn_at.isoformat(),
        "reason": article.withdrawal_reason,
    }


def list_articles(
    reader: Reader,
    *,
    limit: int,
    section: str | None = None,
    updated_since: datetime | None = None,
    cursor: str | None = None,
) -> tuple[list[Found], str | None]:
    """Return the live stories the reader sees, newest visible change first, and the next cursor.

    Keyset pagination on the event id of each story's visible version. Raises
    :class:`ValidationFailed` for a cursor this list did not give out.
    """
    later = aliased(DeliveryEvent)
    statement = (
        _with_version(select(*_found_columns()))
        .where(
            visible(reader),
            ~exists(
                select(later.id).where(
                    later.article_id == DeliveryEvent.article_id,
                    later.id > DeliveryEvent.id,
                    _current(reader, later),
                )
            ),
        )
        .order_by(DeliveryEvent.id.desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        statement = statement.where(DeliveryEvent.id < decode_cursor("articles", cursor, "cursor"))
    if section is not None:
        statement = statement.where(DeliveryEvent.section == section)
    if updated_since is not None:
        statement = statement.where(DeliveryEvent.created_at >= updated_since)
    rows = db.session.execute(statement).all()
    found = [_found(row) for row in rows[:limit]]
    next_cursor = encode_cursor("articles", found[-1].event_id) if len(rows) > limit else None
    return found, next_cursor


# --- Rendering ---------------------------------------------------------------------------------


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
    revision = db.session.scalar(
        select(Revision)
        .where(Revision.article_id == article_id, Revision.number == version.revision_number)
        .options(selectinload(Revision.body))
    )
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
    base = _representations.get(found.cache_key)
    if base is None:
        base = _load_representation(found.article_id, found.version)
        _representations.put(found.cache_key, base)
    if embargoed:
        return {**base, "embargoed": True}
    return base


def dumps(data: Any) -> bytes:
    """Return ``data`` as compact UTF-8 JSON, the encoding of every partner-facing body."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def article_body(found: Found, fmt: str, now: datetime) -> bytes:
    """Return the encoded representation of ``found`` in ``fmt`` (``json`` or ``ninjs``)."""
    embargoed = found.embargoed(now)
    key = (found.cache_key, fmt, embargoed)
    body = _encoded.get(key)
    if body is None:
        data = representation(found, embargoed=embargoed)
        body = dumps(feeds.ninjs(data) if fmt == NINJS_FORMAT else data)
        _encoded.put(key, body)
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
    document = _feeds.get(etag)
    if document is None:
        items = [representation(f, embargoed=f.embargoed(now)) for f in found]
        if kind == "atom":
            document = feeds.atom_feed(info, items)
        else:
            document = dumps(feeds.json_feed(info, items))
        _feeds.put(etag, document)
    return document, etag


# --- The changes feed --------------------------------------------------------------------------


def encode_cursor(kind: str, event_id: int) -> str:
    """Return an opaque cursor standing after event ``event_id`` of list ``kind``."""
    return base64.urlsafe_b64encode(f"{kind}:{event_id}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, argument: str) -> int:
    """Return the event id in ``cursor``.

    Raises :class:`ValidationFailed` (naming query ``argument``) for anything
    that is not a cursor of list ``kind``.
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        text = ""
    name, _, number = text.partition(":")
    if name != kind or not number.isdigit() or len(number) > 18:
        raise ValidationFailed(
            "Not a cursor this list gave out.",
            errors={"query": {argument: ["Not a cursor this list gave out."]}},
        )
    return int(number)


def change_item(event: Any, now: datetime) -> dict[str, Any]:
    """Return the JSON-ready changes-feed item of ``event``."""
    withdrawn = event.kind == _WITHDRAWN
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


def changes(reader: Reader, *, after: str | None, limit: int, now: datetime) -> dict[str, Any]:
    """Return the reader's next events after cursor ``after``, oldest first, and the next cursor.

    Events are numbered in commit order (see ``record_delivery_event``), so the
    newest id visible now bounds everything that can still appear below it: the
    page is read up to that horizon, and an exhausted page's cursor jumps to
    it. Paging while events arrive therefore never skips nor repeats one.
    Raises :class:`ValidationFailed` for a cursor the feed did not give out.
    """
    start = 0 if after is None else decode_cursor("changes", after, "after")
    horizon = db.session.scalar(select(func.max(DeliveryEvent.id))) or 0
    events = db.session.scalars(
        select(DeliveryEvent)
        .where(DeliveryEvent.id > start, DeliveryEvent.id <= horizon, _in_feed(reader))
        .order_by(DeliveryEvent.id)
        .limit(limit + 1)
    ).all()
    has_more = len(events) > limit
    events = events[:limit]
    position = events[-1].id if has_more else max(start, horizon)
    return {
        "items": [change_item(event, now) for event in events],
        "next_cursor": encode_cursor("changes", position),
        "has_more": has_more,
    }


# --- The outbox: audiences, fan-out and embargo releases ---------------------------------------


def audience_for(event: DeliveryEvent) -> Audience:
    """Return who a new event is for: an embargo still running keeps it to embargo partners."""
    at = event.created_at or utcnow()
    if event.kind != _WITHDRAWN and event.embargo_until is not None and event.embargo_until > at:
        return Audience.EMBARGO_ACCESS
    return Audience.ALL


def fan_out(event: DeliveryEvent) -> None:
    """Queue a webhook delivery of ``event`` for every active partner with a webhook it is for.

    Called in the transaction that writes the event, so an event and its
    deliveries exist together or not at all. A paused webhook still gets its
    deliveries queued; they go out once it is resumed.
    """
    partners = db.session.execute(
        select(Partner.id, Partner.sections, Partner.embargo_access).where(
            Partner.active.is_(True), Partner.webhook_url.is_not(None)
        )
    ).all()
    if not partners:
        return
    earlier: list[Row] = []
    if event.kind == _WITHDRAWN:
        earlier = db.session.execute(
            select(DeliveryEvent.audience, DeliveryEvent.section).where(
                DeliveryEvent.article_id == event.article_id,
                DeliveryEvent.id < event.id,
                DeliveryEvent.kind != _WITHDRAWN,
            )
        ).all()
    for row in partners:
        reader = Reader(
            row.id, None if row.sections is None else tuple(row.sections), row.embargo_access
        )
        if event.kind == _WITHDRAWN:
            wanted = any(reader.sees(e.audience, e.section) for e in earlier)
        else:
            wanted = reader.sees(event.audience, event.section)
        if wanted:
            db.session.add(
                Delivery(
                    event_id=event.id,
                    partner_id=row.id,
                    state=DeliveryState.PENDING,
                    attempts=0,
                    attempts_base=0,
                    next_attempt_at=event.created_at,
                    created_at=event.created_at,
                )
            )
    db.session.flush()


def _outcome(runner: str, job_id: int) -> Callable[..., JobOutcome]:
    def outcome(result: str, detail: str = "", then=None) -> JobOutcome:
        return JobOutcome(runner=runner, job_id=job_id, result=result, detail=detail, then=then)

    return outcome


def _claimable(statement: Select) -> Select:
    """Let concurrent PostgreSQL workers pass over rows another worker holds."""
    if db.session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


def release_next_embargo(now: datetime, tried: set[int]) -> JobOutcome | None:
    """Release the next embargoed publication whose embargo ended by ``now``, if any.

    Partners without embargo access learn of the version by a new event (a
    release, with a new id, so it comes after everything they have paged
    past). Nothing is released for a story since withdrawn, nor for a version
    those partners already have a newer one of. Claimed by a compare-and-swap
    on ``lifted_at``; the feed lock is taken before looking at the story, so a
    kill committing meanwhile is either seen or comes after the release.
    """
    candidates = (
        select(DeliveryEvent.id)
        .where(
            DeliveryEvent.audience == Audience.EMBARGO_ACCESS,
            DeliveryEvent.lifted_at.is_(None),
            DeliveryEvent.embargo_until <= now,
        )
        .order_by(DeliveryEvent.embargo_until, DeliveryEvent.id)
        .limit(1)
    )
    if tried:
        candidates = candidates.where(DeliveryEvent.id.not_in(tried))
    event_id = db.session.scalar(_claimable(candidates))
    if event_id is None:
        return None
    outcome = _outcome("embargo-release", event_id)
    claimed = db.session.execute(
        update(DeliveryEvent)
        .where(DeliveryEvent.id == event_id, DeliveryEvent.lifted_at.is_(None))
        .values(lifted_at=now),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:
        return outcome("skipped", "another worker released it")
    lock_feed()
    event = db.session.get(DeliveryEvent, event_id, populate_existing=True)
    status = db.session.scalar(select(Article.status).where(Article.id == event.article_id))
    if status == ArticleStatus.WITHDRAWN:
        return outcome("done", f"article {event.article_id} was withdrawn; nothing to release")
    newer = db.session.scalar(
        select(func.max(DeliveryEvent.version_number)).where(
            DeliveryEvent.article_id == event.article_id,
            DeliveryEvent.kind != _WITHDRAWN,
            DeliveryEvent.audience.in_((Audience.ALL, Audience.NO_EMBARGO_ACCESS)),
            DeliveryEvent.version_number > event.version_number,
        )
    )
    if newer is not None:
        return outcome(
            "done", f"article {event.article_id} version {newer} is already out; not released"
        )
    release = record_delivery_event(
        article_id=event.article_id,
        kind=event.kind,
        version_number=event.version_number,
        revision_number=event.revision_number,
        version_kind=event.version_kind,
        embargo_until=event.embargo_until,
        section=event.section,
        slug=event.slug,
        note=event.note,
        created_at=now,
        audience=Audience.NO_EMBARGO_ACCESS,
        releases_id=event.id,
    )
    log.info(
        "embargo of article %s version %s ended: release event %s",
        event.article_id,
        event.version_number,
        release.id,
    )
    return outcome(
        "done", f"article {event.article_id} version {event.version_number}: event {release.id}"
    )


# --- Webhook deliveries ------------------------------------------------------------------------


def webhook_payload(event: DeliveryEvent, reader: Reader, now: datetime) -> bytes:
    """Return the JSON body of ``event``'s webhook to the partner ``reader`` stands for.

    ``{"event": <changes-feed item>, "article": <partner representation>}`` for
    a publication (``article`` is ``null`` if the story has been withdrawn
    since: the kill follows), ``{"event": …, "withdrawal": <kill notice>}``
    for a kill.
    """
    body: dict[str, Any] = {"event": change_item(event, now)}
    if event.kind == _WITHDRAWN:
        body["withdrawal"] = kill_notice(reader, event.article_id)
    else:
        status = db.session.scalar(select(Article.status).where(Article.id == event.article_id))
        if status == ArticleStatus.WITHDRAWN:
            body["article"] = None
        else:
            version = db.session.execute(
                select(Version.content_hash, Version.published_at).where(
                    Version.article_id == event.article_id,
                    Version.number == event.version_number,
                )
            ).one()
            found = Found(
                article_id=event.article_id,
                version=event.version_number,
                event_id=event.id,
                seen_at=event.created_at,
                embargo_until=event.embargo_until,
                content_hash=version.content_hash,
                published_at=version.published_at,
            )
            body["article"] = representation(found, embargoed=found.embargoed(now))
    return dumps(body)


@dataclass(frozen=True, slots=True)
class _Claim:
    """A claimed delivery attempt: everything the HTTP call and its record need."""

    delivery_id: int
    partner_id: int
    event_id: int
    event_kind: str
    attempt: int
    attempts_base: int
    url: str
    secret: str = field(repr=False)
    body: bytes = field(repr=False)
    clock: datetime


def claim_next_delivery(now: datetime, tried: set[int]) -> JobOutcome | None:
    """Claim the next webhook delivery due at ``now``; its outcome's ``then`` sends it.

    Per partner, deliveries go out in event order: one waits while an earlier
    one of the same partner is pending or in flight. The claim is a
    compare-and-swap on (state, attempts) that marks the delivery
    ``delivering`` with a lease of ``CMS_WEBHOOK_LEASE_SECONDS`` and counts the
    attempt; it is committed before the HTTP call, so each attempt number is
    sent at most once however many workers run, and a worker killed
    mid-request leaves a lease that runs out, after which the delivery is due
    again (that lost attempt does not count against the limit).
    """
    config = current_app.config
    earlier = aliased(Delivery)
    candidates = (
        select(Delivery.id, Delivery.state, Delivery.attempts)
        .join(Partner, Partner.id == Delivery.partner_id)
        .where(
            Delivery.state.in_(_OPEN),
            Delivery.next_attempt_at <= now,
            Partner.active.is_(True),
            Partner.webhook_url.is_not(None),
            Partner.webhook_paused_at.is_(None),
            ~exists(
                select(earlier.id).where(
                    earlier.partner_id == Delivery.partner_id,
                    earlier.state.in_(_OPEN),
                    earlier.event_id < Delivery.event_id,
                )
            ),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(1)
    )
    if tried:
        candidates = candidates.where(Delivery.id.not_in(tried))
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=Delivery)
    row = db.session.execute(candidates).first()
    if row is None:
        return None
    outcome = _outcome("webhook", row.id)
    clock = max(now, utcnow())
    lost = row.state == DeliveryState.DELIVERING
    attempt = row.attempts + 1
    claimed = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == row.id,
            Delivery.state == row.state,
            Delivery.attempts == row.attempts,
        )
        .values(
            state=DeliveryState.DELIVERING,
            attempts=attempt,
            attempts_base=Delivery.attempts_base + (1 if lost else 0),
            next_attempt_at=clock + timedelta(seconds=config["CMS_WEBHOOK_LEASE_SECONDS"]),
            last_attempt_at=clock,
        ),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:
        return outcome("skipped", "another worker claimed it")
    delivery = db.session.get(Delivery, row.id, populate_existing=True)
    if lost:
        db.session.add(
            DeliveryAttempt(
                delivery_id=delivery.id,
                number=row.attempts,
                started_at=clock,
                duration_ms=0,
                status=None,
                error="the worker stopped during this attempt; its lease ran out",
                outcome="lost",
            )
        )
    partner = db.session.get(Partner, delivery.partner_id)
    claim = _Claim(
        delivery_id=delivery.id,
        partner_id=partner.id,
        event_id=delivery.event_id,
        event_kind=delivery.event.kind.value,
        attempt=attempt,
        attempts_base=delivery.attempts_base,
        url=partner.webhook_url,
        secret=partner.webhook_secret,
        body=webhook_payload(delivery.event, Reader.of(partner), clock),
        clock=clock,
    )
    db.session.flush()
    return outcome(
        "claimed",
        f"event {claim.event_id} to partner {partner.id}, attempt {attempt}",
        then=functools.partial(_send, claim),
    )


def _send(claim: _Claim) -> JobOutcome:
    """POST a claimed delivery (outside any transaction) and record what came of it."""
    config = current_app.config
    headers = signing.signed_headers(
        claim.secret,
        event_id=claim.event_id,
        event_kind=claim.event_kind,
        attempt=claim.attempt,
        timestamp=int(time.time()),
        body=claim.body,
    )
    started = utcnow()
    answer, refused = webhooks.post(
        claim.url,
        claim.body,
        headers,
        timeout=config["CMS_WEBHOOK_TIMEOUT"],
        allow_private=config["CMS_WEBHOOK_ALLOW_PRIVATE"],
    )
    verdict = webhooks.Verdict.DEAD if refused else webhooks.verdict(answer)
    # SQLite: recording writes, so its transaction takes the write lock at BEGIN.
    with writing():
        return _record(claim, started, answer, verdict)


def _describe(answer: webhooks.Answer, verdict: webhooks.Verdict) -> str | None:
    if answer.error:
        return answer.error
    if verdict == webhooks.Verdict.DELIVERED:
        return None
    if verdict == webhooks.Verdict.GONE:
        return "HTTP 410: the receiver says the endpoint is gone; the webhook is paused"
    return f"HTTP {answer.status}"


def _record(
    claim: _Claim, started: datetime, answer: webhooks.Answer, verdict: webhooks.Verdict
) -> JobOutcome:
    """Record one finished attempt: delivered, due again after a backoff, or dead."""
    config = current_app.config
    outcome = _outcome("webhook", claim.delivery_id)
    now = max(claim.clock, utcnow())
    error = _describe(answer, verdict)
    used = claim.attempt - claim.attempts_base
    values: dict[str, Any] = {"last_status": answer.status, "last_error": error}
    if verdict == webhooks.Verdict.DELIVERED:
        state, values["delivered_at"] = DeliveryState.DELIVERED, now
    elif verdict == webhooks.Verdict.RETRY and used < config["CMS_WEBHOOK_MAX_ATTEMPTS"]:
        state = DeliveryState.PENDING
        delay = webhooks.backoff(
            used,
            base=config["CMS_WEBHOOK_BACKOFF_BASE"],
            maximum=config["CMS_WEBHOOK_BACKOFF_MAX"],
            retry_after=answer.retry_after,
        )
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    else:
        state = DeliveryState.DEAD
        if verdict == webhooks.Verdict.RETRY:
            values["last_error"] = f"{error} (gave up after {used} attempts)"[:500]
    recorded = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == claim.delivery_id,
            Delivery.state == DeliveryState.DELIVERING,
            Delivery.attempts == claim.attempt,
        )
        .values(state=state, **values),
        execution_options={"synchronize_session": False},
    )
    if recorded.rowcount != 1:
        # Our lease ran out and another worker took the delivery over.
        log.warning("delivery %s attempt %s finished too late", claim.delivery_id, claim.attempt)
        return outcome("skipped", f"attempt {claim.attempt} outlived its lease")
    if verdict == webhooks.Verdict.GONE:
        db.session.execute(
            update(Partner)
            .where(Partner.id == claim.partner_id, Partner.webhook_paused_at.is_(None))
            .values(webhook_paused_at=now, webhook_paused_reason=error),
            execution_options={"synchronize_session": False},
        )
        log.warning("partner %s webhook paused: 410 Gone", claim.partner_id)
    result = "retry" if state == DeliveryState.PENDING else state.value
    db.session.add(
        DeliveryAttempt(
            delivery_id=claim.delivery_id,
            number=claim.attempt,
            started_at=started,
            duration_ms=answer.duration_ms,
            status=answer.status,
            error=error,
            outcome=result,
        )
    )
    db.session.flush()
    status = answer.status if answer.status is not None else answer.error
    return outcome(result, f"event {claim.event_id} attempt {claim.attempt}: {status}")


# --- The delivery log --------------------------------------------------------------------------


def deliveries_query(partner: Partner, state: DeliveryState | None = None) -> Select:
    """Return a ``select()`` of the partner's deliveries, newest first."""
    statement = (
        select(Delivery).where(Delivery.partner_id == partner.id).order_by(Delivery.id.desc())
    )
    if state is not None:
        statement = statement.where(Delivery.state == state)
    return statement


def get_delivery(partner: Partner, delivery_id: int) -> Delivery:
    """Return one of the partner's deliveries with its attempts.

    Raises :class:`NotFound` if the partner has no such delivery.
    """
    delivery = db.session.scalar(
        select(Delivery)
        .where(Delivery.id == delivery_id, Delivery.partner_id == partner.id)
        .options(selectinload(Delivery.attempt_log))
        .execution_options(populate_existing=True)
    )
    if delivery is None:
        raise NotFound(f"Partner {partner.id} has no delivery {delivery_id}.")
    return delivery


def redeliver(partner: Partner, delivery_id: int) -> Delivery:
    """Queue a delivery again now, with a fresh allowance of attempts.

    The receiver gets the same event id (and a higher attempt number). Raises
    :class:`NotFound` for an unknown delivery and :class:`Conflict` while an
    attempt is in flight.
    """
    delivery = get_delivery(partner, delivery_id)
    if delivery.state == DeliveryState.DELIVERING:
        raise Conflict("An attempt is in flight; wait for its outcome.")
    queued = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.state == delivery.state)
        .values(
            state=DeliveryState.PENDING,
            next_attempt_at=utcnow(),
            attempts_base=Delivery.attempts,
        ),
        execution_options={"synchronize_session": False},
    )
    if queued.rowcount != 1:
        raise Conflict("The delivery changed meanwhile; try again.")
    log.info("delivery %s to partner %s queued again", delivery.id, partner.id)
    return get_delivery(partner, delivery_id)
