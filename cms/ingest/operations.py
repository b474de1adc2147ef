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

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload

from cms.articles import diffs
from cms.articles import operations as articles
from cms.articles.content import Document
from cms.articles.models import Article, ArticleStatus
from cms.articles.rendering import check_markup
from cms.auth.models import Role, User
from cms.auth.operations import hash_password
from cms.core.errors import Conflict, CopyTooLarge, PreconditionFailed, ValidationFailed
from cms.core.extensions import db
from cms.core.pagination import SortKey
from cms.core.types import utcnow
from cms.ingest.models import IngestedCopy
from cms.ingest.parser import ParsedStory, parse

log = logging.getLogger(__name__)

#: The author of copy ingested from the command line. ``.invalid`` is reserved
#: (RFC 2606), and the account is inactive, so nobody can log in as it.
WIRE_DESK_EMAIL = "wire-desk@cms.invalid"
HEADLINE_MAX = 300
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
#: Key of the PostgreSQL advisory lock that serialises ingests (ASCII "wire").
INGEST_LOCK_KEY = 0x77697265
#: Tries at merging a take when an editor's write wins the race for the head.
_MERGE_ATTEMPTS = 3


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
    #: Where the take overlapped the desk's edits, so the desk's text stayed:
    #: ``{"field", "paragraph" (body only), "previous_take", "desk", "take"}``.
    not_applied: list[dict[str, Any]]
    #: The killed story this copy is a new take of (it started a new draft), if any.
    follows: int | None = None


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
    latest = select(IngestedCopy).options(joinedload(IngestedCopy.body))
    latest = latest.order_by(IngestedCopy.received_at.desc(), IngestedCopy.id.desc()).limit(1)
    if source_id:
        by_source = db.session.scalar(latest.where(IngestedCopy.source_id == source_id))
        if by_source is not None:
            return by_source
    return db.session.scalar(
        latest.where(
            IngestedCopy.take_key == take_key, IngestedCopy.received_at >= utcnow() - window
        )
    )


def _lock_ingest() -> None:
    """Serialise ingests until the transaction ends (PostgreSQL only; SQLite serialises writers).

    Copy arriving at once (the same piece twice, or two takes of one story) is
    then looked up after the other's commit: one story, and no duplicate key.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(INGEST_LOCK_KEY)))


def _take_document(fields: dict[str, Any]) -> dict[str, Any]:
    """Return the take ``fields`` in canonical form (as a revision would store them)."""
    document = Document(headline="", slug="").replace(**fields).canonical()
    return {name: document[name] for name in fields}


def _not_applied(conflicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the merge's conflicts (theirs: the desk, yours: the take) as what was not applied."""
    return [
        {
            "field": conflict["field"],
            **({"paragraph": conflict["paragraph"]} if "paragraph" in conflict else {}),
            "previous_take": conflict["base"],
            "desk": conflict["theirs"],
            "take": conflict["yours"],
        }
        for conflict in conflicts
    ]


def not_applied_part(item: dict[str, Any]) -> str:
    """Name a part of a take that was not applied: ``headline``, ``body paragraph 3``."""
    return f"body paragraph {item['paragraph'] + 1}" if "paragraph" in item else item["field"]


def _take_message(not_applied: list[dict[str, Any]]) -> str:
    """Return the revision message of a merged take, naming what it did not apply."""
    if not not_applied:
        return "New take from the wire, merged with the desk's edits"
    parts = [not_applied_part(item) for item in not_applied]
    message = "New take from the wire; not applied where the desk had edited: " + ", ".join(parts)
    return message if len(message) <= 500 else message[:499] + "\N{HORIZONTAL ELLIPSIS}"


def _merge_take(
    article: Article, previous: IngestedCopy, fields: dict[str, Any], user: User
) -> tuple[Article, bool, list[dict[str, Any]]]:
    """Merge a new take into the head: base the previous take as ingested, ours the head.

    What the take changed where the desk did not is applied; where both changed
    the same field or paragraph the desk's text stays, and the overlap is
    returned. Raises :class:`Conflict` if editors keep winning the race for the head.
    """
    base_take = _take_document(previous.fields())
    new_take = _take_document(fields)
    for _attempt in range(_MERGE_ATTEMPTS):
        head = article.head.document().canonical()
        merged, conflicts = diffs.merge_documents(
            {**head, **base_take}, head, {**head, **new_take}, keep_theirs=True
        )
        not_applied = _not_applied(conflicts)
        try:
            with db.session.begin_nested():
                article, revised = articles.edit_article(
                    article, article.etag, merged, user, _take_message(not_applied)
                )
        except PreconditionFailed:
            article = articles.get_article(article.id)
            continue
        return article, revised, not_applied
    raise Conflict("The story kept changing while the take was merged; send the copy again.")


