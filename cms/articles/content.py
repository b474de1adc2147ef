"""The article document as a value: normalising, comparing and hashing it.

Pure: no database, no Flask. A revision stores one :class:`Document`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from typing import Any

from cms.core.text import is_visible, visible_or_none

#: The document fields, in the order they are shown and compared.
DOCUMENT_FIELDS = (
    "headline",
    "deck",
    "slug",
    "dateline",
    "bylines",
    "section",
    "keywords",
    "language",
    "body",
)

# Limits of the document's fields, in characters. The schemas check them and the
# columns are sized by them, so what the API accepts every database stores.
HEADLINE_MAX = 300
DECK_MAX = 1000
SLUG_MAX = 120
SECTION_MAX = 100
#: BCP 47 recommends supporting tags of at least 35 characters (RFC 5646 §4.4.1).
LANGUAGE_MAX = 35
DATELINE_PART_MAX = 100
BYLINE_NAME_MAX = 200
BYLINE_ROLE_MAX = 50
BYLINE_AFFILIATION_MAX = 200
BYLINES_MAX = 30
KEYWORD_MAX = 100
KEYWORDS_MAX = 50
#: A writer's note on a revision.
MESSAGE_MAX = 500

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
DATELINE_KEYS = ("city", "region", "country", "agency", "date")
BYLINE_KEYS = ("name", "role", "affiliation")


@dataclasses.dataclass(frozen=True, slots=True)
class Document:
    """One version of an article's content. Lists are tuples so it can be hashed."""

    headline: str
    slug: str
    body: str = ""
    deck: str | None = None
    dateline: dict[str, str] | None = None
    bylines: tuple[dict[str, str], ...] = ()
    section: str | None = None
    keywords: tuple[str, ...] = ()
    language: str = "en"

    @classmethod
    def from_canonical(cls, data: dict[str, Any]) -> Document:
        """Return the document whose :meth:`canonical` form is ``data``."""
        return cls(
            headline=data["headline"],
            deck=data["deck"],
            slug=data["slug"],
            dateline=data["dateline"],
            bylines=tuple(data["bylines"]),
            section=data["section"],
            keywords=tuple(data["keywords"]),
            language=data["language"],
            body=data["body"],
        )

    def replace(self, **changes: Any) -> Document:
        """Return a copy with ``changes`` normalised and applied."""
        return dataclasses.replace(self, **normalise(changes))

    def canonical(self) -> dict[str, Any]:
        """Return the document as plain JSON-ready data."""
        return {
            "headline": self.headline,
            "deck": self.deck,
            "slug": self.slug,
            "dateline": self.dateline,
            "bylines": list(self.bylines),
            "section": self.section,
            "keywords": list(self.keywords),
            "language": self.language,
            "body": self.body,
        }

    def content_hash(self) -> str:
        """Return the SHA-256 of the canonical JSON: equal documents, equal hashes."""
        encoded = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(encoded.encode()).hexdigest()

    def changed_fields(self, other: Document) -> list[str]:
        """Return the names of the fields whose values differ from ``other``."""
        return [name for name in DOCUMENT_FIELDS if getattr(self, name) != getattr(other, name)]


def body_digest(body: str) -> str:
    """Return the SHA-256 (hex) that addresses a stored body."""
    return hashlib.sha256(body.encode()).hexdigest()


def normalise(values: dict[str, Any]) -> dict[str, Any]:
    """Return document field ``values`` in canonical form.

    Strips surrounding white space, turns optional text that shows nothing
    (:func:`~cms.core.text.is_visible`) into ``None``, uses ``\\n`` line endings,
    drops dateline and byline parts and keywords that show nothing, a dateline
    without a city and a byline without a name, removes duplicate keywords and
    turns lists into tuples.
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in ("headline", "slug", "language"):
            out[name] = value.strip()
        elif name in ("deck", "section"):
            out[name] = visible_or_none(value)
        elif name == "body":
            out[name] = value.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        elif name == "dateline":
            out[name] = _normalise_dateline(value)
        elif name == "bylines":
            parts = (_normalise_parts(byline, BYLINE_KEYS) for byline in value or ())
            out[name] = tuple(byline for byline in parts if "name" in byline)
        elif name == "keywords":
            out[name] = tuple(dict.fromkeys(k.strip() for k in value or () if is_visible(k)))
        else:
            raise KeyError(f"unknown document field {name!r}")
    return out


def _normalise_parts(value: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    parts = {}
    for key in keys:
        part = value.get(key)
        if part is None:
            continue
        text = visible_or_none(str(part))
        if text is not None:
            parts[key] = text
    return parts


def _normalise_dateline(value: dict[str, Any] | None) -> dict[str, str] | None:
    if not value:
        return None
    parts = _normalise_parts(value, DATELINE_KEYS)
    return parts if "city" in parts else None


def slugify(text: str) -> str:
    """Return a URL-safe slug for ``text`` (ASCII, lower case, hyphens).

    Accents are folded (``Zürich`` → ``zurich``); text with no Latin letters or
    digits at all gives ``"article"``.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_JUNK.sub("-", folded.lower()).strip("-")
    slug = slug[:SLUG_MAX].rstrip("-")
    return slug or "article"
