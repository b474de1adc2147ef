"""The web-search query language, parsed once and compiled for each database.

``zurich "city council" OR mayor -transport taj`` means: *zurich*, and the
phrase *city council* or *mayor*, and not *transport*, and a word starting
with *taj* (the last word, when the query does not end in a space: search as
you type). Words are runs of letters and digits; anything else separates
them, so no input is an operator of the database's own syntax: the compiled
FTS5 expression quotes every token and the compiled ``tsquery`` holds only
quoted lexemes. Parsing never fails: what cannot be read is ignored.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: The configurations a document is indexed with: ``english`` (stemmed) or
#: ``simple`` (every other language: folded but not stemmed).
ENGLISH = "english"
SIMPLE = "simple"
CONFIGS = (ENGLISH, SIMPLE)
#: Longest query accepted (characters); the APIs refuse longer ones (422).
QUERY_MAX = 1000
#: At most this many terms are read from a query; the rest is ignored.
MAX_TERMS = 32

#: PostgreSQL's English stop words (``tsearch_data/english.stop``). PostgreSQL
#: drops them from English queries; the SQLite compilation drops them too, so
#: that both databases find the same stories.
ENGLISH_STOP_WORDS = frozenset(
    (
        "i",
        "me",
        "my",
        "myself",
        "we",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "a",
        "an",
        "the",
        "and",
        "but",
        "if",
        "or",
        "because",
        "as",
        "until",
        "while",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "in",
        "out",
        "on",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "s",
        "t",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
    )
)


def config_for(language: str) -> str:
    """Return the text-search configuration for a BCP 47 ``language`` tag."""
    return ENGLISH if language.lower().split("-")[0] == "en" else SIMPLE


def fold(text: str) -> str:
    """Return ``text`` without diacritics and case-folded, as both databases compare words.

    Compatibility forms are decomposed (``ﬁ`` → ``fi``, ``²`` → ``2``), combining
    marks dropped (``Zürich`` → ``zurich``), then the case folded.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def tokens(text: str) -> list[str]:
    """Return the words of ``text``, folded (:func:`fold`): runs of letters and digits.

    Folding comes first, so a stop word is known as one whatever its accents
    (``Ì`` is ``i``), as PostgreSQL's ``unaccent`` and FTS5's ``remove_diacritics`` see it.
    """
    words: list[str] = []
    current: list[str] = []
    for char in fold(text):
        if char.isalnum():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a phrase to look for."""

    words: tuple[str, ...]
    #: The last word matches any word it begins (search as you type).
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every group must match (any term of it), no excluded term may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def positive_terms(self) -> list[Term]:
        return [term for group in self.groups for term in group]

    def __bool__(self) -> bool:
        return bool(self.groups)


def _chunks(text: str) -> list[tuple[str, bool, bool]]:
    """Split ``text`` into ``(chunk, quoted, negated)``; an unclosed quote runs to the end."""
    chunks: list[tuple[str, bool, bool]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        negated = False
        if char == "-":
            negated = True
            i += 1
            if i >= n or text[i].isspace():
                continue
            char = text[i]
        if char == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            chunks.append((text[i + 1 : end], True, negated))
            i = end + 1
            continue
        end = i
        while end < n and not text[end].isspace() and text[end] != '"':
            end += 1
        chunks.append((text[i:end], False, negated))
        i = end
    return chunks


def parse(text: str) -> Query:
    """Parse a web-search query (see the module's docstring). Never raises."""
    text = text.replace("\x00", " ")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    count = 0
    chunks = _chunks(text)
    for index, (chunk, quoted, negated) in enumerate(chunks):
        if count >= MAX_TERMS:
            break
        if not quoted and not negated and chunk.upper() == "OR":
            pending_or = bool(groups)
            continue
        words = tuple(tokens(chunk))
        if not words:
            continue
        count += 1
        last = index == len(chunks) - 1
        prefix = last and not quoted and not negated and not text[-1:].isspace()
        term = Term(words, prefix=prefix)
        if negated:
            excluded.append(term)
            pending_or = False
        elif pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    return Query(tuple(tuple(group) for group in groups), tuple(excluded))


def _kept(term: Term, config: str) -> Term | None:
    """Return ``term`` as the configuration reads it: English drops stop words."""
    if config != ENGLISH:
        return term
    if len(term.words) == 1:
        return None if term.words[0] in ENGLISH_STOP_WORDS else term
    if all(word in ENGLISH_STOP_WORDS for word in term.words):
        return None
    return term


def for_config(query: Query, config: str) -> Query:
    """Return ``query`` as the configuration ``config`` reads it: English drops stop words."""
    groups = []
    for group in query.groups:
        kept = tuple(t for t in (_kept(term, config) for term in group) if t is not None)
        # A group left with nothing (only stop words) constrains nothing:
        # PostgreSQL drops it, and so do we.
        if kept:
            groups.append(kept)
    excluded = tuple(t for t in (_kept(term, config) for term in query.excluded) if t)
    return Query(tuple(groups), excluded)


@dataclass(frozen=True, slots=True)
class Fts5Search:
    """How FTS5 matches a query in one configuration: its table's expressions.

    A document matches when it matches ``expression`` in the configuration's
    table; or, when ``prefix`` is set, when its words match ``prefix`` in the
    unstemmed table, ``required`` (if any) in the configuration's table and
    ``excluded`` (if any) there not at all. The stemmed table would stem the
    typed prefix itself (``kay`` → ``kai``, missing *kayak*), so the prefix
    term is looked up where no word is stemmed.
    """

    expression: str | None
    prefix: str | None = None
    required: str | None = None
    excluded: str | None = None


def _fts5_term(t: Term) -> str:
    return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")


def _fts5_expression(groups: tuple[tuple[Term, ...], ...], excluded: tuple[Term, ...]) -> str:
    expression = " AND ".join("(" + " OR ".join(map(_fts5_term, g)) + ")" for g in groups)
    if excluded:
        expression = f"({expression}) NOT ({' OR '.join(map(_fts5_term, excluded))})"
    return expression


def to_fts5(query: Query, config: str) -> Fts5Search | None:
    """Return how SQLite FTS5 matches ``query`` in ``config``; ``None`` when nothing is looked for.

    Every token is quoted, so no input is an FTS5 operator. In the stemmed
    (English) configuration a prefix term is split off (:class:`Fts5Search`).
    """
    query = for_config(query, config)
    if not query:
        return None
    *firsts, last = query.groups
    prefix = next((t for t in last if t.prefix), None)
    if config != ENGLISH or prefix is None:
        return Fts5Search(_fts5_expression(query.groups, query.excluded))
    others = tuple(t for t in last if t is not prefix)
    return Fts5Search(
        expression=_fts5_expression((*firsts, others), query.excluded) if others else None,
        prefix=_fts5_term(prefix),
        required=_fts5_expression(tuple(firsts), ()) if firsts else None,
        excluded=" OR ".join(map(_fts5_term, query.excluded)) or None,
    )


def to_tsquery(query: Query, config: str) -> str | None:
    """Return PostgreSQL ``to_tsquery`` input, or ``None`` when nothing is looked for."""
    query = for_config(query, config)
    if not query:
        return None

    def term(t: Term) -> str:
        lexemes = [f"'{word}'" for word in t.words]
        if t.prefix:
            lexemes[-1] += ":*"
        return "(" + " <-> ".join(lexemes) + ")"

    def group(g: tuple[Term, ...]) -> str:
        return "(" + " | ".join(term(t) for t in g) + ")"

    expression = " & ".join(group(g) for g in query.groups)
    for excluded in query.excluded:
        expression += f" & !{term(excluded)}"
    return expression
