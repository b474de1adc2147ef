"""The archive's search rows: what ``flask cms reindex`` would write, planned with the stories.

One ``search_documents`` row per story head and one per public version some
partner may still see now (:func:`~cms.articles.search.index.still_shown`), and
the head's ``search_labels``. The app's own functions decide every value; only
the body's text is taken from a cache, since ``html_text`` of one body is the
same for every revision that shares it. The ``tsv`` column (PostgreSQL) and the
FTS5 tables (SQLite) are filled by the migrations' triggers as the rows go in.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table

from cms.articles.models import Revision, Version
from cms.articles.search.index import _labels, _texts, still_shown
from cms.articles.search.models import HEAD, SearchDocument, SearchLabel
from cms.articles.search.text import html_text

#: The tables written, after ``articles`` (their foreign key).
SEARCH_TABLES: tuple[Table, ...] = tuple(
    cast(Table, model.__table__) for model in (SearchDocument, SearchLabel)
)


class BodyTexts:
    """The plain text of each body (``html_text`` of its rendered HTML), by body hash."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def add(self, digest: str, html: str) -> None:
        """Remember the text of the body ``digest``, rendered as ``html``."""
        self._texts[digest] = html_text(html)

    def __getitem__(self, digest: str) -> str:
        """The text of body ``digest``; raises ``KeyError`` if it was never added."""
        return self._texts[digest]


def _as_revision(row: dict[str, Any]) -> Revision:
    # The index's functions only read attributes; a namespace of the row's columns has them
    # all, at a fraction of the cost of an ORM object.
    return cast(Revision, SimpleNamespace(**row))


def _document(texts: BodyTexts, article_id: int, version: int, revision: Any) -> dict[str, Any]:
    # The app's texts but for the body's, which is the cached text of the same HTML: an
    # html_text per document would cost most of what the reindex did.
    values = _texts(revision, "")
    values["body"] = texts[revision.body_hash]
    return {"article_id": article_id, "version": version, **values}


def story_rows(
    texts: BodyTexts,
    head: dict[str, Any],
    published: list[tuple[dict[str, Any], dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """The search rows of one story, by table name.

    ``head`` is the row of its head revision, ``published`` its ``(version, revision)``
    row pairs, each version with the row of the revision it published.
    """
    article_id = head["article_id"]
    pairs = [
        (cast(Version, SimpleNamespace(**version)), _as_revision(revision))
        for version, revision in published
    ]
    head_revision = _as_revision(head)
    documents = [_document(texts, article_id, HEAD, head_revision)]
    documents.extend(
        _document(texts, article_id, version.number, revision)
        for version, revision in still_shown(pairs)
    )
    labels = [
        {"article_id": article_id, "kind": kind, "value": value}
        for kind, value in sorted(_labels(head_revision))
    ]
    return {"search_documents": documents, "search_labels": labels}
