"""Operations on articles and revisions. They flush; the caller commits.

Every write names the article state it was based on (the ETag) and swaps the
head with a compare-and-swap on ``lock_version``, so of several writers with
the same base exactly one wins and the others get 412. A withdrawn (killed)
article takes no write at all: a kill is final.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Select, Update, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from cms.articles import diffs
from cms.articles.content import Document, body_digest, slugify
from cms.articles.diffs.review import Side, render_review
from cms.articles.models import (
    Article,
    ArticleStatus,
    Body,
    FollowKind,
    Revision,
    format_etag,
    parse_etag,
)
from cms.articles.rendering import check_markup, display_stamp, render_markdown
from cms.articles.search import index as search_index
from cms.audit.models import AuditAction
from cms.audit.operations import record_audit
from cms.auth.models import User
from cms.core.changes import announce
from cms.core.database import changed_rows, execute, set_parameters, set_values
from cms.core.errors import (
    Conflict,
    MergeConflict,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from cms.core.extensions import db
from cms.core.http import stale_precondition, strong_match
from cms.core.types import utcnow

log = logging.getLogger(__name__)

_WITH_HEAD_BODY = joinedload(Article.head).joinedload(Revision.body)
#: Tries at a generated slug when concurrent creates race for the same one.
_SLUG_ATTEMPTS = 5


def get_article(article_id: int) -> Article:
    """Return the article with its head revision and body loaded.

    Raises :class:`NotFound` if there is no such article.
    """
    article = db.session.scalar(_article_query(), {"article_id": article_id})
    if article is None:
        raise NotFound(f"There is no article {article_id}.")
    return article


@cache
def _article_query() -> Select:
    # Built once: every write and every first read of a state runs it.
    return (
        select(Article)
        .where(Article.id == bindparam("article_id"))
        .options(_WITH_HEAD_BODY, joinedload(Article.live), joinedload(Article.corrections))
        .execution_options(populate_existing=True)
    )


@cache
def _state_query() -> Select:
    # Built once, for the hot path of reading an article.
    return select(Article.head_number, Article.lock_version, Article.created_at).where(
        Article.id == bindparam("article_id")
    )


def current_state(article_id: int) -> tuple[str, tuple]:
    """Return the article's ETag and a key that no other state of any article shares.

    One narrow query of the article's row, nothing loaded: enough to answer a
    revalidation (304), or to find the representation rendered for this state
    (every change of an article moves its ETag, see :func:`swap_state`).
    Raises :class:`NotFound` if there is no such article.
    """
    # Core execution: a plain row, none of the ORM's bookkeeping.
    row = db.session.connection().execute(_state_query(), {"article_id": article_id}).first()
    if row is None:
        raise NotFound(f"There is no article {article_id}.")
    etag = format_etag(row.head_number, row.lock_version)
    return etag, (article_id, row.created_at, etag)


def state_key(article: Article) -> tuple:
    """The key :func:`current_state` gives for ``article`` as loaded."""
    return (article.id, article.created_at, article.etag)


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


@cache
def _insert_body(dialect: str) -> Insert:
    # Built once per dialect: every write of a new body runs it.
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        upsert(Body)
        .values(hash=bindparam("hash"), markdown=bindparam("markdown"), html=bindparam("html"))
        .on_conflict_do_nothing(index_elements=["hash"])
        .returning(Body.hash)
    )


def store_body(markdown: str) -> Body:
    """Store ``markdown`` once under its hash and return it as stored.

    Safe under concurrency: a body another writer stored first is kept. Raises
    what :func:`check_markup` raises for a body too costly to render.
    """
    check_markup(markdown)
    digest = body_digest(markdown)
    html = render_markdown(markdown)
    inserted = execute(
        _insert_body(db.session.get_bind().dialect.name),
        {"hash": digest, "markdown": markdown, "html": html},
    ).first()
    if inserted is None:  # stored before: keep the row as it is
        existing = db.session.get(Body, digest)
        assert existing is not None  # bodies are never deleted
        return existing
    # The row is what was just written: the session may take it as loaded.
    stored = Body(hash=digest, markdown=markdown, html=html)
    make_transient_to_detached(stored)
    db.session.add(stored)
    return stored


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


@cache
def _insert_revision() -> Insert:
    # Built once, on the table: the same statement for every revision, no ORM bookkeeping.
    table = Revision.metadata.tables[Revision.__tablename__]
    return insert(table).returning(table.c.id)


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
    body: Body | None = None,
    previous: Revision | None = None,
) -> Revision:
    """Add revision ``number`` holding ``document`` (whose ``body`` is given when it is
    stored already) and audit it; ``previous`` is the head it replaces, if any."""
    body = body or store_body(document.body)
    fields = document.canonical()
    del fields["body"]  # stored once, in bodies
    values = {
        "article_id": article.id,
        "number": number,
        "author_id": author.id,
        "created_at": created_at,
        "message": message,
        "restored_from": restored_from,
        "summary": summary,
        "content_hash": document.content_hash(),
        **fields,
        "body_hash": body.hash,
    }
    # One INSERT, the row then taken as loaded: a revision is never changed after.
    revision_id = execute(_insert_revision(), values).scalar_one()
    revision = Revision(id=revision_id, **values)
    make_transient_to_detached(revision)
    db.session.add(revision)
    set_committed_value(revision, "author", author)
    set_committed_value(revision, "body", body)
    _audit_revision(revision)
    # Every revision is the head when written: search sees it in this transaction.
    search_index.index_head(revision, previous)
    return revision


def _audit_revision(revision: Revision) -> None:
    """Record the writing of ``revision`` in the article's history."""
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


