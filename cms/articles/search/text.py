"""What a search document says, and the highlighted snippets of a hit. Pure functions.

Snippets are made here, in Python, for both databases: the text is
HTML-escaped and only the ``<mark>`` elements we add are markup, so a hit
reads the same and is equally safe on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from cms.articles.search.syntax import ENGLISH, Query, fold, tokens

#: Words either side of the first match in a fragment of the body.
FRAGMENT_WORDS = 12
#: Fragments of the text shown per hit.
FRAGMENTS = 2
#: Words read one by one for fragments before asking whether the rest matches at all.
LOOKAHEAD_WORDS = 200


#: A tag as our renderer writes it. nh3's serialiser escapes ``<`` in text and ``>`` in
#: attribute values, so a tag is whatever lies between a ``<`` and the next ``>``.
_TAG = re.compile(r"<[^>]*>")


def html_text(fragment: str) -> str:
    """Return the text of an HTML ``fragment`` (our rendered bodies), whitespace collapsed.

    Every tag counts as a space; character references are decoded.
    """
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def summary_text(
    deck: str | None, dateline: dict | None, bylines: Iterable[dict], keywords: Iterable[str]
) -> str:
    """Return the searchable text beside headline and body: deck, dateline, bylines, keywords."""
    parts = [deck or ""]
    if dateline:
        parts.append(
            " ".join(
                str(dateline[k])
                for k in ("city", "region", "country", "agency")
                if dateline.get(k)
            )
        )
    parts.extend(str(byline.get("name", "")) for byline in bylines)
    parts.extend(keywords)
    return " · ".join(part for part in parts if part)


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _normal(word: str, config: str) -> tuple[str, str]:
    """Return ``word`` folded, and folded and stemmed in ``config`` (cached: words repeat)."""
    folded = fold(word)
    return folded, _stemmer().stemWord(folded) if config == ENGLISH else folded


@dataclass(frozen=True, slots=True)
class Matcher:
    """Says whether a word of a document is one the query looks for."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]
    config: str

    @classmethod
    def of(cls, query: Query, config: str) -> Matcher:
        exact: set[str] = set()
        prefixes: list[str] = []
        for term in query.positive_terms:
            normal = [_normal(word, config) for word in term.words]
            if term.prefix:
                prefixes.extend(normal.pop())
            exact.update(stem for _folded, stem in normal)
        return cls(frozenset(exact), tuple(p for p in prefixes if p), config)

    def __call__(self, word: str) -> bool:
        folded, stem = _normal(word, self.config)
        return stem in self.exact or any(folded.startswith(prefix) for prefix in self.prefixes)


#: A word: letters and digits (`\w` without the underscore), as ``syntax.tokens`` reads them.
_WORD = re.compile(r"[^\W_]+")


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Split ``text`` into ``(piece, is_word)`` pieces that join back to it."""
    pieces: list[tuple[str, bool]] = []
    end = 0
    for match in _WORD.finditer(text):
        if match.start() > end:
            pieces.append((text[end : match.start()], False))
        pieces.append((match.group(), True))
        end = match.end()
    if end < len(text):
        pieces.append((text[end:], False))
    return pieces


def _marked(pieces: list[tuple[str, bool]], matches: Matcher) -> str:
    return "".join(
        f"<mark>{html.escape(piece)}</mark>" if is_word and matches(piece) else html.escape(piece)
        for piece, is_word in pieces
    )


def highlight(text: str, matches: Matcher) -> str:
    """Return ``text`` HTML-escaped with each matching word in ``<mark>``."""
    return _marked(_pieces(text), matches)


def fragments(text: str, matches: Matcher, count: int = FRAGMENTS) -> list[str]:
    """Return up to ``count`` highlighted fragments of ``text`` around its matches.

    Reads the words one at a time, asking ``matches`` once per distinct word, and
    stops at the last fragment: a match near the top of a long body costs its first
    paragraphs. Past :data:`LOOKAHEAD_WORDS` words it asks whether any word of the rest
    matches at all, so a long body without a match (a story found by its headline)
    costs one pass of the regular expression.
    """
    matching: dict[str, bool] = {}

    def matching_word(written: str) -> bool:
        hit = matching.get(written)
        if hit is None:
            hit = matching[written] = matches(written)
        return hit

    found: list[str] = []
    words = _WORD.finditer(text)
    # The words before the next match, and whether any came before those.
    recent: deque[re.Match[str]] = deque(maxlen=FRAGMENT_WORDS)
    skipped = False

    def remember(word: re.Match[str]) -> None:
        nonlocal skipped
        skipped = skipped or len(recent) == FRAGMENT_WORDS
        recent.append(word)

    read = 0
    word = next(words, None)
    while word is not None and len(found) < count:
        if not matching_word(word.group()):
            remember(word)
            read += 1
            if read == LOOKAHEAD_WORDS:
                rest = set(_WORD.findall(text, word.end()))
                if not any(map(matching_word, rest)):
                    break
            word = next(words, None)
            continue
        before = "… " if skipped else ""
        start = recent[0].start() if recent else word.start()
        last = word
        remember(word)
        for _ in range(FRAGMENT_WORDS):
            following = next(words, None)
            if following is None:
                break
            last = following
            remember(following)
        word = next(words, None)
        after = " …" if word is not None else ""
        found.append(before + _marked(_pieces(text[start : last.end()]), matches) + after)
    return found


__all__ = ["Matcher", "fold", "fragments", "highlight", "html_text", "summary_text", "tokens"]
