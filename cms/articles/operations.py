"""Operations on articles and revisions. They flush; the caller commits.

Every write names the article state it was based on (the ETag) and swaps the
head with a compare-and-swap on ``lock_version``, so of several writers with
the same base exactly one wins and the others get 412.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from cms.articles.content import Document, body_digest, slugify
from cms.articles.models import Article, ArticleStatus, Body, Revision
from cms.articles.rendering import render_markdown
from cms.auth.models import User
from cms.core.errors import Conflict, NotFound, PreconditionFailed
from cms.core.types import utcnow
from cms.extensions import db
from cms.workflow.models import AuditAction

log = logging.getLogger(__name__)

_WITH_HEAD_BODY = joinedload(Article.head).joinedload(Revision.body)
#: Tries at a generated slug when concurrent creates race for the same one.
_SLUG_ATTEMPTS = 5


def get_article(article_id: int) -> Article:
    """Return the article with its head revision and body loaded.

    Raises :class:`NotFound` if there is no such article.
    """
    article = db.session.scalar(
        select(Article)
        .where(Article.id == article_id)
        .options(_WITH_HEAD_BODY)
        .execution_options(populate_existing=True)
    )
    if article is None:
        raise NotFound(f"There is no article {article_id}.")
    return article


def get_revision(article: Article, number: int) -> Revision:
    """Return revision ``number`` of ``article`` with its body.

    Raises :class:`NotFound` if the article has no such revision.
    """
    revision = db.session.scalar(
        select(Revision)
        .where(Revision.article_id == article.id, Revision.number == number)
        .options(joinedload(Revision.body))
    )
    if revision is None:
        raise NotFound(f"Article {article.id} has no revision {number}.")
    return revision


def articles_query(*, section: str | None = None, status: ArticleStatus | None = None) -> Select:
    """Return a ``select()`` of articles, most recently edited first."""
    statement = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if section is not None:
        statement = statement.where(Article.section == section)
    if status is not None:
        statement = statement.where(Article.status == status)
    return statement


def revisions_query(article: Article) -> Select:
    """Return a ``select()`` of the article's revisions, newest first."""
    return (
        select(Revision).where(Revision.article_id == article.id).order_by(Revision.number.desc())
    )


def store_body(markdown: str) -> str:
    """Store ``markdown`` once under its hash and return the hash.

    Safe under concurrency: a body another writer stored first is kept.
    """
    digest = body_digest(markdown)
    if db.session.get(Body, digest) is not None:
        return digest
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(Body)
        .values(hash=digest, markdown=markdown, html=render_markdown(markdown))
        .on_conflict_do_nothing(index_elements=["hash"])
    )
    return digest


def _slug_taken(slug: str, article_id: int | None) -> bool:
    statement = select(Article.id).where(Article.slug == slug)
    if article_id is not None:
        statement = statement.where(Article.id != article_id)
    return db.session.scalar(statement.limit(1)) is not None


def _free_slug(headline: str) -> str:
    base = slugify(headline)
    taken = set(db.session.scalars(select(Article.slug).where(Article.slug.startswith(base))))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def _ensure_slug_free(slug: str, article_id: int | None) -> None:
    if _slug_taken(slug, article_id):
        raise Conflict(
            f"The slug {slug!r} is used by another article.",
            errors={"json": {"slug": ["Already used by another article."]}},
        )


def _append_revision(
    article: Article,
    document: Document,
    *,
    number: int,
    author: User,
    summary: str,
    created_at: datetime,
    message: str | None = None,
    restored_from: int | None = None,
) -> Revision:
    revision = Revision(
        article_id=article.id,
        number=number,
        author=author,
        created_at=created_at,
        message=message,
        restored_from=restored_from,
        summary=summary,
        content_hash=document.content_hash(),
        headline=document.headline,
        deck=document.deck,
        slug=document.slug,
        dateline=document.dateline,
        bylines=list(document.bylines),
        section=document.section,
        keywords=list(document.keywords),
        language=document.language,
        body_hash=store_body(document.body),
    )
    db.session.add(revision)
    db.session.flush()
    _audit_revision(revision)
    return revision


def _audit_revision(revision: Revision) -> None:
    """Record the writing of ``revision`` in the article's history."""
    # Imported here: the workflow's operations import this module.
    from cms.workflow.operations import record_audit

    if revision.number == 1:
        action = AuditAction.CREATE
    else:
        action = AuditAction.RESTORE if revision.restored_from else AuditAction.EDIT
    record_audit(
        revision.article_id,
        action,
        revision.author,
        revision_number=revision.number,
        reason=revision.message,
        details={"summary": revision.summary, "restored_from": revision.restored_from},
        at=revision.created_at,
    )


