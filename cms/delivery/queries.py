"""What a partner finds: one story, a list of stories, the changes feed and its cursors.

Read-only; visibility comes from :mod:`cms.delivery.access`.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from cms.articles.models import Article, ArticleStatus, FollowKind, Revision, Version
from cms.articles.search import query as search_query
from cms.articles.search import syntax as search_syntax
from cms.core import pagination
from cms.core.cache import app_cache
from cms.core.database import CUSTOM_PLAN
from cms.core.errors import Gone, NotFound, ValidationFailed
from cms.core.extensions import db
from cms.delivery import feeds
from cms.delivery.access import Reader, _current, _in_feed, visible
from cms.outbox.models import DeliveryEvent, EventKind

log = logging.getLogger(__name__)

#: The stable identifier of a story, whatever its URL: ``ARTICLE_URI`` + id.
ARTICLE_URI = "tag:newsroom-cms,2026:article:"
#: Where the partners' content API lives.
CONTENT_PATH = "/content/v1"


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


def _statement(name: str, reader: Reader, build: Callable[[], Select]) -> Select:
    """Return the statement ``name`` for ``reader``'s kind, built once per process.

    The hot path of the content API then spends no time constructing SQL.
    """
    statements = app_cache("delivery.statements", 256)
    key = (name, reader.kind)
    statement = statements.get(key)
    if statement is None:
        statement = build()
        statements.put(key, statement)
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


def _lineage_column(reader: Reader) -> ColumnElement[str | None]:
    """SQL, correlated to the event's story: the rows :func:`lineage` would read for it.

    ``id:follows_id:kind`` for the story itself when the reader saw the one it
    follows, and for each follower the reader sees, joined with ``,`` (in no
    particular order); ``NULL`` when there are none. :func:`_links` turns it
    into the links.
    """
    article = aliased(Article)
    seen = aliased(DeliveryEvent)

    def seen_by_reader(article_id: Any) -> ColumnElement[bool]:
        return exists(select(seen.id).where(seen.article_id == article_id, visible(reader, seen)))

    row = (
        cast(article.id, String)
        + ":"
        + cast(article.follows_id, String)
        + ":"
        + cast(article.follows_kind, String)
    )
    return (
        select(_joined_with_commas(row))
        .where(
            or_(
                and_(article.id == DeliveryEvent.article_id, seen_by_reader(article.follows_id)),
                and_(article.follows_id == DeliveryEvent.article_id, seen_by_reader(article.id)),
            )
        )
        .scalar_subquery()
        .label("lineage")
    )


def _joined_with_commas(value: ColumnElement[str]) -> ColumnElement[str | None]:
    """SQL: the aggregate of ``value`` joined with commas.

    What ``func.aggregate_strings`` renders, with the separator written into the SQL:
    that function binds it as a parameter that is rendered anew on every execution.
    """
    separator: ColumnElement[str] = literal_column("','")
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(value, separator)
    return func.group_concat(value, separator)


def _links(article_id: int, stamp: str | None) -> dict[str, Any]:
    """The links of ``article_id`` (as :func:`lineage` gives them) from its lineage column."""
    links: dict[str, Any] = {"follows": None, "followed_by": []}
    rows: list[tuple[int, int, FollowKind]] = []
    for part in stamp.split(",") if stamp else ():
        id_text, follows_text, kind = part.split(":", 2)
        rows.append((int(id_text), int(follows_text), FollowKind(kind)))
    for row_id, follows_id, kind in sorted(rows):
        if row_id == article_id:
            links["follows"] = _link(follows_id, kind)
        if follows_id == article_id:
            links["followed_by"].append(_link(row_id, kind))
    return links


def find_article(
    reader: Reader, article_id: int, *, version: int | None = None
) -> tuple[Found, dict[str, Any]]:
    """Return the version of the story the reader sees (or version ``version`` of it)
    and the story's links as :func:`lineage` gives them.

    One indexed query (two for an older version): the links come with the version,
    as a correlated subquery, so a revalidation (whose ETag depends on them) costs
    one statement. Raises :class:`NotFound` when the reader may not see the story
    (or that version), and :class:`Gone` with the kill notice (``pubstatus:
    canceled``, as JSON and as ninjs 2.2 and 3.1) when it was withdrawn, whichever
    version was asked for.
    """
    # Core execution: plain rows, none of the ORM's bookkeeping.
    connection = db.session.connection()
    latest = connection.execute(
        _statement(
            "latest",
            reader,
            lambda: _latest_statement(reader).add_columns(_lineage_column(reader)),
        ),
        {"article_id": article_id},
    ).first()
    if latest is not None and latest.kind == EventKind.WITHDRAWN:
        notice = kill_notice(reader, article_id)
        if notice is not None:
            raise Gone(
                f"Article {article_id} was withdrawn: {notice['reason']}",
                **notice,
                ninjs=feeds.ninjs_kill(notice),
                ninjs3=feeds.ninjs_kill(notice, feeds.NINJS3_VERSION),
            )
        latest = None
    if latest is None:
        raise NotFound(f"There is no article {article_id}.")
    links = _links(article_id, latest.lineage)
    if version is None or version == latest.version_number:
        return _found(latest), links
    older = connection.execute(
        _statement("version", reader, lambda: _version_statement(reader)),
        {"article_id": article_id, "version": version},
    ).first()
    if older is None:
        raise NotFound(f"Article {article_id} has no version {version}.")
    return _found(older), links


def shown_by(event: DeliveryEvent) -> Found | None:
    """Return the version a publication ``event`` showed, or ``None`` if the story is killed."""
    status = db.session.scalar(select(Article.status).where(Article.id == event.article_id))
    if status == ArticleStatus.WITHDRAWN:
        return None
    row = db.session.execute(
        _with_version(select(*_found_columns())).where(DeliveryEvent.id == event.id)
    ).one()
    return _found(row)


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
    last = db.session.execute(
        select(Revision.headline, Revision.slug)
        .join(
            Version,
            and_(
                Version.article_id == Revision.article_id,
                Version.revision_number == Revision.number,
            ),
        )
        .where(Version.article_id == article_id, Version.number == seen.version_number)
    ).one()
    return {
        "article_id": article_id,
        "uri": f"{ARTICLE_URI}{article_id}",
        "version": seen.version_number,
        "headline": last.headline,
        "slug": last.slug,
        "withdrawn_at": article.withdrawn_at.isoformat(),
        "reason": article.withdrawal_reason,
        "pubstatus": "canceled",
    }


def recent_kills(
    reader: Reader, *, limit: int, section: str | None = None, after_event: int = 0
) -> list[dict[str, Any]]:
    """Return the kills in the reader's feed after event ``after_event``, newest first.

    At most ``limit``; each as ``{article_id, uri, href, withdrawn_at, reason}``
    (no headline: the version killed may be one the reader never saw). A feed
    passes the event of its oldest story, so its window is the time it covers.
    """
    statement = (
        select(DeliveryEvent.article_id, DeliveryEvent.created_at, DeliveryEvent.note)
        .where(
            DeliveryEvent.kind == EventKind.WITHDRAWN,
            DeliveryEvent.id > after_event,
            _in_feed(reader),
        )
        .order_by(DeliveryEvent.id.desc())
        .limit(limit)
    )
    if section is not None:
        statement = statement.where(DeliveryEvent.section == section)
    return [
        {
            "article_id": row.article_id,
            "uri": f"{ARTICLE_URI}{row.article_id}",
            "href": f"{CONTENT_PATH}/articles/{row.article_id}",
            "withdrawn_at": row.created_at.isoformat(),
            "reason": row.note,
        }
        for row in db.session.execute(statement)
    ]


def lineage(reader: Reader, article_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Return, for each of ``article_ids``, the story it follows and those that follow it.

    ``{id: {"follows": link | None, "followed_by": [link, …]}}``, a link being
    ``{id, uri, href, kind}``. Only stories the reader could see are named: a
    followed story it saw a version of (killed since or not), followers it
    sees a version of. One query.
    """
    result: dict[int, dict[str, Any]] = {
        article_id: {"follows": None, "followed_by": []} for article_id in article_ids
    }
    if not article_ids:
        return result
    seen = aliased(DeliveryEvent)

    def seen_by_reader(article_id: Any) -> ColumnElement[bool]:
        return exists(select(seen.id).where(seen.article_id == article_id, visible(reader, seen)))

    rows = db.session.execute(
        select(Article.id, Article.follows_id, Article.follows_kind)
        .where(
            or_(
                and_(Article.id.in_(article_ids), seen_by_reader(Article.follows_id)),
                and_(Article.follows_id.in_(article_ids), seen_by_reader(Article.id)),
            )
        )
        .order_by(Article.id)
    ).all()
    for row in rows:
        if row.id in result and row.follows_id is not None:
            result[row.id]["follows"] = _link(row.follows_id, row.follows_kind)
        if row.follows_id in result:
            result[row.follows_id]["followed_by"].append(_link(row.id, row.follows_kind))
    return result


