"""Finding stories and revisions: the editors' list (search, filters, facets, cursor
pages) and the revision pages with the pickaxe (``revisions?contains=``).

Reads only: nothing here writes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Select,
    case,
    exists,
    false,
    func,
    select,
)
from sqlalchemy.orm import selectinload

from cms.articles.models import (
    Article,
    ArticleStatus,
    Body,
    PublicState,
    Revision,
    Version,
)
from cms.articles.search import query as search_query
from cms.articles.search import syntax as search_syntax
from cms.articles.search.models import HEAD, LABEL_MAX, SearchDocument, SearchLabel
from cms.articles.search.text import fold
from cms.core.cache import app_cache
from cms.core.database import CUSTOM_PLAN
from cms.core.extensions import db
from cms.core.pagination import SortKey, decode_keys, encode_cursor, keyset_page, page_size
from cms.core.types import utcnow

#: Orders of the editors' list.
SORTS = ("relevance", "updated", "published")
#: What the editors' list can count its result by.
FACETS = ("section", "status", "public_state", "language")


@dataclass(frozen=True)
class ArticleHit:
    """An article in the editors' list and, when it was searched for, where it matched."""

    article: Article
    highlights: dict[str, Any] | None = None


def _public_state_sql() -> ColumnElement[str]:
    """SQL twin of :func:`cms.articles.models.public_state`."""
    return case(
        (Article.status == ArticleStatus.WITHDRAWN, PublicState.WITHDRAWN.value),
        (Article.live_version_number.is_not(None), PublicState.PUBLISHED.value),
        else_=PublicState.UNPUBLISHED.value,
    )


def _head_language_sql() -> ColumnElement[str]:
    return (
        select(SearchDocument.language)
        .where(SearchDocument.article_id == Article.id, SearchDocument.version == HEAD)
        .scalar_subquery()
    )


def _labelled(kind: str, value: str) -> ColumnElement[bool]:
    return exists().where(
        SearchLabel.article_id == Article.id,
        SearchLabel.kind == kind,
        SearchLabel.value == fold(value)[:LABEL_MAX],
    )


def articles_query(
    *,
    section: str | None = None,
    status: ArticleStatus | None = None,
    public_state: PublicState | None = None,
    author: int | None = None,
    byline: str | None = None,
    keyword: str | None = None,
    language: str | None = None,
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
    published_after: datetime | None = None,
    published_before: datetime | None = None,
    embargoed: bool | None = None,
) -> Select:
    """Return a ``select()`` of the articles every given filter keeps, in no order.

    ``author`` keeps stories in which that user wrote a revision; ``byline`` and
    ``keyword`` compare case- and accent-insensitively with the head's;
    ``embargoed`` says whether the live version is under an embargo now.
    """
    conditions: list[ColumnElement[bool]] = []
    if section is not None:
        conditions.append(Article.section == section)
    if status is not None:
        conditions.append(Article.status == status)
    if public_state is not None:
        conditions.append(_public_state_sql() == public_state.value)
    if author is not None:
        conditions.append(
            exists().where(Revision.article_id == Article.id, Revision.author_id == author)
        )
    if byline is not None:
        conditions.append(_labelled("byline", byline))
    if keyword is not None:
        conditions.append(_labelled("keyword", keyword))
    if language is not None:
        conditions.append(
            exists()
            .where(
                SearchDocument.article_id == Article.id,
                SearchDocument.version == HEAD,
                SearchDocument.language == language,
            )
            # Also inside a search, where search_documents is the enclosing FROM.
            .correlate(Article)
        )
    if updated_after is not None:
        conditions.append(Article.updated_at >= updated_after)
    if updated_before is not None:
        conditions.append(Article.updated_at < updated_before)
    if published_after is not None:
        conditions.append(Article.first_published_at >= published_after)
    if published_before is not None:
        conditions.append(Article.first_published_at < published_before)
    if embargoed is not None:
        under_embargo = exists().where(
            Version.article_id == Article.id,
            Version.number == Article.live_version_number,
            Version.embargo_until > utcnow(),
        )
        conditions.append(under_embargo if embargoed else ~under_embargo)
    return select(Article).where(*conditions)