def ingest_copy(raw: bytes, user: User, limits: IngestLimits) -> IngestResult:
    """Make a draft article (or a new revision of one) from raw wire copy.

    Identical copy is recognised and stores nothing. A new take of a known story
    (same source id, or same headline and dateline within ``limits.take_window``)
    is merged three-way into its article (base: the previous take as ingested;
    ours: the head; theirs: the take): what the desk did not touch takes the
    agency's change, and where both changed the same part the desk's text stays
    and ``not_applied`` says so. A take of a killed story starts a new draft that
    follows it. Every take is kept. Raises what :func:`decode_copy` and
    :func:`check_markup` raise, and :class:`ValidationFailed` when nothing looks
    like a story.
    """
    text = decode_copy(raw, limits.max_bytes)
    check_markup(text, "copy")  # before parsing: the parser's cost grows with lines too
    parsed = parse(text)
    warnings = list(parsed.warnings)
    copy_hash = _digest(_normalised(text))
    _lock_ingest()
    seen = db.session.scalar(select(IngestedCopy).where(IngestedCopy.copy_hash == copy_hash))
    if seen is not None:
        article = articles.get_article(seen.article_id)
        return IngestResult(article, parsed, False, False, True, warnings, [])

    fields = _document_fields(parsed, warnings)
    take_key = _take_key(fields["headline"], parsed.dateline)
    earlier = _earlier_take(parsed.source_id, take_key, limits.take_window)
    known = articles.get_article(earlier.article_id) if earlier is not None else None
    not_applied: list[dict[str, Any]] = []
    follows = None
    if earlier is None or known is None:
        article = articles.create_article(fields, user, "Ingested from wire copy")
        created = revised = True
    elif known.status == ArticleStatus.WITHDRAWN:
        follows = known.id
        message = f"New take from the wire of killed story {known.id}"
        article = articles.create_article(fields, user, message, follows=known.id)
        created = revised = True
    else:
        article, revised, not_applied = _merge_take(known, earlier, fields, user)
        created = False
    take = _take_document(fields)
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
                "not_applied": not_applied,
            },
            headline=take["headline"],
            dateline=take["dateline"],
            bylines=take["bylines"],
            body_hash=articles.store_body(take["body"]).hash,
        )
    )
    db.session.flush()
    log.info("ingested copy into article %s (new article: %s)", article.id, created)
    return IngestResult(
        article, parsed, created, revised, False, warnings, not_applied, follows=follows
    )


@dataclass(frozen=True)
class Take:
    """One take of a story as the takes list shows it, with the diff from the one before."""

    copy: IngestedCopy
    #: The diff (:func:`cms.articles.diffs.diff_documents`) from the previous take of the
    #: same article; ``None`` for the first.
    diff: dict[str, Any] | None

    @property
    def summary(self) -> str | None:
        """The diff in one line, or ``None`` for the first take."""
        return None if self.diff is None else diffs.summarize(self.diff)


#: The keyset order of the take list: oldest first, as received (the id breaks ties).
TAKE_ORDER = (
    SortKey(IngestedCopy.received_at, descending=False),
    SortKey(IngestedCopy.id, descending=False),
)


def takes_query(article: Article) -> Select:
    """Return a ``select()`` of the copy ingested into ``article``, oldest first."""
    return (
        select(IngestedCopy)
        .where(IngestedCopy.article_id == article.id)
        .options(joinedload(IngestedCopy.body))
        .order_by(IngestedCopy.received_at, IngestedCopy.id)
    )


def with_diffs(article: Article, copies: list[IngestedCopy]) -> list[Take]:
    """Return consecutive ``copies`` of ``article`` (oldest first) each with its diff."""
    if not copies:
        return []
    first = copies[0]
    before = db.session.scalar(
        takes_query(article)
        .where(
            or_(
                IngestedCopy.received_at < first.received_at,
                and_(IngestedCopy.received_at == first.received_at, IngestedCopy.id < first.id),
            )
        )
        .order_by(None)
        .order_by(IngestedCopy.received_at.desc(), IngestedCopy.id.desc())
        .limit(1)
    )
    takes = []
    for previous, copy in zip([before, *copies], copies, strict=False):
        diff = None
        if previous is not None:
            diff = diffs.diff_documents(
                _take_document(previous.fields()), _take_document(copy.fields())
            )
        takes.append(Take(copy, diff))
    return takes


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
