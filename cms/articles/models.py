"""Articles, their append-only revisions, the content-addressed bodies and public versions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from cms.articles.content import (
    HEADLINE_MAX,
    LANGUAGE_MAX,
    MESSAGE_MAX,
    SECTION_MAX,
    SLUG_MAX,
    Document,
)
from cms.auth.models import User
from cms.core.extensions import Model
from cms.core.types import JSONType, UTCDateTime, enum_type, utcnow


class ArticleStatus(enum.StrEnum):
    """Where an article stands in the editorial workflow."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class PublicState(enum.StrEnum):
    """What readers and partners see of an article, whatever its working copy's status."""

    UNPUBLISHED = "unpublished"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


def public_state(status: ArticleStatus, live_version: int | None) -> PublicState:
    """Return what readers see: nothing yet, a published version, or a withdrawal."""
    if status == ArticleStatus.WITHDRAWN:
        return PublicState.WITHDRAWN
    return PublicState.PUBLISHED if live_version is not None else PublicState.UNPUBLISHED


def revision_reference(column: str) -> ForeignKeyConstraint:
    """A foreign key from ``(article_id, column)`` to the revision it names."""
    return ForeignKeyConstraint(
        ["article_id", column],
        ["revisions.article_id", "revisions.number"],
        ondelete="CASCADE",
    )


class FollowKind(enum.StrEnum):
    """How a story follows an earlier one (its lineage, shown to partners both ways)."""

    #: The same story rewritten (a write-through): partners replace the old one.
    REWRITE = "rewrite"
    #: The same story with a new top (lede).
    NEW_LEDE = "new-lede"
    #: Replaces a killed story (what a new wire take of a killed story starts).
    REPLACEMENT = "replacement"


class VersionKind(enum.StrEnum):
    """What a publication is to readers."""

    #: The first publication of the story.
    FIRST = "first"
    #: A substantive update: moves the public "Last Updated" stamp.
    UPDATE = "update"
    #: A fix that changes no facts (typo, style): leaves "Last Updated" alone.
    MINOR = "minor"
    #: Corrects an error: needs a public correction note; moves "Last Updated".
    CORRECTION = "correction"


class Body(Model):
    """A Markdown body, stored once however many revisions share it.

    Revisions point at bodies by hash, so an edit of the headline, the dateline
    or any other metadata stores no copy of the text.
    """

    __tablename__ = "bodies"

    #: SHA-256 (hex) of ``markdown``: the body's address.
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: CommonMark source as the writer sent it (line endings normalised).
    markdown: Mapped[str] = mapped_column(Text)
    #: Rendered, sanitised HTML; a pure function of ``markdown``, computed once.
    html: Mapped[str] = mapped_column(Text)


class Article(Model):
    """A story: a pointer to its head revision plus workflow state and stamps."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_updated_at_id", "updated_at", "id"),
        # The editors' list filtered by section or status, newest edit first.
        Index("ix_articles_section_updated_at_id", "section", "updated_at", "id"),
        Index("ix_articles_status_updated_at_id", "status", "updated_at", "id"),
        # The list by first publication (``sort=published``).
        Index("ix_articles_first_published_at_id", "first_published_at", "id"),
        CheckConstraint("head_number >= 1", name="head_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The head revision's slug, kept here so that slugs are unique across articles.
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    #: The head revision's section, kept here for filtering lists.
    section: Mapped[str | None] = mapped_column(String(SECTION_MAX), index=True)
    status: Mapped[ArticleStatus] = mapped_column(
        enum_type(ArticleStatus, "article_status"),
        default=ArticleStatus.DRAFT,
        index=True,
    )
    #: Number of the newest revision.
    head_number: Mapped[int] = mapped_column(Integer)
    #: Incremented by every write (edit or workflow action). The ETag carries it
    #: and writes compare-and-swap on it, so a stale base never wins.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Time of the last content edit (new revision).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set once, when the story is first published.
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The public "Last Updated" stamp: moves on substantive updates and
    #: corrections, not on typo fixes.
    last_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The revision an editor approved and ``publish`` would publish; ``None``
    #: when no approval is in force (see ``cms.workflow``).
    approved_revision_number: Mapped[int | None] = mapped_column(Integer)
    #: The public version readers see (``versions.number``); ``None`` before
    #: the first publication. Kept after a withdrawal: the version that was killed.
    live_version_number: Mapped[int | None] = mapped_column(Integer)
    #: When the pending scheduled publication will run; ``None`` if none is pending.
    scheduled_publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the story was killed.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the story was killed; shown to partners with the withdrawal.
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    #: The earlier story this one follows (a rewrite, a new lede, or the
    #: replacement of a killed story, e.g. a new wire take of it); see ``follows_kind``.
    follows_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    #: How this story follows ``follows_id``; set with it, ``None`` without it.
    follows_kind: Mapped[FollowKind | None] = mapped_column(
        enum_type(FollowKind, "follow_kind", 16)
    )

    created_by: Mapped[User] = relationship()
    head: Mapped[Revision] = relationship(
        primaryjoin=lambda: and_(
            foreign(Revision.article_id) == Article.id,
            foreign(Revision.number) == Article.head_number,
        ),
        viewonly=True,
        uselist=False,
        lazy="joined",
        innerjoin=True,
    )

    #: The live public version.
    live: Mapped[Version | None] = relationship(
        "Version",
        primaryjoin="and_(foreign(Version.article_id) == Article.id, "
        "foreign(Version.number) == Article.live_version_number)",
        viewonly=True,
        uselist=False,
    )
    #: The public corrections: versions of kind ``correction``, oldest first.
    corrections: Mapped[list[Version]] = relationship(
        "Version",
        primaryjoin="and_(foreign(Version.article_id) == Article.id, "
        "Version.kind == 'correction')",
        order_by="Version.number",
        viewonly=True,
    )

    @property
    def public_state(self) -> PublicState:
        """What readers see of the article now (see :func:`public_state`)."""
        return public_state(self.status, self.live_version_number)

    @property
    def etag(self) -> str:
        """The entity tag of the article's current state (head and lock version)."""
        return format_etag(self.head_number, self.lock_version)