def create_article(
    fields: dict[str, Any],
    author: User,
    message: str | None = None,
    *,
    follows: int | None = None,
) -> Article:
    """Create an article whose revision 1 holds ``fields``.

    The slug is made from the headline when ``fields`` has none; ``follows`` names
    the killed story this one follows (a new take of it came from the wire).
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
            follows_id=follows,
            follows_kind=None if follows is None else FollowKind.REPLACEMENT,
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


def ensure_not_withdrawn(article: Article, verb: str) -> None:
    """Refuse to ``verb`` a withdrawn article: a kill is final; the story stays readable.

    Raises :class:`Conflict` (409) naming the state, ``current_status: withdrawn``,
    with no allowed actions.
    """
    if article.status == ArticleStatus.WITHDRAWN:
        raise Conflict(
            f"The article is withdrawn, and a kill is final: you cannot {verb} it. "
            "It stays readable; publish a new article instead.",
            current_status=ArticleStatus.WITHDRAWN.value,
            allowed_actions=[],
        )


def ensure_current(article: Article, if_match: str) -> None:
    """Check that ``if_match`` names the article's current state (strong comparison).

    Raises :class:`PreconditionFailed` (412), naming the current head revision
    and ETag, when it does not; a weak tag never does.
    """
    if not strong_match(if_match, article.etag):
        raise _stale(article, if_match)


def _stale(article: Article, if_match: str) -> PreconditionFailed:
    return stale_precondition(
        if_match,
        article.etag,
        f"The article has changed since your copy; its head is now revision "
        f"{article.head_number}. Reload, reapply your edit and send the new ETag.",
        current_revision=article.head_number,
    )


def describe_change(before: Document, after: Document) -> str:
    """Return a one-line summary of what changed from ``before`` to ``after``.

    For example ``headline; body +12 \N{MINUS SIGN}3 words in 2 paragraphs``.
    """
    return diffs.summarize(diffs.diff_documents(before.canonical(), after.canonical()))


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
    previous = article.head
    # The body first: rendering a new one is the costliest step of a write, and
    # on SQLite it then runs before the write lock is taken (cms.core.sqlite).
    # An edit that keeps the body keeps its row as it is.
    kept = previous is not None and previous.body.markdown == document.body
    body = previous.body if kept else store_body(document.body)
    number = article.head_number + 1
    now = utcnow()
    values = {
        "head_number": number,
        "updated_at": now,
        "slug": document.slug,
        "section": document.section,
    }
    swap_state(article, **values)
    revision = _append_revision(
        article,
        document,
        number=number,
        author=author,
        summary=summary,
        created_at=now,
        message=message,
        restored_from=restored_from,
        body=body,
        previous=previous,
    )
    # The swap succeeded against the row as read, so the row is now that row
    # with ``values`` and the next lock version: set them, rather than load the
    # article again with its head, body and versions.
    for name, value in {**values, "lock_version": article.lock_version + 1}.items():
        set_committed_value(article, name, value)
    set_committed_value(article, "head", revision)
    return article


@cache
def _swap_statement(names: tuple[str, ...]) -> Update:
    # Built once per set of columns written: building a statement costs more than running it.
    return (
        update(Article)
        .where(
            Article.id == bindparam("swap_id"),
            Article.lock_version == bindparam("swap_lock_version"),
        )
        .values(lock_version=Article.lock_version + 1, **set_parameters(names))
    )


def swap_state(article: Article, **values: Any) -> None:
    """Write ``values`` to the article's row if nobody changed it since it was read.

    A compare-and-swap on ``lock_version``, which it increments: of several
    writers that read the same state exactly one succeeds, on SQLite and on
    PostgreSQL alike. Every change of an article goes through here. The caller
    reloads the article afterwards (:func:`get_article`). Raises
    :class:`PreconditionFailed`, naming the current head, when it lost the race.
    """
    swapped = changed_rows(
        _swap_statement(tuple(values)),
        {"swap_id": article.id, "swap_lock_version": article.lock_version, **set_values(values)},
    )
    if swapped != 1:
        based_on = article.etag
        raise _stale(get_article(article.id), based_on)


#: How far a lineage chain is followed when looking for a cycle.
LINEAGE_DEPTH_MAX = 1000


def set_follows(
    article: Article, if_match: str, follows: int | None, kind: FollowKind | None
) -> Article:
    """Declare the story ``article`` follows (``kind``: how), or none, based on ``if_match``.

    Raises :class:`Conflict` for a withdrawn article, :class:`PreconditionFailed`
    for a stale base, and :class:`ValidationFailed` for a story that does not
    exist, the article itself, a chain that would come back to it, or a
    ``follows`` without a ``kind``.
    """
    ensure_not_withdrawn(article, "change the lineage of")
    ensure_current(article, if_match)
    if follows is None:
        kind = None
    else:
        if kind is None:
            raise _lineage_error("kind", "Say how this story follows the other one.")
        _ensure_no_cycle(article.id, follows)
    swap_state(article, follows_id=follows, follows_kind=kind)
    # Partners see a story's links: cached views of it must not outlive the change.
    announce(f"lineage {article.id}")
    log.info("article %s follows %s (%s)", article.id, follows, kind)
    return get_article(article.id)


def _ensure_no_cycle(article_id: int, follows: int) -> None:
    current: int | None = follows
    for _step in range(LINEAGE_DEPTH_MAX):
        if current == article_id:
            raise _lineage_error("follows", "A story cannot follow itself, even through others.")
        if current is None:
            return
        row = db.session.execute(select(Article.follows_id).where(Article.id == current)).first()
        if row is None:
            raise _lineage_error("follows", f"There is no article {current}.")
        current = row.follows_id
    raise _lineage_error("follows", "The chain of stories it follows is too long.")


def _lineage_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"json": {field: [message]}})


def edit_article(
    article: Article,
    if_match: str,
    changes: dict[str, Any],
    author: User,
    message: str | None = None,
) -> tuple[Article, bool]:
    """Apply ``changes`` as a new head revision based on the state ``if_match`` names.

    Returns the article and whether a revision was made: an edit that changes
    nothing makes none. Raises :class:`Conflict` for a withdrawn article (see
    :func:`ensure_not_withdrawn`) or a slug used by another article, and
    :class:`PreconditionFailed` for a stale base.
    """
    ensure_not_withdrawn(article, "edit")
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
    already equals revision ``number``). Raises :class:`Conflict` for a
    withdrawn article or when the old slug now belongs to another article,
    :class:`NotFound` for an unknown revision and :class:`PreconditionFailed`
    for a stale base.
    """
    ensure_not_withdrawn(article, "restore")
    ensure_current(article, if_match)
    old = get_revision(article, number).document()
    current = article.head.document()
    if old == current:
        return article, False
    summary = f"Restored revision {number}: {describe_change(current, old)}"
    article = _write_revision(
        article, old, author=author, summary=summary, message=message, restored_from=number
    )
    return article, True


