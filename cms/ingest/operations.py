"""Turning received wire copy into draft articles. Operations flush; the caller commits."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cms.articles import operations as articles
from cms.articles.models import Article
from cms.articles.rendering import check_markup
from cms.auth.models import Role, User
from cms.auth.operations import hash_password
from cms.core.errors import CopyTooLarge, ValidationFailed
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.ingest.models import IngestedCopy
from cms.ingest.parser import ParsedStory, parse

log = logging.getLogger(__name__)

#: The author of copy ingested from the command line. ``.invalid`` is reserved
#: (RFC 2606), and the account is inactive, so nobody can log in as it.
WIRE_DESK_EMAIL = "wire-desk@cms.invalid"
HEADLINE_MAX = 300
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class IngestLimits:
    """The ingest settings (``CMS_INGEST_*``); the caller reads them from the config."""

    #: Copy longer than this many bytes is refused.
    max_bytes: int
    #: A story with the same headline and dateline within this window is a new take.
    take_window: timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IngestLimits:
        """Return the limits an app's ``config`` sets."""
        return cls(
            max_bytes=config["CMS_INGEST_MAX_BYTES"],
            take_window=timedelta(hours=config["CMS_INGEST_TAKE_WINDOW_HOURS"]),
        )


@dataclass
class IngestResult:
    """What :func:`ingest_copy` did with one piece of copy."""

    article: Article
    parsed: ParsedStory
    #: A new article was created for the copy.
    article_created: bool
    #: A new revision was stored (a new article, or a new take of a known story).
    revision_created: bool
    #: The very same copy had been ingested before; nothing was stored.
    duplicate: bool
    warnings: list[str]


def decode_copy(raw: bytes, limit: int) -> str:
    """Return ``raw`` as text.

    Raises :class:`CopyTooLarge` over ``limit`` bytes and
    :class:`ValidationFailed` for empty copy, binary data or text that is not UTF-8.
    """
    if len(raw) > limit:
        raise CopyTooLarge(f"Wire copy is limited to {limit} bytes; this is {len(raw)}.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"The copy is not UTF-8 text (undecodable byte at offset {error.start})."
        ) from None
    if _CONTROL.search(text):
        raise ValidationFailed("The copy contains binary data, not text.")
    if not text.strip():
        raise ValidationFailed("The copy is empty.")
    return text


def _normalised(text: str) -> str:
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _take_key(headline: str, dateline: dict | None) -> str:
    place = " ".join((dateline or {}).get(part, "") for part in ("city", "region", "country"))
    folded = unicodedata.normalize("NFKC", f"{headline}|{place}").casefold()
    return _digest(re.sub(r"\s+", " ", folded).strip())


def _document_fields(parsed: ParsedStory, warnings: list[str]) -> dict:
    headline = parsed.headline
    if not headline:
        words = parsed.body.split()
        if not words:
            raise ValidationFailed("Nothing in the copy looks like a story: no headline, no text.")
        headline = " ".join(words[:12]) + ("…" if len(words) > 12 else "")
        warnings.append("headline made from the first words of the body")
    if len(headline) > HEADLINE_MAX:
        headline = headline[: HEADLINE_MAX - 1].rstrip() + "…"
        warnings.append(f"headline shortened to {HEADLINE_MAX} characters")
    return {
        "headline": headline,
        "dateline": parsed.dateline,
        "bylines": parsed.bylines,
        "body": parsed.body,
    }


def _earlier_take(source_id: str | None, take_key: str, window: timedelta) -> IngestedCopy | None:
    if source_id:
        by_source = db.session.scalar(
            select(IngestedCopy)
            .where(IngestedCopy.source_id == source_id)
            .order_by(IngestedCopy.received_at.desc())
            .limit(1)
        )
        if by_source is not None:
            return by_source
    return db.session.scalar(
        select(IngestedCopy)
        .where(IngestedCopy.take_key == take_key, IngestedCopy.received_at >= utcnow() - window)
        .order_by(IngestedCopy.received_at.desc())
        .limit(1)
    )


def ingest_copy(raw: bytes, user: User, limits: IngestLimits) -> IngestResult:
    """Make a draft article (or a new revision of one) from raw wire copy.

    Identical copy is recognised and stores nothing. A new take of a known story
    (same source id, or same headline and dateline within ``limits.take_window``)
    becomes a new revision of its article, so the diff shows what the agency
    changed. Raises what :func:`decode_copy` raises, and :class:`ValidationFailed`
    when nothing looks like a story.
    """
    text = decode_copy(raw, limits.max_bytes)
    check_markup(text, "copy")  # before parsing: the parser's cost grows with lines too
    parsed = parse(text)
    warnings = list(parsed.warnings)
    copy_hash = _digest(_normalised(text))
    seen = db.session.scalar(select(IngestedCopy).where(IngestedCopy.copy_hash == copy_hash))
    if seen is not None:
        article = articles.get_article(seen.article_id)
        return IngestResult(article, parsed, False, False, True, warnings)

    fields = _document_fields(parsed, warnings)
    take_key = _take_key(fields["headline"], parsed.dateline)
    earlier = _earlier_take(parsed.source_id, take_key, limits.take_window)
    if earlier is None:
        article = articles.create_article(fields, user, "Ingested from wire copy")
        created = revised = True
    else:
        article = articles.get_article(earlier.article_id)
        article, revised = articles.edit_article(
            article, article.etag, fields, user, "New take from the wire"
        )
        created = False
    db.session.add(
        IngestedCopy(
            copy_hash=copy_hash,
            source_id=parsed.source_id,
            take_key=take_key,
            article_id=article.id,
            revision_number=article.head_number,
            received_by_id=user.id,
            received_at=utcnow(),
            source_stamp=parsed.stamp,
            report={
                "recognisers": parsed.recognisers,
                "dropped": parsed.dropped,
                "warnings": warnings,
            },
        )
    )
    db.session.flush()
    log.info("ingested copy into article %s (new article: %s)", article.id, created)
    return IngestResult(article, parsed, created, revised, False, warnings)


def wire_desk_user() -> User:
    """Return the service user that authors copy ingested from the command line.

    It is created on first use, inactive and with an unknown password.
    """
    user = db.session.scalar(select(User).where(User.email == WIRE_DESK_EMAIL))
    if user is None:
        user = User(
            email=WIRE_DESK_EMAIL,
            name="Wire desk",
            role=Role.REPORTER,
            password_hash=hash_password(secrets.token_urlsafe(32)),
            is_active=False,
        )
        db.session.add(user)
        db.session.flush()
    return user
