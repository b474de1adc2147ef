"""The diff engine: edit spans between two sequences, and word diffs built on them.

Sequences are diffed by fast-diff-match-patch, each distinct item mapped to one
character; without that package (it has wheels for CPython 3.11 and 3.12 only)
:class:`difflib.SequenceMatcher` does the work, with the same semantic cleanup
so both read alike. Word diffs (:func:`word_diff`) run it on the tokens of
:mod:`cms.articles.diffs.tokens`, the only room below this one; every other room
builds on it.
"""

from __future__ import annotations

import difflib
import functools
import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from cms.articles.diffs.tokens import count_solid, count_words

try:
    import fast_diff_match_patch
except ImportError:  # pragma: no cover - no wheel for this interpreter
    fast_diff_match_patch = None

#: Seconds fast-diff-match-patch may spend on one diff before it settles for a coarser one.
TIME_LIMIT = 0.2

Span = tuple[str, int, int, int, int]
WordOp = dict[str, str]


@functools.cache
def _alphabet(char_width: int) -> str:
    """Return the characters tokens are encoded as, for fast-diff-match-patch."""
    ranges = [range(0xE000, 0xF900)]
    if char_width >= 4:
        ranges += [range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE)]
    else:  # UTF-16 builds refuse characters outside the BMP
        ranges += [range(0x0100, 0xD800)]
    return "".join(map(chr, itertools.chain(*ranges)))


class _Codes(dict[Hashable, str]):
    """The character of each distinct item, the next free one given to an item not seen yet."""

    def __init__(self, alphabet: str) -> None:
        super().__init__()
        self.alphabet = alphabet

    def __missing__(self, item: Hashable) -> str:
        code = self[item] = self.alphabet[len(self)]
        return code


def _encode(a: Sequence[Hashable], b: Sequence[Hashable], alphabet: str) -> tuple[str, str]:
    """Return ``a`` and ``b`` with each distinct item as one character.

    Raises ``IndexError`` when there are more distinct items than characters.
    """
    # map() over the dict's own lookup runs in C; only an item not seen yet calls
    # back into Python (a 2 MB body is up to two million tokens, of far fewer kinds).
    code_of = _Codes(alphabet).__getitem__
    return "".join(map(code_of, a)), "".join(map(code_of, b))


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable], *, semantic: bool) -> list[Span]:
    """Return the spans ``(tag, i1, i2, j1, j2)`` that turn ``a`` into ``b``.

    Tags are ``equal``, ``delete`` and ``insert``; a replacement is a delete
    followed by an insert. ``semantic`` folds short equalities between changes
    into the changes, which reads better for words.
    """
    if not a or not b:
        return _trivial_spans(len(a), len(b))
    fast = fast_diff_match_patch
    if fast is not None:
        try:
            encoded_a, encoded_b = _encode(a, b, _alphabet(getattr(fast, "CHAR_WIDTH", 2)))
        except IndexError:
            pass  # more distinct tokens than characters: difflib copes
        else:
            changes = fast.diff(
                encoded_a,
                encoded_b,
                timelimit=TIME_LIMIT,
                checklines=False,
                cleanup="Semantic" if semantic else "No",
                counts_only=True,
            )
            return _spans_from_counts(changes)
    return _difflib_opcodes(a, b, semantic=semantic)


def _trivial_spans(len_a: int, len_b: int) -> list[Span]:
    return _change_spans(0, 0, len_a, len_b)


def _change_spans(i: int, j: int, deleted: int, inserted: int) -> list[Span]:
    """Return the spans deleting ``deleted`` items at ``i`` and inserting ``inserted`` at ``j``."""
    spans: list[Span] = []
    if deleted:
        spans.append(("delete", i, i + deleted, j, j))
    if inserted:
        spans.append(("insert", i + deleted, i + deleted, j, j + inserted))
    return spans


def _spans_from_counts(changes: Iterable[tuple[str, int]]) -> list[Span]:
    spans: list[Span] = []
    i = j = 0
    for op, length in changes:
        if op == "=":
            spans.append(("equal", i, i + length, j, j + length))
            i, j = i + length, j + length
        elif op == "-":
            spans.append(("delete", i, i + length, j, j))
            i += length
        else:
            spans.append(("insert", i, i, j, j + length))
            j += length
    return spans


def _difflib_opcodes(
    a: Sequence[Hashable], b: Sequence[Hashable], *, semantic: bool
) -> list[Span]:
    prefix = 0
    limit = min(len(a), len(b))
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    matcher = difflib.SequenceMatcher(
        None, a[prefix : len(a) - suffix], b[prefix : len(b) - suffix], autojunk=True
    )
    # Segments: ("equal", n) or ("change", deleted, inserted).
    segments: list[tuple[Any, ...]] = [("equal", prefix)] if prefix else []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(("equal", i2 - i1))
            continue
        segments.append(("change", i2 - i1, j2 - j1))
        if semantic:
            _fold_short_equality(segments)
    if suffix:
        segments.append(("equal", suffix))
    spans: list[Span] = []
    i = j = 0
    for segment in segments:
        if segment[0] == "equal":
            spans.append(("equal", i, i + segment[1], j, j + segment[1]))
            i, j = i + segment[1], j + segment[1]
            continue
        spans.extend(_change_spans(i, j, segment[1], segment[2]))
        i, j = i + segment[1], j + segment[2]
    return spans


def _fold_short_equality(segments: list[tuple[Any, ...]]) -> None:
    """Fold an equality no longer than the changes on both sides of it into them.

    The rule of diff-match-patch's semantic cleanup, so both engines read alike.
    """
    while (
        len(segments) >= 3
        and segments[-1][0] == "change"
        and segments[-2][0] == "equal"
        and segments[-3][0] == "change"
    ):
        before, equal, after = segments[-3], segments[-2][1], segments[-1]
        if equal > max(before[1:]) or equal > max(after[1:]):
            return
        segments[-3:] = [("change", before[1] + equal + after[1], before[2] + equal + after[2])]


def word_diff(old: list[str], new: list[str]) -> tuple[list[WordOp], float, int, int]:
    """Return word ops turning tokens ``old`` into ``new``, their similarity, words +/-."""
    ops: list[WordOp] = []
    common = added = removed = 0
    for tag, i1, i2, j1, j2 in opcodes(old, new, semantic=True):
        if tag == "equal":
            chunk = old[i1:i2]
            common += count_solid(chunk)
        elif tag == "delete":
            chunk = old[i1:i2]
            removed += count_words(chunk)
        else:
            chunk = new[j1:j2]
            added += count_words(chunk)
        text = "".join(chunk)
        if ops and ops[-1]["op"] == tag:
            ops[-1]["text"] += text
        else:
            ops.append({"op": tag, "text": text})
    total = count_solid(old) + count_solid(new)
    similarity = 2 * common / total if total else 1.0
    return ops, similarity, added, removed


def side_text(words: Iterable[Mapping[str, str]], kind: str) -> str:
    """Return the old (``kind="delete"``) or new (``"insert"``) text of word ops."""
    return "".join(w["text"] for w in words if w["op"] in ("equal", kind))
