"""Search documents and the labels lists filter on."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from cms.articles.content import LANGUAGE_MAX, SECTION_MAX
from cms.articles.search.syntax import CONFIGS
from cms.core.extensions import Model

#: ``SearchDocument.version`` of the document of a story's head revision.
HEAD = 0
#: The GIN indexes per kind of document and configuration: (name, columns).
VECTOR_INDEXES = (("tsv", ("tsv",)), ("section_tsv_title", ("section", "tsv_title")))
#: Longest label kept (a byline name is at most 200 characters, before case folding).
LABEL_MAX = 200


class SearchDocument(Model):
    """The searchable text of a story's head (``version`` 0) or of one public version.

    One row per story for the editors (its head, replaced by every new
    revision), one per publication for the partners. On PostgreSQL ``tsv`` is
    the weighted ``tsvector`` (headline A, summary B, body C), GIN-indexed; on
    SQLite the FTS5 tables ``search_fts_english`` and ``search_fts_simple``,
    kept by triggers, index these rows by ``id`` (see ``docs/search.md``).
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("article_id", "version"),
        Index("ix_search_documents_version_language", "version", "language"),
        # One GIN index per vector, kind of document and configuration, so that each part
        # of a search is answered by its own index, never by testing each row's vector and
        # never by visiting rows of another kind (migration 0015: tsv; 0016: tsv_title,
        # the headline matches a page by relevance ranks first; 0017: with the section,
        # so that a search in one section ranks only that section's headline matches).
        *(
            Index(
                f"ix_search_documents_{name}_{kind}_{config}",
                *columns,
                postgresql_using="gin",
                postgresql_where=text(f"version {test} AND config = '{config}'"),
            )
            for name, columns in VECTOR_INDEXES
            for kind, test in (("heads", "= 0"), ("versions", "> 0"))
            for config in CONFIGS
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    #: The public version this document is of; ``HEAD`` (0) for the head revision.
    version: Mapped[int] = mapped_column(Integer)
    #: The revision whose text this is.
    revision_number: Mapped[int] = mapped_column(Integer)
    #: The revision's BCP 47 language tag.
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX))
    #: Text-search configuration: ``english`` (stemmed) or ``simple`` (see ``syntax.config_for``).
    config: Mapped[str] = mapped_column(String(16))
    headline: Mapped[str] = mapped_column(Text)
    #: Deck, dateline, bylines and keywords, as text.
    summary: Mapped[str] = mapped_column(Text)
    #: The body as plain text (the rendered HTML without its markup).
    body: Mapped[str] = mapped_column(Text)
    #: The revision's section: a search in one section finds its documents by index.
    section: Mapped[str | None] = mapped_column(String(SECTION_MAX))
    #: PostgreSQL: the weighted tsvector of the three texts, set by a trigger. SQLite: NULL.
    tsv: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    #: PostgreSQL: headline (A) and summary (B) only, set by the same trigger: what ranking
    #: reads (small, stored in the row, where ``tsv`` and ``body`` are stored out of it).
    tsv_title: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))


class SearchLabel(Model):
    """A byline name or keyword of a story's head, case-folded, for exact filters."""

    __tablename__ = "search_labels"
    __table_args__ = (Index("ix_search_labels_kind_value", "kind", "value", "article_id"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``byline`` or ``keyword``.
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: Case-folded, cut to ``LABEL_MAX`` characters.
    value: Mapped[str] = mapped_column(String(LABEL_MAX), primary_key=True)