@dataclass(frozen=True)
class MergeInfo:
    """How a merged edit came about: the base the writer edited and the head it met."""

    base_revision: int
    head_revision: int


def merge_edit(
    article: Article,
    if_match: str,
    changes: dict[str, Any],
    author: User,
    message: str | None = None,
) -> tuple[Article, bool, MergeInfo | None]:
    """Apply ``changes``, made to the revision ``if_match`` names, by a three-way merge.

    When ``if_match`` is current this is :func:`edit_article`. When it names an
    older revision, the writer's changes to that base are merged with what was
    written since (base = the named revision, theirs = the head, yours = the
    base with ``changes``): edits to different fields or different paragraphs
    become one new revision. Returns the article, whether a revision was made,
    and the merge's provenance (``None`` when no merge was needed).

    Raises :class:`Conflict` for a withdrawn article,
    :class:`PreconditionFailed` when ``if_match`` names no revision of the
    article, and :class:`MergeConflict` (409) listing the conflicting fields
    and paragraphs with both versions.
    """
    ensure_not_withdrawn(article, "merge an edit into")
    named = parse_etag(if_match)
    if strong_match(if_match, article.etag) or (named and named[0] == article.head_number):
        article, created = edit_article(article, article.etag, changes, author, message)
        return article, created, None
    if named is None or named[0] > article.head_number:
        raise _stale(article, if_match)
    base = get_revision(article, named[0]).document()
    theirs = article.head.document()
    yours = base.replace(**changes)
    merged, conflicts = diffs.merge_documents(
        base.canonical(), theirs.canonical(), yours.canonical()
    )
    info = MergeInfo(base_revision=named[0], head_revision=article.head_number)
    if conflicts:
        raise MergeConflict(
            f"Your edit of revision {info.base_revision} overlaps changes made since "
            f"(head is revision {info.head_revision}); resolve and send again.",
            conflicts=conflicts,
            base_revision=info.base_revision,
            current_revision=info.head_revision,
            current_etag=article.etag,
        )
    document = Document.from_canonical(merged)
    if document == theirs:
        return article, False, info
    summary = (
        f"Merged edit of revision {info.base_revision} with revision {info.head_revision}: "
        + describe_change(theirs, document)
    )
    article = _write_revision(article, document, author=author, summary=summary, message=message)
    return article, True, info


