"""Differences between article revisions: diff, blame and three-way merge.

Pure: no database, no Flask. Documents are the plain data of
:meth:`cms.articles.content.Document.canonical`.

The body is compared paragraph by paragraph first (by exact text), then word
by word inside the paragraphs that changed. Word-level diffs map every token
to one character and run fast-diff-match-patch on those characters; without
that package (it has wheels for CPython 3.11 and 3.12 only) they fall back to
:class:`difflib.SequenceMatcher`. Both give the same kind of result.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import html
import itertools
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from cms.articles.content import BYLINE_KEYS, DATELINE_KEYS, DOCUMENT_FIELDS

try:
    import fast_diff_match_patch
except ImportError:  # pragma: no cover - no wheel for this interpreter
    fast_diff_match_patch = None  # type: ignore[assignment]

#: The fields compared as metadata, in display order: every field but the body.
METADATA_FIELDS = tuple(name for name in DOCUMENT_FIELDS if name != "body")
#: Seconds fast-diff-match-patch may spend on one diff before it settles for a coarser one.
TIME_LIMIT = 0.2
#: Share of words (2 x common / total) a deleted and an inserted paragraph must have in
#: common to be shown as one edited paragraph instead of a deletion and an insertion.
SIMILARITY_THRESHOLD = 0.5
#: What separates paragraphs unless a diff says otherwise.
PARAGRAPH_SEPARATOR = "\n\n"

# A paragraph ends at a blank line (only spaces or tabs); keeping the separators
# makes splitting and joining exact.
_SEPARATOR = re.compile(r"(\n(?:[ \t]*\n)+)")
# Replace blocks up to this many (deleted x inserted) paragraphs are compared pair by
# pair; bigger ones (a rewrite) only through shared word pairs, to stay near-linear.
_BLOCK_PAIRS = 100
# Word pairs found in more inserted paragraphs than this say nothing about identity.
_COMMON_FEATURE = 8
_CANDIDATES_PER_PARAGRAPH = 3
_SIDES = {"delete": "-", "insert": "+"}
_MINUS = "\u2212"

# Scripts written without spaces between words are diffed character by character.
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3005, 0x3007),
    (0x3021, 0x3029),
    (0x3031, 0x3035),
    (0x3038, 0x303C),
    (0x3040, 0x31FF),  # Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA000, 0xA4CF),  # Yi
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF),  # Hangul syllables and Jamo extended B
    (0xF900, 0xFAFF),
    (0xFF66, 0xFFDC),  # half-width Katakana and Hangul
    (0x16FE0, 0x18AFF),  # Tangut and others
    (0x1B000, 0x1B2FF),  # Kana supplements
    (0x20000, 0x3FFFF),  # CJK extensions
)
# Code points searched for combining marks and word characters; the others are
# CJK ideographs (in _NO_SPACE_RANGES), unassigned or for private use.
_SCANNED = (range(0x20000), range(0xE0000, 0xE1000))

Span = tuple[str, int, int, int, int]
WordOp = dict[str, str]


# -- tokens ---------------------------------------------------------------------------


def _char_class(code_points: Iterable[int]) -> str:
    """Return a regex atom matching one of ``code_points`` (at least one)."""
    ranges: dict[bool, list[str]] = {False: [], True: []}
    runs = itertools.groupby(
        enumerate(sorted(code_points)), lambda x: (x[1] - x[0], x[1] > 0xFFFF)
    )
    for (_, beyond_bmp), run in runs:
        points = [cp for _, cp in run]
        first, last = points[0], points[-1]
        text = f"\\U{first:08x}" if first == last else f"\\U{first:08x}-\\U{last:08x}"
        ranges[beyond_bmp].append(text)
    # A class with characters beyond the BMP is matched range by range; the lookahead
    # spares the common (BMP) characters that slow path.
    atoms = [f"[{''.join(ranges[False])}]"] if ranges[False] else []
    if ranges[True]:
        atoms.append(f"(?=[\\U00010000-\\U0010ffff])[{''.join(ranges[True])}]")
    return f"(?:{'|'.join(atoms)})"


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    """Return the tokeniser, built on first use from the Unicode database."""
    no_space = {cp for first, last in _NO_SPACE_RANGES for cp in range(first, last + 1)}
    marks, word = set(), set()
    for cp in itertools.chain(*_SCANNED):
        char = chr(cp)
        if unicodedata.category(char) in ("Mn", "Mc", "Me"):
            marks.add(cp)
        elif (char.isalnum() or char == "_") and cp not in no_space:
            word.add(cp)
    mark = _char_class(marks)
    # Emoji modifiers (skin tones) and tag characters extend the emoji before them.
    extend = _char_class(marks.union(range(0x1F3FB, 0x1F400), range(0xE0020, 0xE0080)))
    word_run = _char_class(word) + _char_class(word | marks | {0x200C, 0x200D}) + "*"
    lead = "[\u1100-\u115f\ua960-\ua97c]"
    vowel = "[\u1160-\u11a7\ud7b0-\ud7c6]"
    trail = "[\u11a8-\u11ff\ud7cb-\ud7fb]"
    return re.compile(
        "|".join(
            (
                r"\s+",
                # Words keep inner apostrophes ("don't") and number punctuation ("3.5").
                rf"{word_run}(?:(?:['\u2019]|(?<=\d)[.,:/](?=\d)){word_run})*",
                # A flag is a pair of regional indicators.
                rf"[\U0001f1e6-\U0001f1ff]{{2}}{extend}*",
                # A Hangul syllable, possibly spelt with conjoining Jamo.
                f"(?:{lead}+|{lead}*[\uac00-\ud7a3]){vowel}*{trail}*{mark}*",
                f"{_char_class(no_space)}{mark}*",
                # Anything else is one character with its marks, and a whole emoji
                # ZWJ sequence ("👩‍💻") is one token.
                rf"(?s:.)(?:{extend}|\u200d(?:[^\s\w]{extend}*)?)*",
            )
        )
    )


def tokenize(text: str) -> list[str]:
    """Return ``text`` split into words, runs of white space, and single other characters.

    Joining the tokens gives ``text`` back. Characters of scripts written without
    spaces (Chinese, Japanese, Korean, Thai ...) are tokens of their own; combining
    marks stay with their base character and emoji sequences stay whole.
    """
    return _token_pattern().findall(text)


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "_"


def _count_words(tokens: Iterable[str]) -> int:
    return sum(1 for token in tokens if _is_word(token))


def _solid(tokens: Iterable[str]) -> list[str]:
    """Return the tokens that are not white space."""
    return [token for token in tokens if not token.isspace()]


# -- sequence diffs ---------------------------------------------------------------------


@functools.cache
def _alphabet(char_width: int) -> str:
    """Return the characters tokens are encoded as, for fast-diff-match-patch."""
    ranges = [range(0xE000, 0xF900)]
    if char_width >= 4:
        ranges += [range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE)]
    else:  # UTF-16 builds refuse characters outside the BMP
        ranges += [range(0x0100, 0xD800)]
    return "".join(map(chr, itertools.chain(*ranges)))


def _encode(a: Sequence[Hashable], b: Sequence[Hashable], alphabet: str) -> tuple[str, str]:
    """Return ``a`` and ``b`` with each distinct item as one character.

    Raises ``IndexError`` when there are more distinct items than characters.
    """
    codes: dict[Hashable, str] = {}

    def encode(items: Sequence[Hashable]) -> str:
        out = []
        for item in items:
            code = codes.get(item)
            if code is None:
                code = codes[item] = alphabet[len(codes)]
            out.append(code)
        return "".join(out)

    return encode(a), encode(b)


def _opcodes(a: Sequence[Hashable], b: Sequence[Hashable], *, semantic: bool) -> list[Span]:
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


# -- words ------------------------------------------------------------------------------


def _word_diff(old: list[str], new: list[str]) -> tuple[list[WordOp], float, int, int]:
    """Return word ops turning tokens ``old`` into ``new``, their similarity, words +/-."""
    ops: list[WordOp] = []
    common = added = removed = 0
    for tag, i1, i2, j1, j2 in _opcodes(old, new, semantic=True):
        if tag == "equal":
            chunk = old[i1:i2]
            common += len(_solid(chunk))
        elif tag == "delete":
            chunk = old[i1:i2]
            removed += _count_words(chunk)
        else:
            chunk = new[j1:j2]
            added += _count_words(chunk)
        text = "".join(chunk)
        if ops and ops[-1]["op"] == tag:
            ops[-1]["text"] += text
        else:
            ops.append({"op": tag, "text": text})
    total = len(_solid(old)) + len(_solid(new))
    similarity = 2 * common / total if total else 1.0
    return ops, similarity, added, removed


def _side(words: Iterable[Mapping[str, str]], kind: str) -> str:
    """Return the old (``kind="delete"``) or new (``"insert"``) text of word ops."""
    return "".join(w["text"] for w in words if w["op"] in ("equal", kind))


# -- paragraphs -------------------------------------------------------------------------


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


class _Tokens(dict[str, list[str]]):
    """Tokens of texts, each computed once."""

    def __missing__(self, text: str) -> list[str]:
        tokens = self[text] = tokenize(text)
        return tokens


def _features(tokens: list[str]) -> set[tuple[str, ...]]:
    """Return the pairs of neighbouring tokens (and, for short texts, the tokens)."""
    solid = _solid(tokens)
    features: set[tuple[str, ...]] = set(itertools.pairwise(solid))
    if len(solid) < 4:
        features.update((token,) for token in solid)
    return features


def _could_be_similar(old: list[str], new: list[str]) -> bool:
    """Return whether two token lists share enough tokens to pass the threshold at all."""
    old_solid, new_solid = _solid(old), _solid(new)
    total = len(old_solid) + len(new_solid)
    if not total:
        return True
    shared = sum((Counter(old_solid) & Counter(new_solid)).values())
    return 2 * shared / total >= SIMILARITY_THRESHOLD


def _feature_pairs(
    old: list[str], new: list[str], deleted: list[int], inserted: list[int], tokens: _Tokens
) -> set[tuple[int, int]]:
    """Return (deleted, inserted) index pairs that share many uncommon word pairs."""
    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    sizes = {}
    for j in inserted:
        features = _features(tokens[new[j]])
        sizes[j] = len(features)
        for feature in features:
            postings[feature].append(j)
    pairs = set()
    for i in deleted:
        features = _features(tokens[old[i]])
        hits: Counter[int] = Counter()
        for feature in features:
            found = postings.get(feature, ())
            if len(found) <= _COMMON_FEATURE:
                hits.update(found)
        best = [
            j
            for j, shared in hits.most_common()
            if shared >= max(1, 0.25 * min(len(features), sizes[j]))
        ]
        pairs.update((i, j) for j in best[:_CANDIDATES_PER_PARAGRAPH])
    return pairs


def _layout(old: list[str], new: list[str]) -> list[tuple[Any, ...]]:
    """Return the alignment of two lists of paragraphs.

    Items are ``("equal", i, j)`` and ``("block", deleted, inserted, i, j)``: a
    run of deleted and inserted indices that starts at ``old[i]`` and ``new[j]``.
    """
    layout: list[tuple[Any, ...]] = []
    for tag, i1, i2, j1, j2 in _opcodes(old, new, semantic=False):
        if tag == "equal":
            layout.extend(("equal", i1 + k, j1 + k) for k in range(i2 - i1))
            continue
        if not layout or layout[-1][0] != "block":
            layout.append(("block", [], [], i1, j1))
        layout[-1][1].extend(range(i1, i2))
        layout[-1][2].extend(range(j1, j2))
    return layout


def _similar(
    old: list[str], new: list[str], candidates: Iterable[tuple[int, int]], tokens: _Tokens
) -> list[tuple[int, int, tuple[list[WordOp], int, int]]]:
    """Return the candidate pairs similar enough to be one edited paragraph, best first.

    Each comes with its word ops and the numbers of words added and removed.
    """
    scored = []
    for i, j in candidates:
        if not _could_be_similar(tokens[old[i]], tokens[new[j]]):
            continue
        ops, similarity, added, removed = _word_diff(tokens[old[i]], tokens[new[j]])
        if similarity >= SIMILARITY_THRESHOLD:
            scored.append((similarity, -abs(i - j), -j, i, j, (ops, added, removed)))
    scored.sort(key=lambda item: item[:3], reverse=True)
    return [(i, j, change) for *_, i, j, change in scored]


def _paragraph_ops(
    old: list[str], new: list[str], tokens: _Tokens
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Return the paragraph ops turning paragraphs ``old`` into ``new``.

    Equal paragraphs are aligned first; a deleted and an inserted paragraph with
    the same text become a move, similar ones a change (in place) or a move with
    word ops (elsewhere); the rest stay deletions and insertions.
    """
    layout = _layout(old, new)
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
    in_place = set()
    for _, deleted, inserted, *_ in blocks:
        deleted = [i for i in deleted if i not in paired_old]
        inserted = [j for j in inserted if j not in source]
        if len(deleted) * len(inserted) <= _BLOCK_PAIRS:
            in_place.update(itertools.product(deleted, inserted))
    for candidates in (in_place, None):
        free_old = [i for i in sorted(block_of_old) if i not in paired_old]
        free_new = [j for j in sorted(block_of_new) if j not in source]
        if not free_old or not free_new:
            break
        if candidates is None:
            candidates = _feature_pairs(old, new, free_old, free_new, tokens)
        candidates = {(i, j) for i, j in candidates if i not in paired_old and j not in source}
        for i, j, change in _similar(old, new, candidates, tokens):
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
                stats.update(paragraphs_removed=1, words_removed=_count_words(tokens[old[i]]))

        # Deletions go before the insertions around them, in old order.
        flush(anchors[0] if anchors else float("inf"))
        for j in inserted:
            i = source.get(j)
            if i is None:
                result.append({"op": "insert", "new_index": j, "text": new[j]})
                stats.update(paragraphs_added=1, words_added=_count_words(tokens[new[j]]))
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


