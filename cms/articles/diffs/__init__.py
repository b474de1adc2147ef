"""Differences between article revisions: diff, blame and three-way merge.

Pure: no database, no Flask. Documents are the plain data of
:meth:`cms.articles.content.Document.canonical`.

The body is compared paragraph by paragraph first (by exact text), then word
by word inside the paragraphs that changed. Word-level diffs map every token
to one character and run fast-diff-match-patch on those characters; without
that package (it has wheels for CPython 3.11 and 3.12 only) they fall back to
:class:`difflib.SequenceMatcher`. Both give the same kind of result.

The rooms, from the bottom up: :mod:`.tokens` (the tokeniser), :mod:`.engine`
(sequence and word diffs), :mod:`.paragraphs` (aligning paragraphs, moves),
:mod:`.metadata` (dateline, bylines, keywords), :mod:`.documents` (the diff of
two documents and applying it); on top, :mod:`.render`, :mod:`.blame` and
:mod:`.merge`. A room imports only rooms below it.
"""

from cms.articles.diffs.blame import blame
from cms.articles.diffs.documents import apply_body_diff, diff_documents
from cms.articles.diffs.merge import merge_documents
from cms.articles.diffs.paragraphs import split_paragraphs
from cms.articles.diffs.render import render_html, render_text, summarize
from cms.articles.diffs.tokens import tokenize

__all__ = [
    "apply_body_diff",
    "blame",
    "diff_documents",
    "merge_documents",
    "render_html",
    "render_text",
    "split_paragraphs",
    "summarize",
    "tokenize",
]