def _facet_counts(statement: Select, facet: str) -> list[dict[str, Any]]:
    expressions: dict[str, ColumnElement[Any]] = {
        "section": Article.section.expression,
        "status": Article.status.expression,
        "public_state": _public_state_sql(),
        "language": _head_language_sql(),
    }
    expression = expressions[facet].label("value")
    count = func.count().label("count")
    rows = db.session.execute(
        statement.with_only_columns(expression, count, maintain_column_froms=True)
        .group_by(expression)
        .order_by(count.desc(), expression)
    ).all()
    return [
        {
            "value": row.value.value if isinstance(row.value, enum.Enum) else row.value,
            "count": row.count,
        }
        for row in rows
    ]


def _searched(statement: Select, matched: FromClause) -> Select:
    """Return ``statement`` kept to the stories ``matched`` found, planned for its words."""
    return statement.join(matched, matched.c.article_id == Article.id).execution_options(
        **{CUSTOM_PLAN: True}
    )


def list_articles(
    *,
    limit: int,
    cursor: str | None = None,
    q: str | None = None,
    sort: str | None = None,
    facets: Sequence[str] = (),
    **filters: Any,
) -> dict[str, Any]:
    """Return one page of the editors' list: ``{"items", "next_cursor"}`` (+ ``"facets"``).

    With ``q``, only the stories whose head matches (``docs/search.md``), by
    relevance unless ``sort`` says otherwise, each with its highlights. Keyset
    pages: ``(rank, id)``, ``(updated_at, id)`` or ``(first_published_at, id)``.
    Raises :class:`ValidationFailed` for a cursor this list (in this order)
    did not give out.
    """
    statement = articles_query(**filters)
    query = search_syntax.parse(q) if q is not None and q.strip() else None
    sort = sort or ("relevance" if query is not None else "updated")
    by_id = SortKey(Article.id.expression)
    order = {
        "updated": [SortKey(Article.updated_at.expression), by_id],
        "published": [SortKey(Article.first_published_at.expression), by_id],
    }
    counted = statement
    if query is not None:
        # Filters narrow the matches before they are ranked, not after: the section in the
        # search's own index (a head's document has the story's section), the others as
        # the set of stories to look in.
        section = filters.get("section")
        others = articles_query(**{**filters, "section": None})
        within = others.with_only_columns(Article.id) if others.whereclause is not None else None
        by_relevance = sort == "relevance"
        # By relevance only the page's matches are looked for: the best after the cursor.
        matched = search_query.hits(
            query,
            heads=True,
            within=within,
            section=section,
            best=limit + 1 if by_relevance else None,
            after=(
                search_query.rank_position("articles:relevance", cursor)
                if by_relevance and cursor
                else None
            ),
        )
        if matched is None:
            # Nothing to look for (only operators, stop words or excluded words): no hits.
            statement = counted = statement.where(false())
        else:
            statement = _searched(statement, matched)
            order["relevance"] = [SortKey(matched.c.rank), by_id]
            if facets and by_relevance:
                # The facets count every match, not only the page's best.
                everything = search_query.hits(query, heads=True, within=within, section=section)
                counted = _searched(counted, everything) if everything is not None else statement
            elif facets:
                counted = statement
    if sort not in order:
        sort = "updated"
    if sort == "published":
        statement = statement.where(Article.first_published_at.is_not(None))
        counted = counted.where(Article.first_published_at.is_not(None))
    counts = {facet: _facet_counts(counted, facet) for facet in dict.fromkeys(facets)}
    # Heads (and live versions, for the embargo) in a query each for the page's
    # articles: joined, the database would join every match before cutting the page.
    page = keyset_page(
        statement.options(selectinload(Article.head), selectinload(Article.live)),
        order[sort],
        limit=limit,
        cursor=cursor,
        list_name=f"articles:{sort}",
    )
    marked = (
        search_query.highlights(query, [(a.id, HEAD) for a in page["items"]])
        if query is not None
        else {}
    )
    items = [ArticleHit(article, marked.get((article.id, HEAD))) for article in page["items"]]
    result: dict[str, Any] = {"items": items, "next_cursor": page["next_cursor"]}
    if facets:
        result["facets"] = counts
    return result


def revisions_query(article: Article) -> Select:
    """Return a ``select()`` of the article's revisions, newest first."""
    return (
        select(Revision).where(Revision.article_id == article.id).order_by(Revision.number.desc())
    )


#: The keyset order of revision lists: newest first (numbers are unique per article).
REVISION_ORDER = (SortKey(Revision.number),)


@dataclass(frozen=True, slots=True)
class RevisionListing:
    """A revision in a list; with a phrase searched for, how often it occurs before and after."""

    revision: Revision
    #: ``{"before": n, "after": m}`` with ``contains``; else ``None``.
    occurrences: dict[str, int] | None = None


