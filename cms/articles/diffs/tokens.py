"""The tokeniser of the diff engine: text as words, runs of white space and other characters.

Words are what word diffs and word counts are made of. The tokeniser is one
regular expression built on first use from the Unicode database, so that
scripts written without spaces (Chinese, Japanese, Korean, Thai ...) are
diffed character by character, combining marks stay with their base character
and emoji sequences stay whole.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

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
                # ASCII punctuation alone (the last alternative's commonest case, first
                # because the alternatives between cost a run of it dearly).
                rf"[!-/:-@\[-^`{{-~](?!{extend}|\u200d)",
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


#: The tokeniser's rules restricted to ASCII, where they give the same tokens: no marks,
#: emoji or scripts without spaces, so a word is a run of ``[0-9A-Za-z_]`` (with inner
#: apostrophes and number punctuation) and anything else but white space is one character.
_ASCII_TOKEN = re.compile(
    r"\s+|[!-/:-@\[-^`{-~]|[0-9A-Za-z_]+(?:(?:'|(?<=\d)[.,:/](?=\d))[0-9A-Za-z_]+)*|(?s:.)"
)


def tokenize(text: str) -> list[str]:
    """Return ``text`` split into words, runs of white space, and single other characters.

    Joining the tokens gives ``text`` back. Characters of scripts written without
    spaces (Chinese, Japanese, Korean, Thai ...) are tokens of their own; combining
    marks stay with their base character and emoji sequences stay whole.
    """
    # Most copy is ASCII: its small classes cost less per character than the full ones.
    if text.isascii():
        return _ASCII_TOKEN.findall(text)
    return _token_pattern().findall(text)


def count_words(tokens: Iterable[str]) -> int:
    """Return how many of ``tokens`` are words (not white space, punctuation or emoji)."""
    # A word token starts with a letter, digit or "_": what the tokeniser's \w matches.
    return sum(1 for token in tokens if token[0].isalnum() or token[0] == "_")


def solid_tokens(tokens: Iterable[str]) -> list[str]:
    """Return the tokens that are not white space."""
    return [token for token in tokens if not token.isspace()]


def count_solid(tokens: Sequence[str]) -> int:
    """Return how many of ``tokens`` are not white space (``len(solid_tokens(tokens))``)."""
    return len(tokens) - sum(map(str.isspace, tokens))