def _diff_body(old_body: str, new_body: str, tokens: _Tokens) -> tuple[dict[str, Any], Counter]:
    old, _ = split_paragraphs(old_body)
    new, separators = split_paragraphs(new_body)
    ops, stats = _paragraph_ops(old, new, tokens)
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


# -- documents --------------------------------------------------------------------------


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
    tokens = _Tokens()
    fields = []
    stats: Counter[str] = Counter()
    for name in METADATA_FIELDS:
        before, after = old.get(name), new.get(name)
        if name == "dateline":
            entry = _diff_dateline(before, after)
        elif name == "bylines":
            entry = _diff_bylines(list(before or ()), list(after or ()))
        elif name == "keywords":
            entry = _diff_keywords(list(before or ()), list(after or ()))
        elif before == after:
            entry = None
        else:
            entry = {"field": name, "old": before, "new": after}
            if name in ("headline", "deck"):
                ops, _, added, removed = _word_diff(tokens[before or ""], tokens[after or ""])
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


def _diff_dateline(before: Any, after: Any) -> dict[str, Any] | None:
    old, new = dict(before or {}), dict(after or {})
    if old == new:
        return None
    parts = [*DATELINE_KEYS, *sorted((old.keys() | new.keys()) - set(DATELINE_KEYS))]
    changes = [
        {"part": part, "old": old.get(part), "new": new.get(part)}
        for part in parts
        if old.get(part) != new.get(part)
    ]
    return {
        "field": "dateline",
        "old": dict(before) if before else None,
        "new": dict(after) if after else None,
        "changes": changes,
    }


