"""Three-way merge of two documents changed from the same base, with the conflicts.

Metadata fields merge whole; the body merges paragraph by paragraph, from the
changed ranges of each side against the base, so that edits to different
paragraphs combine and edits to the same ones conflict.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from cms.articles.content import DOCUMENT_FIELDS
from cms.articles.diffs.paragraphs import (
    BLOCK_PAIRS,
    PARAGRAPH_SEPARATOR,
    TokenCache,
    align_paragraphs,
    similar_pairs,
    split_paragraphs,
)

#: A changed range ``(i1, i2, j1, j2)`` of the base and the side that changed it.
_SideHunk = tuple[int, int, int, int, str]


def merge_documents(
    base: Mapping[str, Any],
    theirs: Mapping[str, Any],
    yours: Mapping[str, Any],
    *,
    keep_theirs: bool = False,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the three-way merge of two documents changed from ``base``, and the conflicts.

    A field changed on one side takes that side; changed alike on both, that
    value; changed differently, it is a conflict ``{"field", "base", "theirs",
    "yours"}`` and keeps the base value. The body merges paragraph by
    paragraph: edits to different paragraphs combine, edits to the same
    paragraphs (or insertions at the same place) that differ are conflicts that
    also name ``paragraph``, the index in the base body. The merged document is
    meaningful only when there are no conflicts, unless ``keep_theirs``: then
    each conflict keeps their version instead of the base's, and the merged
    document is theirs with every change of yours that does not overlap.
    """
    names = list(DOCUMENT_FIELDS)
    for document in (base, theirs, yours):
        names += [name for name in document if name not in names]
    merged: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] = []
    for name in names:
        old, their, your = base.get(name), theirs.get(name), yours.get(name)
        if name == "body":
            merged[name], body_conflicts = _merge_body(
                old or "", their or "", your or "", keep_theirs
            )
            conflicts += body_conflicts
        elif their in (old, your):
            merged[name] = your
        elif your == old:
            merged[name] = their
        else:
            merged[name] = their if keep_theirs else old
            conflicts.append({"field": name, "base": old, "theirs": their, "yours": your})
    return merged, conflicts


def _hunks(
    base: list[str], side: list[str], tokens: TokenCache
) -> list[tuple[int, int, int, int]]:
    """Return the changed ranges ``(i1, i2, j1, j2)``: ``base[i1:i2]`` became ``side[j1:j2]``.

    Replace blocks are cut around edited paragraphs, and paragraphs replaced one
    for one are hunks of their own, so that edits to neighbouring paragraphs on
    the two sides do not collide.
    """
    hunks: list[tuple[int, int, int, int]] = []
    for item in align_paragraphs(base, side):
        if item[0] == "equal":
            continue
        _, deleted, inserted, i_at, j_at = item
        pairs: list[tuple[int, int]] = []
        if len(deleted) * len(inserted) <= BLOCK_PAIRS:
            for i, j, _ in similar_pairs(base, side, itertools.product(deleted, inserted), tokens):
                if all((i < a) == (j < b) and i != a and j != b for a, b in pairs):
                    pairs.append((i, j))
        cuts = [*sorted(pairs), (i_at + len(deleted), j_at + len(inserted))]
        for i, j in cuts:
            if i - i_at == j - j_at:
                hunks += [
                    (i_at + k, i_at + k + 1, j_at + k, j_at + k + 1) for k in range(i - i_at)
                ]
            else:
                hunks.append((i_at, i, j_at, j))
            if (i, j) != cuts[-1]:
                hunks.append((i, i + 1, j, j + 1))
            i_at, j_at = i + 1, j + 1
    return hunks


def _overlap(a: _SideHunk, b: _SideHunk) -> bool:
    """Return whether two changed base ranges touch the same paragraphs or insertion point."""
    (a1, a2), (b1, b2) = a[:2], b[:2]
    if a1 == a2 and b1 == b2:
        return a1 == b1
    if a1 == a2:
        return b1 < a1 < b2
    if b1 == b2:
        return a1 < b1 < a2
    return a1 < b2 and b1 < a2