def revision_page(
    article: Article, *, limit: int, cursor: str | None, contains: str | None = None
) -> dict:
    """Return a page of the article's revisions, newest first: ``{"items", "next_cursor"}``.

    With ``contains`` (the pickaxe), only the revisions that changed how many
    times the phrase occurs in the headline, deck and body Markdown together,
    each with the count before and after it. The search is case-sensitive and
    literal (no wildcards), occurrences do not overlap, and the counting runs in
    the database once per distinct body (see :func:`occurrence_changes`): no
    body text is read here. Raises
    :class:`ValidationFailed` for a cursor the list did not give out.
    """
    if contains is None:
        listed = keyset_page(
            revisions_query(article),
            REVISION_ORDER,
            limit=limit,
            cursor=cursor,
            list_name="revisions",
        )
        return {**listed, "items": [RevisionListing(r) for r in listed["items"]]}
    found = occurrence_changes(article, contains)
    if cursor is not None:
        [position] = decode_keys("revisions", cursor, REVISION_ORDER)
        found = [change for change in found if change[0] < position]
    limit = page_size(limit)
    page = found[:limit]
    numbers = [number for number, _before, _after in page]
    revisions = {
        revision.number: revision
        for revision in db.session.scalars(
            revisions_query(article).where(Revision.number.in_(numbers))
        )
    }
    return {
        "items": [
            RevisionListing(revisions[number], {"before": before, "after": after})
            for number, before, after in page
        ],
        "next_cursor": encode_cursor("revisions", [page[-1][0]]) if len(found) > limit else None,
    }


#: Occurrence counts kept per process, by (phrase, body hash): a body never changes, so
#: neither does its count. Paging through the pickaxe's matches counts each body once.
PHRASE_COUNTS_CACHED = 50_000


def occurrence_changes(article: Article, phrase: str) -> list[tuple[int, int, int]]:
    """Return ``(number, before, after)`` for each revision that changed ``phrase``'s count.

    Newest first. Per revision, its body and the count in its headline and deck;
    then the count in each distinct body of the story not counted before
    (computed in the database, once per body, and kept: bodies are immutable).
    The comparison runs here, over integers. Deliberately not one statement
    joining the two: the planner has no estimate for a per-body aggregate and
    can pick a quadratic join.
    """
    octets = db.session.get_bind().dialect.name == "postgresql"
    per_revision = db.session.execute(
        select(
            Revision.number,
            Revision.body_hash,
            _occurrences(Revision.headline, phrase, octets=octets)
            + _occurrences(func.coalesce(Revision.deck, ""), phrase, octets=octets),
        )
        .where(Revision.article_id == article.id)
        .order_by(Revision.number)
    ).all()
    cache = app_cache("articles.phrase-counts", PHRASE_COUNTS_CACHED)
    body_counts: dict[str, int] = {}
    for _number, body_hash, _metadata in per_revision:
        if body_hash not in body_counts:
            body_counts[body_hash] = cache.get((phrase, body_hash))
    missing = [body_hash for body_hash, count in body_counts.items() if count is None]
    if missing:
        bodies = Body.hash.in_(
            missing
            if len(missing) < len(body_counts)
            else select(Revision.body_hash).where(Revision.article_id == article.id)
        )
        counted = select(Body.hash, _occurrences(Body.markdown, phrase, octets=octets))
        for body_hash, count in db.session.execute(counted.where(bodies)):
            body_counts[body_hash] = count
            cache.put((phrase, body_hash), count)
    changes = []
    before = 0
    for number, body_hash, metadata_count in per_revision:
        after = body_counts[body_hash] + metadata_count
        if after != before:
            changes.append((number, before, after))
        before = after
    changes.reverse()
    return changes


def _occurrences(text: Any, phrase: str, *, octets: bool) -> Any:
    """Return SQL counting the non-overlapping occurrences of ``phrase`` in ``text``.

    What ``replace`` removes, divided by the phrase's length: literal, so ``%``
    and ``_`` are plain characters. PostgreSQL measures bytes (``octet_length``
    reads a stored value's size without decompressing it), SQLite characters.
    """
    length = func.octet_length if octets else func.length
    size = len(phrase.encode()) if octets else len(phrase)
    removed = length(text, type_=Integer) - length(func.replace(text, phrase, ""), type_=Integer)
    # Both operands are integers, so ``/`` divides as integers on both databases.
    return removed.self_group().op("/", return_type=Integer)(size)
