"""Text helpers shared by the recognisers: cleanup, casing, and the pieces of their patterns.

Copy is normalised (NFC, invisible and control characters removed, one kind of
line break, single spaces) and split into numbered lines; names and places
written in capitals are put in normal case; and the character classes and
month names that the stamp, byline and dateline patterns are built from live
here.
"""

from __future__ import annotations

import re
import unicodedata

from cms.ingest.parser.draft import Line

# Characters that are invisible in copy but break matching (zero-width space,
# word joiner, byte-order mark, soft hyphen, direction marks).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad\u200e\u200f"))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n?|[\v\f\x85\u2028\u2029]")
# Horizontal white space, including no-break and thin spaces (all match \s).
_SPACES = re.compile(r"[^\S\n]+")

#: Upper-case letters of the Latin, Greek and Cyrillic blocks: Python's ``re``
#: has no \p{Lu}, and a dateline city must be told apart from a sentence.
UPPER_CHARS = "".join(c for c in map(chr, range(0x41, 0x530)) if c.isupper())
#: Regex classes: one upper-case letter, and one letter of any case.
UPPER = f"[{UPPER_CHARS}]"
LETTER = r"[^\W\d_]"
APOSTROPHES = "'\N{RIGHT SINGLE QUOTATION MARK}"
DASHES = "\N{EN DASH}\N{EM DASH}"
#: Closing quotes and brackets that may follow the end of a sentence.
CLOSERS = "\"')\N{RIGHT DOUBLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"

#: Words kept in lower case inside a place or a name written in capitals.
_PARTICLES = frozenset((
    "al", "and", "bin", "da", "das", "de", "del", "della", "der", "des", "di", "do", "dos",
    "du", "el", "en", "es", "ibn", "la", "le", "les", "of", "on", "sur", "ter", "the", "upon",
    "van", "von", "y",
))  # fmt: skip

#: The particles as a regex alternation.
PARTICLE = "|".join(sorted(_PARTICLES))

_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
#: A month name, in full or abbreviated (regex).
MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)


def normalise(text: str) -> str:
    """Return ``text`` with ``\\n`` line endings, single spaces and no blank-line runs."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _CONTROL.sub("", _LINE_BREAK.sub("\n", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def split_lines(text: str) -> list[Line]:
    """Return the non-blank lines of ``text``, numbered by block."""
    lines: list[Line] = []
    block = 0
    for text_line in text.split("\n"):
        if text_line:
            lines.append(Line(text_line, block))
        else:
            block += 1
    return lines


def _is_caps(text: str) -> bool:
    """Return whether ``text`` has letters and none of them is lower case."""
    return text.upper() == text and any(c.isalpha() for c in text)


def _capitalise(word: str, *, first: bool) -> str:
    pieces = word.split("-")
    out = []
    for index, piece in enumerate(pieces):
        if (not first or index) and piece in _PARTICLES:
            out.append(piece)
        elif len(piece) > 2 and piece[1] in APOSTROPHES:  # N'Djamena, O'Brien
            out.append(piece[0].upper() + piece[1] + piece[2:].capitalize())
        elif len(piece) > 3 and piece.startswith("mc"):  # McAllen, McDonald
            out.append("Mc" + piece[2:].capitalize())
        else:
            out.append(piece[:1].upper() + piece[1:])
    return "-".join(out)


def title_case(text: str) -> str:
    """Return a place or name written in capitals in normal case: ``SÃO PAULO`` → ``São Paulo``.

    Text that already has lower-case letters (other than AP's ``McALLEN``) is
    returned unchanged.
    """
    if not _is_caps(re.sub(r"\bMc(?=[A-Z])", "MC", text)):
        return text
    words = text.lower().split(" ")
    cased = " ".join(_capitalise(word, first=index == 0) for index, word in enumerate(words))
    return unicodedata.normalize("NFC", cased)


def month_number(name: str) -> int:
    """Return the number of the month ``name`` names: ``Sept.`` → 9."""
    return _MONTH_NUMBERS[name.rstrip(".").lower()[:3]]
