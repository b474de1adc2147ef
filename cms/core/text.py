"""What counts as visible text: the rule behind every "must not be blank" check.

Pure: no database, no Flask. Schemas refuse required text that shows nothing
(:class:`cms.core.fields.VisibleText`); documents drop optional text that shows
nothing (:func:`cms.articles.content.normalise`). Both ask :func:`is_visible`.
"""

from __future__ import annotations

import unicodedata

#: Letters and symbols that render as blank space: the Hangul fillers and the
#: blank Braille pattern. Everything else in categories L, N, P and S shows.
BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_visible(text: str) -> bool:
    """Whether ``text`` shows anything: a letter, digit, punctuation mark or symbol.

    Spaces of every kind (Zs, Zl, Zp), control and format characters (Cc, Cf:
    U+200B ZERO WIDTH SPACE, U+FEFF, bidi marks …), unassigned and private-use
    code points and lone combining marks (M) show nothing, nor do the
    :data:`BLANK_LOOKALIKES`.
    """
    return any(
        unicodedata.category(char)[0] in "LNPS" and char not in BLANK_LOOKALIKES
        for char in text.strip()
    )


def visible_or_none(text: str | None) -> str | None:
    """Return ``text`` without surrounding white space, or ``None`` if it shows nothing."""
    if text is None or not is_visible(text):
        return None
    return text.strip()
