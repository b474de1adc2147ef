"""The diff of two whole documents, and applying the body part of one.

:func:`diff_documents` is the package's main entry: metadata fields (words for
headline and deck, :mod:`~cms.articles.diffs.metadata` for the structured
ones), the body paragraph by paragraph, and word and paragraph counts, all as
JSON-ready data. :func:`apply_body_diff` replays the body part of such a diff
on the old body, which is how the diffs are checked to be complete.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from cms.articles.content import DOCUMENT_FIELDS
from cms.articles.diffs.engine import side_text, word_diff
from cms.articles.diffs.metadata import diff_bylines, diff_dateline, diff_keywords
from cms.articles.diffs.paragraphs import (
    PARAGRAPH_SEPARATOR,
    TokenCache,
    paragraph_ops,
    split_paragraphs,
)

#: The fields compared as metadata, in display order: every field but the body.
METADATA_FIELDS = tuple(name for name in DOCUMENT_FIELDS if name != "body")


def _diff_body(old_body: str, new_body: str, tokens: TokenCache) -> tuple[dict[str, Any], Counter]:
    old, _ = split_paragraphs(old_body)
    new, separators = split_paragraphs(new_body)
    ops, stats = paragraph_ops(old, new, tokens)
    body = {
        "changed": old_body != new_body,
        "paragraphs": ops,
        # Only the separators that are not PARAGRAPH_SEPARATOR.
        "separators": [
            {"after": j, "text": text}
            for j, text in enumerate(separators)
            if text != PARAGRAPH_SEPARATOR
        ],
    }
    return body, stats


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Return the differences between two documents as JSON-ready data.

    ``fields`` lists the changed metadata fields in :data:`METADATA_FIELDS`
    order (headline and deck with word ops, dateline and bylines part by part,
    keywords as added and removed). ``body`` holds ``paragraphs``, the ops
    ``equal``, ``insert``, ``delete``, ``change`` (word ops) and ``move`` (the
    text, or word ops when also edited), with ``old_index``/``new_index``;
    ``separators``, the ones between new paragraphs that are not a single blank
    line; and ``changed``. ``stats`` counts words (word tokens of headline,
    deck and body, not white space, punctuation or emoji) and paragraphs; a
    paragraph moved and edited counts as both moved and changed.
    """
    tokens = TokenCache()
    fields = []
    stats: Counter[str] = Counter()
    for name in METADATA_FIELDS:
        before, after = old.get(name), new.get(name)
        if name == "dateline":
            entry = diff_dateline(before, after)
        elif name == "bylines":
            entry = diff_bylines(list(before or ()), list(after or ()))
        elif name == "keywords":
            entry = diff_keywords(list(before or ()), list(after or ()))
        elif before == after:
            entry = None
        else:
            entry = {"field": name, "old": before, "new": after}
            if name in ("headline", "deck"):
                ops, _, added, removed = word_diff(tokens[before or ""], tokens[after or ""])
                entry["words"] = ops
                stats.update(words_added=added, words_removed=removed)
        if entry is not None:
            fields.append(entry)
    body, body_stats = _diff_body(old.get("body") or "", new.get("body") or "", tokens)
    stats.update(body_stats)
    keys = (
        "words_added",
        "words_removed",
        "paragraphs_changed",
        "paragraphs_added",
        "paragraphs_removed",
        "paragraphs_moved",
    )
    return {"fields": fields, "body": body, "stats": {key: stats[key] for key in keys}}


def apply_body_diff(old_body: str, body_diff: Mapping[str, Any]) -> str:
    """Return the new body: ``old_body`` with the ``body`` part of a document diff applied.

    Raises ``ValueError`` when the diff does not fit ``old_body`` or is malformed.
    """
    old, _ = split_paragraphs(old_body)
    new: dict[int, str] = {}
    used: set[int] = set()
    try:
        for op in body_diff["paragraphs"]:
            kind = op["op"]
            if kind in ("equal", "delete", "change", "move"):
                i = op["old_index"]
                if not 0 <= i < len(old) or i in used:
                    raise ValueError(f"paragraph {i} of the old body is missing or reused")
                used.add(i)
            if kind == "delete":
                if op["text"] != old[i]:
                    raise ValueError(f"paragraph {i} of the old body differs from the diff")
                continue
            if kind == "insert":
                text = op["text"]
            elif kind == "equal":
                text = old[i]
            elif kind in ("change", "move") and "words" in op:
                if side_text(op["words"], "delete") != old[i]:
                    raise ValueError(f"paragraph {i} of the old body differs from the diff")
                text = side_text(op["words"], "insert")
            elif kind == "move":
                text = old[i]
                if op.get("text", text) != text:
                    raise ValueError(f"paragraph {i} of the old body differs from the diff")
            else:
                raise ValueError(f"malformed paragraph op {kind!r}")
            j = op["new_index"]
            if j in new:
                raise ValueError(f"paragraph {j} of the new body is given twice")
            new[j] = text
        separators = [PARAGRAPH_SEPARATOR] * max(len(new) - 1, 0)
        for separator in body_diff.get("separators", ()):
            after = separator["after"]
            if not 0 <= after < len(separators):
                raise ValueError(f"no paragraph {after + 1} of the new body to follow")
            separators[after] = separator["text"]
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"malformed body diff: {exc!r}") from exc
    if len(used) != len(old):
        raise ValueError("the diff does not account for every paragraph of the old body")
    if sorted(new) != list(range(len(new))):
        raise ValueError("the diff leaves gaps in the new body")
    parts = [new[0]] if new else []
    for j in range(1, len(new)):
        parts += [separators[j - 1], new[j]]
    return "".join(parts)
