"""Paragraph alignment: which paragraphs of a body stayed, moved, changed or came and went.

Paragraphs are first matched by exact text; a deleted and an inserted
paragraph with the same text are a move, and ones with enough words in common
are one edited paragraph, in place (a change) or elsewhere (a move with word
ops). Large rewrites are paired through shared word pairs only, to stay
near-linear. Used by the document diff, blame and the body merge.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from typing import Any

from cms.articles.diffs.engine import WordOp, opcodes, word_diff
from cms.articles.diffs.tokens import count_words, solid_tokens, tokenize

#: Share of words (2 x common / total) a deleted and an inserted paragraph must have in
#: common to be shown as one edited paragraph instead of a deletion and an insertion.
SIMILARITY_THRESHOLD = 0.5
#: What separates paragraphs unless a diff says otherwise.
PARAGRAPH_SEPARATOR = "\n\n"

# A paragraph ends at a blank line (only spaces or tabs); keeping the separators
# makes splitting and joining exact.
_SEPARATOR = re.compile(r"(\n(?:[ \t]*\n)+)")
#: Replace blocks up to this many (deleted x inserted) paragraphs are compared pair by
#: pair; bigger ones (a rewrite) only through shared word pairs, to stay near-linear.
BLOCK_PAIRS = 100
# Word pairs found in more inserted paragraphs than this say nothing about identity.
_COMMON_FEATURE = 8
_CANDIDATES_PER_PARAGRAPH = 3


def split_paragraphs(body: str) -> tuple[list[str], list[str]]:
    """Return the paragraphs of ``body`` and the separators between them.

    ``paragraphs[0] + separators[0] + paragraphs[1] + ...`` is ``body`` exactly;
    a separator is a line break followed by one or more blank lines. An empty
    body has no paragraphs.
    """
    if not body:
        return [], []
    parts = _SEPARATOR.split(body)
    return parts[0::2], parts[1::2]


class TokenCache(dict[str, list[str]]):
    """Tokens of texts, each computed once."""

    def __missing__(self, text: str) -> list[str]:
        tokens = self[text] = tokenize(text)
        return tokens


def _features(tokens: list[str]) -> set[tuple[str, ...]]:
    """Return the pairs of neighbouring tokens (and, for short texts, the tokens)."""
    solid = solid_tokens(tokens)
    features: set[tuple[str, ...]] = set(itertools.pairwise(solid))
    if len(solid) < 4:
        features.update((token,) for token in solid)
    return features


def _could_be_similar(old: list[str], new: list[str]) -> bool:
    """Return whether two token lists share enough tokens to pass the threshold at all."""
    # Counted whole and white space left out of the counts: a text has far fewer
    # distinct tokens than tokens (a 2 MB paragraph of full stops has one).
    old_counts, new_counts = Counter(old), Counter(new)
    total = sum(
        count
        for counts in (old_counts, new_counts)
        for token, count in counts.items()
        if not token.isspace()
    )
    if not total:
        return True
    shared = sum(
        min(count, new_counts[token])
        for token, count in old_counts.items()
        if token in new_counts and not token.isspace()
    )
    return 2 * shared / total >= SIMILARITY_THRESHOLD


def _feature_pairs(
    old: list[str], new: list[str], deleted: list[int], inserted: list[int], tokens: TokenCache
) -> set[tuple[int, int]]:
    """Return (deleted, inserted) index pairs that share many uncommon word pairs."""
    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    sizes = {}
    for j in inserted:
        features = _features(tokens[new[j]])
        sizes[j] = len(features)
        for feature in features:
            postings[feature].append(j)
    telling = {feature: js for feature, js in postings.items() if len(js) <= _COMMON_FEATURE}
    pairs: set[tuple[int, int]] = set()
    for i in deleted:
        features = _features(tokens[old[i]])
        # The set intersection and the counting run in C: a rewrite has thousands of these.
        shared_features = telling.keys() & features
        hits = Counter(itertools.chain.from_iterable(map(telling.__getitem__, shared_features)))
        # Ties go to the nearest paragraph, then the first: not to the order the set of
        # word pairs iterates in, which differs from process to process.
        ranked = sorted(hits.items(), key=lambda hit: (-hit[1], abs(hit[0] - i), hit[0]))
        best = [j for j, shared in ranked if shared >= max(1, 0.25 * min(len(features), sizes[j]))]
        pairs.update((i, j) for j in best[:_CANDIDATES_PER_PARAGRAPH])
    return pairs


def align_paragraphs(old: list[str], new: list[str]) -> list[tuple[Any, ...]]:
    """Return the alignment of two lists of paragraphs.

    Items are ``("equal", i, j)`` and ``("block", deleted, inserted, i, j)``: a
    run of deleted and inserted indices that starts at ``old[i]`` and ``new[j]``.
    """
    layout: list[tuple[Any, ...]] = []
    for tag, i1, i2, j1, j2 in opcodes(old, new, semantic=False):
        if tag == "equal":
            layout.extend(("equal", i1 + k, j1 + k) for k in range(i2 - i1))
            continue
        if not layout or layout[-1][0] != "block":
            layout.append(("block", [], [], i1, j1))
        layout[-1][1].extend(range(i1, i2))
        layout[-1][2].extend(range(j1, j2))
    return layout


def similar_pairs(
    old: list[str], new: list[str], candidates: Iterable[tuple[int, int]], tokens: TokenCache
) -> list[tuple[int, int, tuple[list[WordOp], int, int]]]:
    """Return the candidate pairs similar enough to be one edited paragraph, best first.

    Each comes with its word ops and the numbers of words added and removed.
    """
    scored = []
    for i, j in candidates:
        if not _could_be_similar(tokens[old[i]], tokens[new[j]]):
            continue
        ops, similarity, added, removed = word_diff(tokens[old[i]], tokens[new[j]])
        if similarity >= SIMILARITY_THRESHOLD:
            scored.append((similarity, -abs(i - j), -j, i, j, (ops, added, removed)))
    scored.sort(key=lambda item: item[:3], reverse=True)
    return [(i, j, change) for *_, i, j, change in scored]


def paragraph_ops(
    old: list[str], new: list[str], tokens: TokenCache
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Return the paragraph ops turning paragraphs ``old`` into ``new``.

    Equal paragraphs are aligned first; a deleted and an inserted paragraph with
    the same text become a move, similar ones a change (in place) or a move with
    word ops (elsewhere); the rest stay deletions and insertions.
    """
    layout = align_paragraphs(old, new)
    blocks = [item for item in layout if item[0] == "block"]
    block_of_old = {i: n for n, block in enumerate(blocks) for i in block[1]}
    block_of_new = {j: n for n, block in enumerate(blocks) for j in block[2]}

    source: dict[int, int] = {}  # inserted index -> paired deleted index
    words: dict[int, tuple[list[WordOp], int, int]] = {}  # word ops, words +/-
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for j in sorted(block_of_new):
        waiting[new[j]].append(j)
    for i in sorted(block_of_old):
        if waiting.get(old[i]):
            source[waiting[old[i]].popleft()] = i

    paired_old = set(source.values())
    # Pairs in place first; then, among what is left, paragraphs moved and edited.
    in_place: set[tuple[int, int]] = set()
    for _, deleted, inserted, *_ in blocks:
        deleted = [i for i in deleted if i not in paired_old]
        inserted = [j for j in inserted if j not in source]
        if len(deleted) * len(inserted) <= BLOCK_PAIRS:
            in_place.update(itertools.product(deleted, inserted))
    for candidates in (in_place, None):
        free_old = [i for i in sorted(block_of_old) if i not in paired_old]
        free_new = [j for j in sorted(block_of_new) if j not in source]
        if not free_old or not free_new:
            break
        if candidates is None:
            pairs_left = itertools.product(free_old, free_new)
            if len(free_old) * len(free_new) <= len(in_place) and in_place.issuperset(pairs_left):
                break  # every pair left was compared in place already
            candidates = _feature_pairs(old, new, free_old, free_new, tokens)
        candidates = {(i, j) for i, j in candidates if i not in paired_old and j not in source}
        for i, j, change in similar_pairs(old, new, candidates, tokens):
            if j not in source and i not in paired_old:
                source[j] = i
                paired_old.add(i)
                words[j] = change

    result: list[dict[str, Any]] = []
    stats: Counter[str] = Counter()
    for item in layout:
        if item[0] == "equal":
            result.append({"op": "equal", "old_index": item[1], "new_index": item[2]})
            continue
        _, deleted, inserted, *_ = item
        block = block_of_new[inserted[0]] if inserted else block_of_old[deleted[0]]
        pending = deque(i for i in deleted if i not in paired_old)
        anchors = deque(
            source[j] for j in inserted if j in source and block_of_old[source[j]] == block
        )

        def flush(limit: float, pending: deque[int] = pending) -> None:
            while pending and pending[0] < limit:
                i = pending.popleft()
                result.append({"op": "delete", "old_index": i, "text": old[i]})
                stats.update(paragraphs_removed=1, words_removed=count_words(tokens[old[i]]))

        # Deletions go before the insertions around them, in old order.
        flush(anchors[0] if anchors else float("inf"))
        for j in inserted:
            i = source.get(j)
            if i is None:
                result.append({"op": "insert", "new_index": j, "text": new[j]})
                stats.update(paragraphs_added=1, words_added=count_words(tokens[new[j]]))
                continue
            kind = "change" if block_of_old[i] == block else "move"
            op = {"op": kind, "old_index": i, "new_index": j}
            if j in words:
                op["words"], added, removed = words[j]
                stats.update(paragraphs_changed=1, words_added=added, words_removed=removed)
            else:
                kind = op["op"] = "move"
                op["text"] = new[j]
            if kind == "move":
                stats["paragraphs_moved"] += 1
            result.append(op)
            if anchors and anchors[0] == i:
                anchors.popleft()
                flush(anchors[0] if anchors else float("inf"))
        flush(float("inf"))
    return result, stats