def resolve_revision(article: Article, reference: str) -> int:
    """Return the revision number that ``reference`` names for ``article``.

    A reference is a number, or ``head``, ``approved`` (the approved revision)
    or ``published`` (the live version's revision). Raises :class:`NotFound`
    when the article has no such revision.
    """
    if reference == "head":
        return article.head_number
    if reference == "approved":
        if article.approved_revision_number is None:
            raise NotFound("No revision of this article is approved.")
        return article.approved_revision_number
    if reference == "published":
        if article.live is None:
            raise NotFound("This article has no published version.")
        return article.live.revision_number
    number = int(reference)
    if not 1 <= number <= article.head_number:
        raise NotFound(f"Article {article.id} has no revision {number}.")
    return number


@dataclass(frozen=True)
class RevisionDiff:
    """A comparison of two revisions of one article."""

    article_id: int
    from_revision: int
    to_revision: int
    diff: dict[str, Any]
    #: The two revisions compared (for labels and for the review rendering).
    old: Revision | None = None
    new: Revision | None = None

    @property
    def summary(self) -> str:
        return diffs.summarize(self.diff)

    def review_html(self, timezone: str, *, context: int, layout: str) -> str:
        """Return the review desk's HTML fragment of this comparison (:mod:`.diffs.review`).

        Each side is labelled with its revision, author, time (in ``timezone``)
        and message.
        """
        assert self.old is not None
        assert self.new is not None
        sides = tuple(
            Side(
                revision.number,
                revision.author.name,
                display_stamp(revision.created_at, timezone) or "",
                revision.message,
            )
            for revision in (self.old, self.new)
        )
        return render_review(
            self.diff,
            self.old.document().canonical(),
            self.new.document().canonical(),
            sides=(sides[0], sides[1]),
            context=context,
            layout=layout,
        )


def diff_revisions(article: Article, from_ref: str | None, to_ref: str) -> RevisionDiff:
    """Compare two revisions of ``article``, in either order.

    Without ``from_ref`` the revision before ``to_ref`` is the old side.
    Raises :class:`NotFound` for a reference that names no revision.
    """
    new_number = resolve_revision(article, to_ref)
    old_number = (
        max(new_number - 1, 1) if from_ref is None else resolve_revision(article, from_ref)
    )
    old_revision = get_revision(article, old_number)
    new_revision = old_revision if new_number == old_number else get_revision(article, new_number)
    old, new = old_revision.document().canonical(), new_revision.document().canonical()
    return RevisionDiff(
        article.id,
        old_number,
        new_number,
        diffs.diff_documents(old, new),
        old_revision,
        new_revision,
    )


def blame_article(article: Article) -> list[dict[str, Any]]:
    """Say, for each paragraph of the head, the revision and author that last changed it."""
    revisions = db.session.scalars(
        select(Revision)
        .where(Revision.article_id == article.id)
        .order_by(Revision.number)
        .options(joinedload(Revision.body))
    ).all()
    by_number = {revision.number: revision for revision in revisions}
    lines = diffs.blame([(r.number, r.author, r.body.markdown) for r in revisions])
    for line in lines:
        line["at"] = by_number[line["revision"]].created_at
    return lines