class Revision(Model):
    """One immutable, numbered state of an article's content."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("article_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        # The editors' list filtered by who wrote a revision (``author=``).
        Index("ix_revisions_author_id_article_id", "author_id", "article_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    #: 1, 2, 3 … per article, in order of writing.
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The writer's note on why they made this change.
    message: Mapped[str | None] = mapped_column(String(MESSAGE_MAX))
    #: Set when this revision restores an older one: that revision's number.
    restored_from: Mapped[int | None] = mapped_column(Integer)
    #: One line saying what changed against the previous revision.
    summary: Mapped[str] = mapped_column(String(300))
    #: SHA-256 of the canonical document: approval binds to it.
    content_hash: Mapped[str] = mapped_column(String(64))

    headline: Mapped[str] = mapped_column(String(HEADLINE_MAX))
    deck: Mapped[str | None] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX))
    #: ``{city, region, country, agency, date}``, parts absent when empty.
    dateline: Mapped[dict | None] = mapped_column(JSONType)
    #: Ordered ``[{name, role, affiliation}]``.
    bylines: Mapped[list] = mapped_column(JSONType)
    section: Mapped[str | None] = mapped_column(String(SECTION_MAX))
    keywords: Mapped[list] = mapped_column(JSONType)
    #: BCP 47 language tag.
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX))
    body_hash: Mapped[str] = mapped_column(ForeignKey("bodies.hash"), index=True)

    author: Mapped[User] = relationship(lazy="joined")
    #: Loaded only when asked for (see ``operations.get_article``): lists skip bodies.
    body: Mapped[Body] = relationship(lazy="raise_on_sql")

    def document(self) -> Document:
        """Return the revision's content as a :class:`Document`."""
        return Document(
            headline=self.headline,
            deck=self.deck,
            slug=self.slug,
            dateline=self.dateline,
            bylines=tuple(self.bylines),
            section=self.section,
            keywords=tuple(self.keywords),
            language=self.language,
            body=self.body.markdown,
        )


class Version(Model):
    """A public version of an article: what readers and partners saw from ``published_at``.

    Numbered 1, 2, 3 … per article, apart from revision numbers: only
    publications count. Rows are never changed; corrections are the versions
    of kind ``correction``.
    """

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("article_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("kind <> 'correction' OR note IS NOT NULL", name="correction_has_note"),
        revision_reference("revision_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    #: 1, 2, 3 … per article, in order of publication.
    number: Mapped[int] = mapped_column(Integer)
    #: The revision this version published: the approved one, not necessarily the head.
    revision_number: Mapped[int] = mapped_column(Integer)
    #: The revision's content hash, equal to the approval's.
    content_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[VersionKind] = mapped_column(enum_type(VersionKind, "version_kind", 16))
    #: The public note: the correction text for a correction, optional otherwise.
    note: Mapped[str | None] = mapped_column(Text)
    #: Until this instant, partner-facing output shows this version only to
    #: partners allowed embargoed copy.
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The editor who published it (for a scheduled publication, who scheduled it).
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The approval this version carried out.
    approval_id: Mapped[int] = mapped_column(ForeignKey("approvals.id"))

    published_by: Mapped[User] = relationship(lazy="joined")


def format_etag(head_number: int, lock_version: int) -> str:
    """Return the strong ETag for an article state: ``"<revision>.<lock version>"``."""
    return f'"{head_number}.{lock_version}"'


def parse_etag(etag: str) -> tuple[int, int] | None:
    """Return ``(revision, lock version)`` named by ``etag``, or ``None`` if malformed."""
    if len(etag) < 5 or etag[0] != '"' or etag[-1] != '"':
        return None
    head, _, lock = etag[1:-1].partition(".")
    digits = head + lock
    if not (head and lock and digits.isascii() and digits.isdigit()) or len(digits) > 20:
        return None
    return int(head), int(lock)