def _link(article_id: int, kind: str) -> dict[str, Any]:
    return {
        "id": article_id,
        "uri": f"{ARTICLE_URI}{article_id}",
        "href": f"{CONTENT_PATH}/articles/{article_id}",
        "kind": kind,
    }


def _shown_now(reader: Reader) -> ColumnElement[bool]:
    """SQL: the event shows the version of its story the reader sees now.

    A visible publication with no later event that may be the reader's current
    state of the story (a later visible publication, or a kill).
    """
    later = aliased(DeliveryEvent)
    return and_(
        visible(reader),
        ~exists(
            select(later.id).where(
                later.article_id == DeliveryEvent.article_id,
                later.id > DeliveryEvent.id,
                _current(reader, later),
            )
        ),
    )


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
    statement = (
        _with_version(select(*_found_columns()))
        .where(_shown_now(reader))
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


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A story version a partner's search found, and where it matched."""

    found: Found
    highlights: dict[str, Any]


#: Candidates ranked per hit wanted in a partner's search, at first; each further round
#: (when too few of them are the reader's current versions) takes this many times more.
SEARCH_CANDIDATES = 4
#: Past this many candidates a search ranks every match at once.
SEARCH_CANDIDATES_MAX = 100_000


def search_articles(
    reader: Reader,
    q: str,
    *,
    limit: int,
    section: str | None = None,
    cursor: str | None = None,
) -> tuple[list[SearchHit], str | None]:
    """Search the versions the reader sees now; return the hits by relevance and the next cursor.

    Only each story's current visible version is searched (its search
    document was written when it was published), never a head, so no draft
    and no update the reader may not see yet. Keyset pages on ``(rank, story
    id)``. The best-ranked matches are taken first and only they are checked
    against what the reader sees now, more of them only if too few pass, so a
    common word costs its ranking, not a join per match. Raises
    :class:`ValidationFailed` for a cursor this search did not give out.
    """
    query = search_syntax.parse(q)
    after = search_query.rank_position("partner-search", cursor) if cursor is not None else None
    wanted = limit + 1
    best: int | None = wanted * SEARCH_CANDIDATES
    while True:
        # A version's document has its revision's section, as every event of the version
        # does: the search's own index keeps to the section, and nothing else needs to.
        matched = search_query.hits(query, heads=False, section=section, best=best, after=after)
        if matched is None:
            return [], None
        statement = (
            _with_version(select(*_found_columns(), matched.c.rank))
            .join(
                matched,
                and_(
                    matched.c.article_id == DeliveryEvent.article_id,
                    matched.c.version == DeliveryEvent.version_number,
                ),
            )
            .where(_shown_now(reader))
            .order_by(matched.c.rank.desc(), matched.c.article_id.desc())
            .limit(wanted)
            .execution_options(**{CUSTOM_PLAN: True})
        )
        rows = db.session.execute(statement).all()
        if len(rows) == wanted or best is None:
            break
        candidates = db.session.scalar(
            select(func.count()).select_from(matched).execution_options(**{CUSTOM_PLAN: True})
        )
        if candidates is None or candidates < best:
            break  # every match was a candidate
        best *= SEARCH_CANDIDATES
        if best > SEARCH_CANDIDATES_MAX:
            best = None
    page = rows[:limit]
    marked = search_query.highlights(query, [(row.article_id, row.version_number) for row in page])
    hits = [
        SearchHit(_found(row), marked.get((row.article_id, row.version_number), {}))
        for row in page
    ]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = pagination.encode_cursor(
            "partner-search", (page[-1].rank, page[-1].article_id)
        )
    return hits, next_cursor


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


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """One page of a partner's changes feed."""

    #: The events, oldest first.
    events: list[DeliveryEvent]
    #: Where the next page starts.
    next_cursor: str
    has_more: bool


def changes(reader: Reader, *, after: str | None, limit: int) -> ChangesPage:
    """Return the reader's next events after cursor ``after``, oldest first, and the next cursor.

    Events are numbered in commit order (see :func:`cms.outbox.operations.lock_feed`), so the
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
    events = list(events[:limit])
    position = events[-1].id if has_more else max(start, horizon)
    return ChangesPage(events, encode_cursor("changes", position), has_more)
