"""Keeping the search documents current, in the transaction that writes the text.

:func:`index_head` runs whenever a revision becomes the head (every revision
does, when it is written), :func:`index_version` whenever a version is
published; :func:`reindex` rebuilds everything (``flask cms reindex``).

Partners search the version of each story they see now, so only versions
that some partner may still see now keep a document: a version released to
every partner (no embargo) supersedes the story's earlier versions in its
section, since whoever could see one of those sees it instead.
"""

from __future__ import annotations

import logging
from functools import cache

from sqlalchemy import Update, and_, bindparam, delete, select, tuple_, update
from sqlalchemy.orm import joinedload

from cms.articles.models import Article, Revision, Version
from cms.articles.search.models import HEAD, LABEL_MAX, SearchDocument, SearchLabel
from cms.articles.search.syntax import config_for
from cms.articles.search.text import fold, html_text, summary_text
from cms.core.database import changed_rows, set_parameters, set_values
from cms.core.extensions import db

log = logging.getLogger(__name__)


def _texts(revision: Revision, body_html: str) -> dict[str, object]:
    return {
        "revision_number": revision.number,
        "language": revision.language,
        "config": config_for(revision.language),
        "headline": revision.headline,
        "summary": summary_text(
            revision.deck, revision.dateline, revision.bylines, revision.keywords
        ),
        "body": html_text(body_html),
        "section": revision.section,
    }


def _body_html(revision: Revision) -> str:
    # Loaded with the revision, or set when it was written (never a statement of its own).
    return revision.body.html


@cache
def _replace_statement(names: tuple[str, ...]) -> Update:
    # Built once: every write of a revision runs it, and building costs more than running.
    return (
        update(SearchDocument)
        .where(
            SearchDocument.article_id == bindparam("document_article_id"),
            SearchDocument.version == bindparam("document_version"),
        )
        .values(set_parameters(names))
    )


def _write(article_id: int, version: int, values: dict) -> None:
    """Insert or replace the document ``(article_id, version)``."""
    changed = changed_rows(
        _replace_statement(tuple(values)),
        {"document_article_id": article_id, "document_version": version, **set_values(values)},
    )
    if not changed:
        db.session.add(SearchDocument(article_id=article_id, version=version, **values))
    db.session.flush()


def _labels(revision: Revision) -> set[tuple[str, str]]:
    names = {("byline", fold(str(b.get("name", "")))[:LABEL_MAX]) for b in revision.bylines}
    words = {("keyword", fold(k)[:LABEL_MAX]) for k in revision.keywords}
    return {(kind, value) for kind, value in names | words if value}


def index_head(revision: Revision, previous: Revision | None = None) -> None:
    """Make ``revision`` the searchable head of its story (document and labels).

    ``previous`` is the head it replaces, if any: its labels are the ones stored, so they
    are rewritten only if they differ.
    """
    _write(revision.article_id, HEAD, _texts(revision, _body_html(revision)))
    labels = _labels(revision)
    if previous is not None and _labels(previous) == labels:
        return
    db.session.execute(delete(SearchLabel).where(SearchLabel.article_id == revision.article_id))
    db.session.add_all(
        SearchLabel(article_id=revision.article_id, kind=kind, value=value)
        for kind, value in sorted(labels)
    )
    db.session.flush()


def index_version(version: Version, revision: Revision) -> None:
    """Index public ``version``, which published ``revision``, for partner search.

    A version without embargo drops the documents it supersedes (see the module's docstring).
    """
    _write(version.article_id, version.number, _texts(revision, _body_html(revision)))
    if version.embargo_until is not None:
        return
    earlier_in_section = (
        select(Version.number)
        .join(
            Revision,
            and_(
                Revision.article_id == Version.article_id,
                Revision.number == Version.revision_number,
            ),
        )
        .where(
            Version.article_id == version.article_id,
            Version.number < version.number,
            Revision.section.is_not_distinct_from(revision.section),
        )
    )
    db.session.execute(
        delete(SearchDocument).where(
            SearchDocument.article_id == version.article_id,
            SearchDocument.version != HEAD,
            SearchDocument.version.in_(earlier_in_section),
        )
    )


def still_shown(versions: list[tuple[Version, Revision]]) -> list[tuple[Version, Revision]]:
    """Return those of one story's ``(version, revision)`` pairs that some partner may see now.

    A version is left out when a later one without embargo has the same section.
    """
    kept = []
    released_in: set[str | None] = set()
    for version, revision in sorted(versions, key=lambda pair: -pair[0].number):
        if revision.section not in released_in:
            kept.append((version, revision))
        if version.embargo_until is None:
            released_in.add(revision.section)
    return kept[::-1]


def _revisions(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], Revision]:
    """Return the revisions named by ``(article_id, number)`` pairs, by pair."""
    if not pairs:
        return {}
    return {
        (revision.article_id, revision.number): revision
        for revision in db.session.scalars(
            select(Revision)
            .where(tuple_(Revision.article_id, Revision.number).in_(pairs))
            .options(joinedload(Revision.body))
        )
    }


def reindex(batch: int = 500) -> tuple[int, int]:
    """Rebuild every search document and label; return ``(heads, versions)`` indexed.

    Versions no partner may see any more (:func:`still_shown`) get no document.

    Flushes as it goes; the caller commits.
    """
    db.session.execute(delete(SearchLabel))
    db.session.execute(delete(SearchDocument))
    heads = versions = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Article.id, Article.head_number)
            .where(Article.id > last_id)
            .order_by(Article.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        revisions = _revisions([(row.id, row.head_number) for row in rows])
        for row in rows:
            index_head(revisions[(row.id, row.head_number)])
            heads += 1
        published = db.session.scalars(
            select(Version).where(Version.article_id.in_([row.id for row in rows]))
        ).all()
        sources = _revisions([(v.article_id, v.revision_number) for v in published])
        by_story: dict[int, list[tuple[Version, Revision]]] = {}
        for version in published:
            pair = (version, sources[(version.article_id, version.revision_number)])
            by_story.setdefault(version.article_id, []).append(pair)
        for pairs in by_story.values():
            for version, revision in still_shown(pairs):
                _write(version.article_id, version.number, _texts(revision, _body_html(revision)))
                versions += 1
        db.session.expunge_all()
    log.info("search index rebuilt: %s heads, %s versions", heads, versions)
    return heads, versions