def _byline_keys(bylines: list[Mapping[str, Any]]) -> list[tuple[Any, int]]:
    """Return each byline's identity: its name, and which occurrence of that name."""
    seen: Counter[Any] = Counter()
    keys = []
    for byline in bylines:
        name = byline.get("name")
        keys.append((name, seen[name]))
        seen[name] += 1
    return keys


def _diff_bylines(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> dict | None:
    if old == new:
        return None
    old_keys, new_keys = _byline_keys(old), _byline_keys(new)
    old_at = {key: i for i, key in enumerate(old_keys)}
    new_at = {key: j for j, key in enumerate(new_keys)}
    changes: list[dict[str, Any]] = [
        {"op": "delete", "index": i, "byline": dict(old[i])}
        for i, key in enumerate(old_keys)
        if key not in new_at
    ]
    kept_old = [key for key in old_keys if key in new_at]
    kept_new = [key for key in new_keys if key in old_at]
    matcher = difflib.SequenceMatcher(None, kept_old, kept_new, autojunk=False)
    staying = {
        key for a, _, size in matcher.get_matching_blocks() for key in kept_old[a : a + size]
    }
    changes += [
        {"op": "move", "name": key[0], "from": old_at[key], "to": new_at[key]}
        for key in kept_new
        if key not in staying
    ]
    changes += [
        {"op": "insert", "index": j, "byline": dict(new[j])}
        for j, key in enumerate(new_keys)
        if key not in old_at
    ]
    for j, key in enumerate(new_keys):
        if key not in old_at:
            continue
        before, after = old[old_at[key]], new[j]
        extra = sorted((before.keys() | after.keys()) - set(BYLINE_KEYS))
        changes += [
            {
                "op": "change",
                "index": j,
                "name": key[0],
                "part": part,
                "old": before.get(part),
                "new": after.get(part),
            }
            for part in (*BYLINE_KEYS[1:], *extra)
            if before.get(part) != after.get(part)
        ]
    return {
        "field": "bylines",
        "old": [dict(b) for b in old],
        "new": [dict(b) for b in new],
        "changes": changes,
    }


def _diff_keywords(old: list[str], new: list[str]) -> dict[str, Any] | None:
    if old == new:
        return None
    added = [k for k in new if k not in set(old)]
    removed = [k for k in old if k not in set(new)]
    return {
        "field": "keywords",
        "old": old,
        "new": new,
        "added": added,
        "removed": removed,
        "reordered": not added and not removed,
    }


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
                if _side(op["words"], "delete") != old[i]:
                    raise ValueError(f"paragraph {i} of the old body differs from the diff")
                text = _side(op["words"], "insert")
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


# -- rendering --------------------------------------------------------------------------


def _html_words(words: Iterable[Mapping[str, str]]) -> str:
    tags = {"insert": "ins", "delete": "del"}
    out = []
    for word in words:
        text = html.escape(word["text"])
        tag = tags.get(word["op"])
        out.append(f"<{tag}>{text}</{tag}>" if tag else text)
    return "".join(out)


def _html_change(old: Any, new: Any) -> str:
    out = []
    if old not in (None, ""):
        out.append(f"<del>{html.escape(_display(old))}</del>")
    if new not in (None, ""):
        out.append(f"<ins>{html.escape(_display(new))}</ins>")
    return " ".join(out)


def _display(value: Any) -> str:
    """Return a metadata value as one line of text."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        name = value.get("name")
        rest = [str(v) for k, v in value.items() if k != "name" and v]
        if name is not None:
            return f"{name} ({', '.join(rest)})" if rest else str(name)
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(map(_display, value))
    return str(value)


def _html_field(entry: Mapping[str, Any]) -> str:
    name = entry["field"]
    label = f'<span class="diff-label">{html.escape(name)}</span> '
    if "words" in entry:
        content = f'<span class="diff-words">{_html_words(entry["words"])}</span>'
    elif name == "dateline":
        content = "".join(
            f'<span class="diff-part"><span class="diff-label">{html.escape(c["part"])}</span> '
            f"{_html_change(c['old'], c['new'])}</span>"
            for c in entry["changes"]
        )
    elif name == "bylines":
        items = []
        for change in entry["changes"]:
            op = change["op"]
            if op == "insert":
                text = _html_change(None, change["byline"])
            elif op == "delete":
                text = _html_change(change["byline"], None)
            elif op == "move":
                text = html.escape(
                    f"{change['name']}: moved from {change['from'] + 1} to {change['to'] + 1}"
                )
            else:
                text = html.escape(f"{change['name']}, {change['part']}: ") + _html_change(
                    change["old"], change["new"]
                )
            items.append(f'<li class="diff-{op}">{text}</li>')
        content = f'<ul class="diff-changes">{"".join(items)}</ul>'
    elif name == "keywords":
        marks = [f"<del>{html.escape(k)}</del>" for k in entry["removed"]]
        marks += [f"<ins>{html.escape(k)}</ins>" for k in entry["added"]]
        if entry.get("reordered"):
            marks.append('<span class="diff-note">reordered</span>')
        content = " ".join(marks)
    else:
        content = _html_change(entry["old"], entry["new"])
    return f'<div class="diff-field diff-field-{html.escape(name)}">{label}{content}</div>'


def _html_paragraph(op: Mapping[str, Any]) -> str:
    kind = op["op"]
    if kind == "insert":
        content = f"<ins>{html.escape(op['text'])}</ins>"
    elif kind == "delete":
        content = f"<del>{html.escape(op['text'])}</del>"
    elif "words" in op:
        content = _html_words(op["words"])
    else:
        content = html.escape(op.get("text", ""))
    if kind == "move":
        note = f"moved from paragraph {op['old_index'] + 1}"
        content = f'<span class="diff-note">{note}</span> {content}'
    return f'<p class="diff-{kind}">{content}</p>'


def render_html(diff: Mapping[str, Any]) -> str:
    """Return a diff from :func:`diff_documents` as a safe HTML fragment.

    Each field and paragraph is a block with ``<ins>``/``<del>`` marks; all
    text is escaped and the only attribute is ``class``. Runs of unchanged
    paragraphs are shown as a count, since the diff does not carry their text.
    """
    parts = ['<div class="diff">']
    parts += [_html_field(entry) for entry in diff["fields"]]
    parts.append('<div class="diff-body">')
    for kind, run in itertools.groupby(diff["body"]["paragraphs"], lambda op: op["op"]):
        if kind == "equal":
            count = len(list(run))
            noun = "paragraph" if count == 1 else "paragraphs"
            parts.append(f'<p class="diff-unchanged">{count} unchanged {noun}</p>')
        else:
            parts += [_html_paragraph(op) for op in run]
    parts.append("</div></div>")
    return "\n".join(parts)


# C0 and C1 control characters (but tab and line feed) could drive a terminal.
_TERMINAL_SAFE = {
    cp: f"\\x{cp:02x}" for cp in (*range(0x20), *range(0x7F, 0xA0)) if cp not in (0x09, 0x0A)
}


def _lines(prefix: str, text: Any) -> list[str]:
    if text is None:
        return []
    return [prefix + line for line in str(text).translate(_TERMINAL_SAFE).split("\n")]


def render_text(diff: Mapping[str, Any], old_label: str, new_label: str) -> str:
    """Return a diff from :func:`diff_documents` as unified-diff style text.

    Metadata fields come first (``@@ headline @@`` with ``-``/``+`` lines),
    then one hunk per changed paragraph, numbered from 1. Control characters
    are shown escaped so the text is safe for a terminal.
    """
    lines = [f"--- {old_label}", f"+++ {new_label}"]
    for entry in diff["fields"]:
        name = entry["field"]
        lines.append(f"@@ {name} @@")
        if name == "dateline":
            for change in entry["changes"]:
                lines += _lines(f"-{change['part']}: ", change["old"])
                lines += _lines(f"+{change['part']}: ", change["new"])
        elif name == "bylines":
            for change in entry["changes"]:
                op = change["op"]
                if op in ("delete", "insert"):
                    lines += _lines(_SIDES[op], _display(change["byline"]))
                elif op == "move":
                    lines += _lines(
                        " ", f"{change['name']}: moved {change['from'] + 1} -> {change['to'] + 1}"
                    )
                else:
                    label = f"{change['name']}, {change['part']}: "
                    lines += _lines(f"-{label}", change["old"])
                    lines += _lines(f"+{label}", change["new"])
        elif name == "keywords":
            lines += [line for k in entry["removed"] for line in _lines("-", k)]
            lines += [line for k in entry["added"] for line in _lines("+", k)]
            if entry.get("reordered"):
                lines += _lines(" ", "(reordered) " + ", ".join(entry["new"]))
        else:
            lines += _lines("-", entry["old"])
            lines += _lines("+", entry["new"])
    for op in diff["body"]["paragraphs"]:
        kind = op["op"]
        if kind == "equal":
            continue
        if kind == "insert":
            lines.append(f"@@ paragraph +{op['new_index'] + 1} @@")
            lines += _lines("+", op["text"])
            continue
        if kind == "delete":
            lines.append(f"@@ paragraph -{op['old_index'] + 1} @@")
            lines += _lines("-", op["text"])
            continue
        what = "moved paragraph" if kind == "move" else "paragraph"
        lines.append(f"@@ {what} -{op['old_index'] + 1} +{op['new_index'] + 1} @@")
        if "words" in op:
            lines += _lines("-", _side(op["words"], "delete"))
            lines += _lines("+", _side(op["words"], "insert"))
        else:
            lines += _lines(" ", op.get("text", ""))
    return "\n".join(lines) + "\n"


def summarize(diff: Mapping[str, Any]) -> str:
    """Return a diff as one line, like ``headline; body +12 -3 words in 2 paragraphs``.

    The minus is a real minus sign (U+2212). Word counts are those of the body
    alone; ``No change`` when nothing changed.
    """
    fields = ", ".join(entry["field"] for entry in diff["fields"])
    added = removed = touched = moved = 0
    for op in diff["body"]["paragraphs"]:
        kind = op["op"]
        if kind == "insert":
            added += _count_words(tokenize(op["text"]))
        elif kind == "delete":
            removed += _count_words(tokenize(op["text"]))
        for word in op.get("words", ()):
            if word["op"] == "insert":
                added += _count_words(tokenize(word["text"]))
            elif word["op"] == "delete":
                removed += _count_words(tokenize(word["text"]))
        if kind in ("insert", "delete") or "words" in op:
            touched += 1
        elif kind == "move":
            moved += 1
    body = []
    if touched:
        noun = "paragraph" if touched == 1 else "paragraphs"
        body.append(f"+{added} {_MINUS}{removed} words in {touched} {noun}")
    if moved:
        body.append(f"{moved} {'paragraph' if moved == 1 else 'paragraphs'} moved")
    if not body and diff["body"].get("changed"):
        body.append("spacing")
    summary = "; ".join(
        part for part in (fields, "body " + ", ".join(body) if body else "") if part
    )
    return summary or "No change"


# -- blame and merge --------------------------------------------------------------------


def blame(revisions: Sequence[tuple[int, Any, str]]) -> list[dict[str, Any]]:
    """Return who last changed each paragraph of the last revision's body.

    ``revisions`` are ``(number, author, body)``, oldest first. A paragraph keeps
    the revision and author that wrote its current text; moving it does not
    change that, editing it does.
    """
    paragraphs: list[str] = []
    origins: list[tuple[int, Any]] = []
    tokens = _Tokens()
    for number, author, body in revisions:
        new, _ = split_paragraphs(body)
        new_origins: list[tuple[int, Any]] = [(number, author)] * len(new)
        for op in _paragraph_ops(paragraphs, new, tokens)[0]:
            kept = op["op"] == "equal" or (op["op"] == "move" and "words" not in op)
            if kept:
                new_origins[op["new_index"]] = origins[op["old_index"]]
        paragraphs, origins = new, new_origins
    return [
        {"index": i, "text": text, "revision": number, "author": author}
        for i, (text, (number, author)) in enumerate(zip(paragraphs, origins, strict=True))
    ]


def merge_documents(
    base: Mapping[str, Any], theirs: Mapping[str, Any], yours: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the three-way merge of two documents changed from ``base``, and the conflicts.

    A field changed on one side takes that side; changed alike on both, that
    value; changed differently, it is a conflict ``{"field", "base", "theirs",
    "yours"}`` and keeps the base value. The body merges paragraph by
    paragraph: edits to different paragraphs combine, edits to the same
    paragraphs (or insertions at the same place) that differ are conflicts that
    also name ``paragraph``, the index in the base body. The merged document is
    meaningful only when there are no conflicts.
    """
    names = list(DOCUMENT_FIELDS)
    for document in (base, theirs, yours):
        names += [name for name in document if name not in names]
    merged: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] = []
    for name in names:
        old, their, your = base.get(name), theirs.get(name), yours.get(name)
        if name == "body":
            merged[name], body_conflicts = _merge_body(old or "", their or "", your or "")
            conflicts += body_conflicts
        elif their in (old, your):
            merged[name] = your
        elif your == old:
            merged[name] = their
        else:
            merged[name] = old
            conflicts.append({"field": name, "base": old, "theirs": their, "yours": your})
    return merged, conflicts


