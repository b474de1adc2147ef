"""Matching and ranking documents on each database, and the snippets of the hits.

PostgreSQL: the document's ``tsv`` against ``to_tsquery`` of the compiled query,
per configuration (so the GIN index answers each); the documents whose headline and
summary match the whole query first, ranked by ``ts_rank`` on those two (weights A
and B), then the other matches, newest story first. SQLite: the FTS5 tables, ranked by
``bm25`` with the same order of weights. Both take the query compiled from one
parse (:mod:`cms.articles.search.syntax`), so they read it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Float,
    FromClause,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy import table as table_clause
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG

from cms.articles.search.models import HEAD, SearchDocument
from cms.articles.search.syntax import CONFIGS, SIMPLE, Query, to_fts5, to_tsquery
from cms.articles.search.text import Matcher, fragments, highlight
from cms.core.database import CUSTOM_PLAN
from cms.core.extensions import db
from cms.core.pagination import SortKey, decode_keys

#: The keyset of a page by relevance: rank, then story id, both descending.
RANK_KEYS = (SortKey(literal_column("rank", Float)), SortKey(SearchDocument.article_id.expression))
#: On PostgreSQL, up to this many best matches are found in two steps (headline matches
#: first, then the rest): see :func:`_postgresql_best`.
TWO_STEP_BEST = 1000
#: FTS5 ``bm25`` weights of the columns headline, summary, body.
FTS5_WEIGHTS = "10.0, 4.0, 1.0"
#: FTS5 tables, one per configuration (created by migration 0007). The ``simple``
#: one holds every document (migration 0012): English prefixes are looked up there.
FTS5_TABLES = {config: f"search_fts_{config}" for config in CONFIGS}
UNSTEMMED = FTS5_TABLES[SIMPLE]
#: SQLite: what a search's scope tests of each document, one narrow row per document
#: (its id), kept by triggers (migration 0018): testing a match's document row, which
#: holds its texts, was most of the time of a common word.
SCOPES = table_clause(
    "search_scopes",
    column("id", Integer),
    column("article_id", Integer),
    column("version", Integer),
    column("config", String),
    column("section", String),
)
# Table names come from this module; only bound parameters hold queries.
FTS5_ROWIDS = (
    "{outer}.rowid {operator} (SELECT rowid FROM {table} WHERE {table} MATCH :{parameter})"
)


@dataclass(frozen=True)
class Scope:
    """The documents a search looks in."""

    #: The documents of story heads (editors), else of public versions (partners).
    heads: bool
    #: A ``select()`` of the article ids to look in (a list's filters), or ``None``: all.
    within: Select | None = None
    #: Only documents of this section (their own column, in the title indexes).
    section: str | None = None

    def documents(self, documents: Any = SearchDocument) -> ColumnElement[bool]:
        """SQL: a document in this scope, its columns taken from ``documents`` (the
        documents' table, or on SQLite the columns of :data:`SCOPES`)."""
        kind = documents.version == HEAD if self.heads else documents.version > HEAD
        if self.within is not None:
            kind = and_(kind, documents.article_id.in_(self.within))
        if self.section is not None:
            kind = and_(kind, documents.section == self.section)
        return kind


def hits(
    query: Query,
    *,
    heads: bool,
    within: Select | None = None,
    section: str | None = None,
    best: int | None = None,
    after: tuple[float, int] | None = None,
) -> FromClause | None:
    """Return a subquery ``(doc_id, article_id, version, rank)``: what ``query`` matches.

    ``heads``: the documents of story heads (editors), else of public versions
    (partners). ``within``: a ``select()`` of the article ids to look in (the
    list's filters), so that only those matches are ranked; ``section``: only
    documents of that section (a filter the indexes answer, where ``within`` is
    a join). ``best``: only the best so many, by rank then article id, both
    descending; ``after``: only those below this ``(rank, article id)``. Higher
    ranks are better. ``None`` when the query looks for nothing (no words, or
    only stop words or excluded words).
    """
    scope = Scope(heads, within, section)
    matched: Select | CompoundSelect | None
    if db.session.get_bind().dialect.name == "postgresql":
        if best is not None and best <= TWO_STEP_BEST and not query.excluded:
            return _postgresql_best(query, scope, best, after)
        matched = _postgresql_hits(query, scope)
    else:
        matched = _sqlite_hits(query, scope)
    if matched is None:
        return None
    if best is None and after is None:
        return matched.subquery("hits")
    return _first(matched, best, after).subquery("hits")


def rank_position(list_name: str, cursor: str) -> tuple[float, int]:
    """Return the ``(rank, story id)`` a relevance cursor of list ``list_name`` stands after.

    Raises :class:`ValidationFailed` for anything that list did not give out.
    """
    rank, article_id = decode_keys(list_name, cursor, RANK_KEYS)
    return rank, article_id


def _first(
    matched: Select | CompoundSelect, best: int | None, after: tuple[float, int] | None
) -> Select:
    """Return a ``select()`` of the ``best`` first of ``matched`` after ``after``, in order."""
    ranked = matched.subquery("ranked")
    statement = select(ranked).order_by(ranked.c.rank.desc(), ranked.c.article_id.desc())
    if after is not None:
        statement = statement.where(
            tuple_(ranked.c.rank, ranked.c.article_id)
            < tuple_(literal(after[0], Float), literal(after[1], Integer))
        )
    return statement.limit(best)


def _tsqueries(query: Query) -> list[tuple[str, Any]]:
    """Return ``(configuration, to_tsquery(...))`` for each configuration the query looks in."""
    found = []
    for config in CONFIGS:
        compiled = to_tsquery(query, config)
        if compiled is not None:
            # A constant, computed once when the statement is planned, not once per row it
            # tests or ranks: the configuration a typed literal (a bound one is cast by a
            # stable function) and search_unaccent unaccent declared immutable (0019).
            regconfig = literal_column(f"'{config}'::regconfig", REGCONFIG)
            tsquery = func.to_tsquery(regconfig, func.search_unaccent(compiled))
            found.append((config, tsquery))
    return found


def _documents(scope: Scope, config: str) -> ColumnElement[bool]:
    """SQL: a document in ``scope`` of the given configuration."""
    return and_(scope.documents(), SearchDocument.config == config)


def _rank(tsquery: Any) -> ColumnElement[float]:
    """SQL: the rank of a match. ``ts_rank`` on the title vector when headline and summary
    match the whole query; 0, after them all, for every other match."""
    return case(
        (_in_title(tsquery), cast(func.ts_rank(SearchDocument.tsv_title, tsquery), Float)),
        else_=literal(0.0, Float),
    )


def _in_title(tsquery: Any) -> ColumnElement[bool]:
    return func.coalesce(SearchDocument.tsv_title.bool_op("@@")(tsquery), False)


def _postgresql_hits(query: Query, scope: Scope) -> Select | CompoundSelect | None:
    # One SELECT per configuration, UNION ALL: each is answered by the GIN index of
    # its kind, where an OR of the two had PostgreSQL test every document's tsv.
    # OFFSET 0 keeps each from being merged into the outer query: its matches'
    # ranks are computed once and only narrow (id, rank) rows travel on.
    parts = [
        select(
            SearchDocument.id.label("doc_id"),
            SearchDocument.article_id,
            SearchDocument.version,
            # The small title vector: the whole tsv of every match of a common
            # word is too much to read (docs/search.md, "Ranking and highlights").
            _rank(tsquery).label("rank"),
        )
        .where(_documents(scope, config), SearchDocument.tsv.bool_op("@@")(tsquery))
        .offset(0)
        for config, tsquery in _tsqueries(query)
    ]
    return _all(parts) if parts else None


def _all(parts: list[Select]) -> Select | CompoundSelect:
    """Return the ``parts``' rows together (``UNION ALL``; the one part itself)."""
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _postgresql_best(
    query: Query, scope: Scope, best: int, after: tuple[float, int] | None
) -> FromClause | None:
    """Return the ``best`` first matches after ``after`` (as :func:`hits`), found in two steps.

    First the documents whose headline and summary match the whole query, from the GIN
    index on ``tsv_title``, ranked; only if too few, the other matches (rank 0, newest
    story first). A common word is then ranked among its headline matches, not among
    every document that has it. The query must exclude no word: a headline without the
    excluded word may have it in the body. The rows come back as ``unnest`` of one array
    per column: the SQL of a statement around them is then the same for every search (its
    compiled form cached), where a ``VALUES`` list was compiled anew each time (~8 ms for
    a page's 84 candidates).
    """
    searched = _tsqueries(query)
    if not searched:
        return None
    columns = (
        SearchDocument.id.label("doc_id"),
        SearchDocument.article_id,
        SearchDocument.version,
    )
    in_title = _all(
        [
            select(
                *columns,
                cast(func.ts_rank(SearchDocument.tsv_title, tsquery), Float).label("rank"),
            )
            # Bare, not in _in_title's COALESCE: so its GIN index answers it.
            .where(_documents(scope, config), SearchDocument.tsv_title.bool_op("@@")(tsquery))
            .offset(0)
            for config, tsquery in searched
        ]
    )
    rows = _run(_first(in_title, best, after))
    if len(rows) < best:
        elsewhere = _all(
            [
                select(*columns, literal(0.0, Float).label("rank"))
                .where(
                    _documents(scope, config),
                    SearchDocument.tsv.bool_op("@@")(tsquery),
                    ~_in_title(tsquery),
                )
                .offset(0)
                for config, tsquery in searched
            ]
        )
        rows += _run(_first(elsewhere, best - len(rows), after))
    names = (
        column("doc_id", Integer),
        column("article_id", Integer),
        column("version", Integer),
        column("rank", Float),
    )
    arrays = [
        literal([row[index] for row in rows], ARRAY(name.type)) for index, name in enumerate(names)
    ]
    return func.unnest(*arrays).table_valued(*names).render_derived("hits")


def _run(statement: Select) -> list[tuple[int, int, int, float]]:
    """Execute a step of :func:`_postgresql_best`, planned for its words."""
    found = db.session.execute(statement.execution_options(**{CUSTOM_PLAN: True}))
    return [(row.doc_id, row.article_id, row.version, row.rank) for row in found]


def _fts5_part(
    table: str, parameter: str, search: str, config: str, scope: Scope, *conditions: Any
) -> Select:
    """Return one FTS5 query: ``(doc_id, article_id, version, rank)`` of the documents of
    ``config`` in ``scope`` whose row in ``table`` matches ``search``.

    The scope is tested in the same statement, on :data:`SCOPES`: only the matches in
    it are ranked (``bm25``), and no document's row is read.
    """
    fts = table_clause(table, column("rowid", Integer))
    return (
        select(
            fts.c.rowid.label("doc_id"),
            SCOPES.c.article_id,
            SCOPES.c.version,
            literal_column(f"-bm25({table}, {FTS5_WEIGHTS})", Float).label("rank"),
        )
        .select_from(fts)
        .join(SCOPES, SCOPES.c.id == fts.c.rowid)
        .where(
            text(f"{table} MATCH :{parameter}").bindparams(**{parameter: search}),
            # The unstemmed table holds every document: only this configuration's count.
            SCOPES.c.config == config,
            scope.documents(SCOPES.c),
            *conditions,
        )
    )


def _sqlite_hits(query: Query, scope: Scope) -> Select | CompoundSelect | None:
    parts = []
    for config, table in FTS5_TABLES.items():
        search = to_fts5(query, config)
        if search is None:
            continue
        if search.expression is not None:
            parts.append(_fts5_part(table, f"match_{config}", search.expression, config, scope))
        if search.prefix is not None:
            # Documents that matched the expression above are not counted twice.
            conditions = []
            for name, expression, operator in (
                ("required", search.required, "IN"),
                ("excluded", search.excluded, "NOT IN"),
                ("match", search.expression, "NOT IN"),
            ):
                if expression is None:
                    continue
                parameter = f"{name}_{config}"
                sql = FTS5_ROWIDS.format(
                    outer=UNSTEMMED, operator=operator, table=table, parameter=parameter
                )
                conditions.append(text(sql).bindparams(**{parameter: expression}))
            parts.append(
                _fts5_part(
                    UNSTEMMED, f"prefix_{config}", search.prefix, config, scope, *conditions
                )
            )
    return _all(parts) if parts else None


def highlights(
    query: Query, documents: list[tuple[int, int]]
) -> dict[tuple[int, int], dict[str, Any]]:
    """Return ``{(article id, version): {"headline", "fragments"}}``, matches in ``<mark>``.

    ``documents`` names each document by article id and version (``HEAD`` for a head).
    """
    if not documents:
        return {}
    found: dict[tuple[int, int], dict[str, Any]] = {}
    wanted = set(documents)
    # By story id, then the pairs kept here: SQLite answers a row-value IN list by
    # scanning the whole table, an IN list of ids from the unique index.
    # The texts alone: reading a body's whole tsvector back as text cost more than the
    # rest of the statement.
    rows = db.session.execute(
        select(
            SearchDocument.article_id,
            SearchDocument.version,
            SearchDocument.config,
            SearchDocument.headline,
            SearchDocument.summary,
            SearchDocument.body,
        ).where(
            SearchDocument.article_id.in_({article_id for article_id, _ in wanted}),
            SearchDocument.version.in_({version for _, version in wanted}),
        )
    )
    for document in (d for d in rows if (d.article_id, d.version) in wanted):
        matches = Matcher.of(query, document.config)
        pieces = fragments(document.summary, matches) + fragments(document.body, matches)
        found[(document.article_id, document.version)] = {
            "headline": highlight(document.headline, matches),
            "fragments": pieces[:2],
        }
    return found