def _merge_body(
    base: str, theirs: str, yours: str, keep_theirs: bool
) -> tuple[str, list[dict[str, Any]]]:
    if theirs in (base, yours):
        return yours, []
    if yours == base:
        return theirs, []
    sides = {"theirs": split_paragraphs(theirs), "yours": split_paragraphs(yours)}
    base_paragraphs, base_separators = split_paragraphs(base)
    tokens = TokenCache()
    hunks = [
        (i1, i2, j1, j2, side)
        for side, (paragraphs, _) in sides.items()
        for i1, i2, j1, j2 in _hunks(base_paragraphs, paragraphs, tokens)
    ]
    # Group overlapping hunks of the two sides (union-find over the few hunks).
    group = list(range(len(hunks)))

    def root(k: int) -> int:
        while group[k] != k:
            group[k] = group[group[k]]
            k = group[k]
        return k

    # Each side's hunks are sorted and disjoint: only a window of yours can meet one of theirs.
    yours_at = [k for k, hunk in enumerate(hunks) if hunk[4] == "yours"]
    yours_ends = [hunks[k][1] for k in yours_at]
    for a, hunk in enumerate(hunks):
        if hunk[4] != "theirs":
            continue
        for b in yours_at[bisect.bisect_left(yours_ends, hunk[0]) :]:
            if hunks[b][0] > hunk[1]:
                break
            if _overlap(hunk, hunks[b]):
                group[root(a)] = root(b)
    clusters: dict[int, list[_SideHunk]] = defaultdict(list)
    for k, hunk in enumerate(hunks):
        clusters[root(k)].append(hunk)

    def piece(paragraphs: list[str], separators: list[str], k: int) -> tuple[str, str | None]:
        return paragraphs[k], separators[k] if k < len(separators) else None

    out: list[tuple[str, str | None]] = []
    conflicts = []
    position = 0
    for cluster in sorted(
        clusters.values(), key=lambda c: (min(h[0] for h in c), max(h[1] for h in c))
    ):
        start, end = min(h[0] for h in cluster), max(h[1] for h in cluster)
        out += [piece(base_paragraphs, base_separators, k) for k in range(position, start)]
        versions = {}
        for side, (paragraphs, separators) in sides.items():
            version, at = [], start
            for i1, i2, j1, j2, _ in sorted(h for h in cluster if h[4] == side):
                version += [piece(base_paragraphs, base_separators, k) for k in range(at, i1)]
                version += [piece(paragraphs, separators, k) for k in range(j1, j2)]
                at = i2
            version += [piece(base_paragraphs, base_separators, k) for k in range(at, end)]
            versions[side] = version
        their_texts = [text for text, _ in versions["theirs"]]
        changed_by = {hunk[4] for hunk in cluster}
        if len(changed_by) == 1:
            out += versions[changed_by.pop()]
        elif their_texts == [text for text, _ in versions["yours"]]:
            # The same edit on both sides; where only the spacing between paragraphs
            # differs, the standard blank line keeps the merge symmetric.
            out += [
                (text, ours if ours == other else PARAGRAPH_SEPARATOR)
                for (text, ours), (_, other) in zip(
                    versions["theirs"], versions["yours"], strict=True
                )
            ]
        else:
            if keep_theirs:
                out += versions["theirs"]
            else:
                out += [piece(base_paragraphs, base_separators, k) for k in range(start, end)]
            conflicts.append(
                {
                    "field": "body",
                    "paragraph": start,
                    "base": PARAGRAPH_SEPARATOR.join(base_paragraphs[start:end]),
                    "theirs": PARAGRAPH_SEPARATOR.join(their_texts),
                    "yours": PARAGRAPH_SEPARATOR.join(text for text, _ in versions["yours"]),
                }
            )
        position = end
    out += [
        piece(base_paragraphs, base_separators, k) for k in range(position, len(base_paragraphs))
    ]
    parts = [text for text, _ in out[:1]]
    for (_, separator), (text, _) in itertools.pairwise(out):
        parts += [separator or PARAGRAPH_SEPARATOR, text]
    return "".join(parts), conflicts