def _hunks(base: list[str], side: list[str], tokens: _Tokens) -> list[tuple[int, int, int, int]]:
    """Return the changed ranges ``(i1, i2, j1, j2)``: ``base[i1:i2]`` became ``side[j1:j2]``.

    Replace blocks are cut around edited paragraphs, and paragraphs replaced one
    for one are hunks of their own, so that edits to neighbouring paragraphs on
    the two sides do not collide.
    """
    hunks: list[tuple[int, int, int, int]] = []
    for item in _layout(base, side):
        if item[0] == "equal":
            continue
        _, deleted, inserted, i_at, j_at = item
        pairs: list[tuple[int, int]] = []
        if len(deleted) * len(inserted) <= _BLOCK_PAIRS:
            for i, j, _ in _similar(base, side, itertools.product(deleted, inserted), tokens):
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


def _overlap(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Return whether two changed base ranges touch the same paragraphs or insertion point."""
    (a1, a2), (b1, b2) = a[:2], b[:2]
    if a1 == a2 and b1 == b2:
        return a1 == b1
    if a1 == a2:
        return b1 < a1 < b2
    if b1 == b2:
        return a1 < b1 < a2
    return a1 < b2 and b1 < a2


def _merge_body(base: str, theirs: str, yours: str) -> tuple[str, list[dict[str, Any]]]:
    if theirs in (base, yours):
        return yours, []
    if yours == base:
        return theirs, []
    sides = {"theirs": split_paragraphs(theirs), "yours": split_paragraphs(yours)}
    base_paragraphs, base_separators = split_paragraphs(base)
    tokens = _Tokens()
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
    clusters: dict[int, list[tuple[int, int, int, int, str]]] = defaultdict(list)
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