def create_article(fields: dict[str, Any], author: User, message: str | None = None) -> Article:
    """Create an article whose revision 1 holds ``fields``.

    The slug is made from the headline when ``fields`` has none.
    Raises :class:`Conflict` if an explicit slug is already used.
    """
    values = dict(fields)
    explicit_slug = values.pop("slug", None)
    document = Document(headline="", slug="").replace(**values)
    if explicit_slug:
        _ensure_slug_free(explicit_slug, None)
    now = utcnow()
    for _attempt in range(_SLUG_ATTEMPTS):
        document = document.replace(slug=explicit_slug or _free_slug(document.headline))
        article = Article(
            slug=document.slug,
            section=document.section,
            status=ArticleStatus.DRAFT,
            head_number=1,
            lock_version=1,
            created_by=author,
            created_at=now,
            updated_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(article)
                db.session.flush()
            break
        except IntegrityError:
            # Another request took the slug between our check and our insert.
            if explicit_slug:
                raise Conflict(f"The slug {explicit_slug!r} was just taken.") from None
    else:
        raise Conflict("Could not find a free slug; try again or send one.")
    _append_revision(
        article,
        document,
        number=1,
        author=author,
        summary="Created",
        created_at=now,
        message=message,
    )
    log.info("article %s created by user %s", article.id, author.id)
    return get_article(article.id)


def ensure_current(article: Article, if_match: str) -> None:
    """Check that ``if_match`` names the article's current state.

    Raises :class:`PreconditionFailed` (412), naming the current head revision,
    when it does not.
    """
    if if_match != article.etag:
        raise _stale(article)


def _stale(article: Article) -> PreconditionFailed:
    return PreconditionFailed(
        f"The article has changed since your copy; its head is now revision "
        f"{article.head_number}. Reload, reapply your edit and send the new ETag.",
        current_revision=article.head_number,
        current_etag=article.etag,
    )


def describe_change(before: Document, after: Document) -> str:
    """Return a one-line summary of what changed from ``before`` to ``after``."""
    changed = before.changed_fields(after)
    return "Edited " + ", ".join(changed) if changed else "No change"


def _write_revision(
    article: Article,
    document: Document,
    *,
    author: User,
    summary: str,
    message: str | None = None,
    restored_from: int | None = None,
) -> Article:
    if document.slug != article.slug:
        _ensure_slug_free(document.slug, article.id)
    number = article.head_number + 1
    now = utcnow()
    swap_state(
        article,
        head_number=number,
        updated_at=now,
        slug=document.slug,
        section=document.section,
    )
    _append_revision(
        article,
        document,
        number=number,
        author=author,
        summary=summary,
        created_at=now,
        message=message,
        restored_from=restored_from,
    )
    return get_article(article.id)


def swap_state(article: Article, **values: Any) -> None:
    """Write ``values`` to the article's row if nobody changed it since it was read.

    A compare-and-swap on ``lock_version``, which it increments: of several
    writers that read the same state exactly one succeeds, on SQLite and on
    PostgreSQL alike. Every change of an article goes through here. The caller
    reloads the article afterwards (:func:`get_article`). Raises
    :class:`PreconditionFailed`, naming the current head, when it lost the race.
    """
    swapped = db.session.execute(
        update(Article)
        .where(Article.id == article.id, Article.lock_version == article.lock_version)
        .values(lock_version=article.lock_version + 1, **values),
        execution_options={"synchronize_session": False},
    )
    if swapped.rowcount != 1:
        raise _stale(get_article(article.id))


def edit_article(
    article: Article,
    if_match: str,
    changes: dict[str, Any],
    author: User,
    message: str | None = None,
) -> tuple[Article, bool]:
    """Apply ``changes`` as a new head revision based on the state ``if_match`` names.

    Returns the article and whether a revision was made: an edit that changes
    nothing makes none. Raises :class:`PreconditionFailed` for a stale base and
    :class:`Conflict` for a slug used by another article.
    """
    ensure_current(article, if_match)
    current = article.head.document()
    document = current.replace(**changes)
    if document == current:
        return article, False
    summary = describe_change(current, document)
    return _write_revision(
        article, document, author=author, summary=summary, message=message
    ), True


def restore_revision(
    article: Article, number: int, if_match: str, author: User, message: str | None = None
) -> tuple[Article, bool]:
    """Make a new head revision equal to revision ``number``; nothing is deleted.

    Returns the article and whether a revision was made (none when the head
    already equals revision ``number``). Raises :class:`NotFound` for an
    unknown revision, :class:`PreconditionFailed` for a stale base and
    :class:`Conflict` when the old slug now belongs to another article.
    """
    ensure_current(article, if_match)
    old = get_revision(article, number).document()
    current = article.head.document()
    if old == current:
        return article, False
    summary = f"Restored revision {number}"
    changed = current.changed_fields(old)
    summary += " (" + ", ".join(changed) + ")"
    article = _write_revision(
        article, old, author=author, summary=summary, message=message, restored_from=number
    )
    return article, True
