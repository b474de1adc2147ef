"""Notes and presence on a story. They flush; the caller commits.

Presence is advisory: a soft lock that says who has the story open, kept
alive by renewing it, gone :data:`PRESENCE_TTL` seconds after the last
renewal. Nothing consults it before a write; ``If-Match`` stays the guard.
Notes are the newsroom's own: nothing that partners read (the content API,
feeds, webhooks) reads this package.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cms.articles.models import Article
from cms.auth.models import User
from cms.core.errors import ValidationFailed
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.notes.models import EditorialNote, Presence

log = logging.getLogger(__name__)

#: Seconds a presence lasts unless renewed (the desk renews it every 20 s).
PRESENCE_TTL = 60
#: What a present user may say they are doing; the first is the default.
ACTIVITIES = ("editing", "viewing")


def notes_for(article: Article) -> list[EditorialNote]:
    """Return the article's notes, oldest first."""
    return list(
        db.session.scalars(
            select(EditorialNote)
            .where(EditorialNote.article_id == article.id)
            .order_by(EditorialNote.created_at, EditorialNote.id)
        )
    )


def add_note(
    article: Article,
    author: User,
    body: str,
    revision: int | None = None,
    paragraph: int | None = None,
) -> EditorialNote:
    """Add a note by ``author`` to ``article``, anchored to a revision and paragraph if given.

    Raises :class:`ValidationFailed` (422) for a revision the article does not
    have, or a paragraph without a revision.
    """
    if paragraph is not None and revision is None:
        raise ValidationFailed("A note about a paragraph must name the revision too.")
    if revision is not None and revision > article.head_number:
        raise ValidationFailed(
            f"Article {article.id} has no revision {revision}; its head is {article.head_number}."
        )
    note = EditorialNote(
        article_id=article.id,
        author_id=author.id,
        author=author,
        body=body,
        revision_number=revision,
        paragraph=paragraph,
    )
    db.session.add(note)
    db.session.flush()
    log.info("note %s on article %s by user %s", note.id, article.id, author.id)
    return note


def present(article: Article, now: datetime | None = None) -> list[Presence]:
    """Return who has ``article`` open now, longest present first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Presence)
            .where(Presence.article_id == article.id, Presence.expires_at > now)
            .order_by(Presence.since, Presence.id)
        )
    )


def renew_presence(
    article: Article, user: User, activity: str = ACTIVITIES[0], now: datetime | None = None
) -> None:
    """Say that ``user`` has ``article`` open for :data:`PRESENCE_TTL` more seconds.

    A presence that lapsed starts again from ``now``; a live one keeps its
    ``since``. Safe when the same user renews from two tabs at once (an upsert).
    Lapsed presences of the article are cleared on the way.
    """
    now = now or utcnow()
    db.session.execute(
        delete(Presence).where(Presence.article_id == article.id, Presence.expires_at <= now)
    )
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Presence).values(
        article_id=article.id,
        user_id=user.id,
        activity=activity,
        since=now,
        expires_at=now + timedelta(seconds=PRESENCE_TTL),
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["article_id", "user_id"],
            set_={
                "activity": statement.excluded.activity,
                "expires_at": statement.excluded.expires_at,
                "since": case(
                    (Presence.expires_at > now, Presence.since), else_=statement.excluded.since
                ),
            },
        )
    )


def leave(article: Article, user: User) -> None:
    """Say that ``user`` closed ``article``: their presence ends now."""
    db.session.execute(
        delete(Presence).where(Presence.article_id == article.id, Presence.user_id == user.id)
    )


def presence_view(article: Article, timezone: str) -> dict:
    """Return who has ``article`` open, each ``since`` also as a clock time in ``timezone``."""
    zone = ZoneInfo(timezone)
    return {
        "ttl": PRESENCE_TTL,
        "items": [
            {
                "user": entry.user,
                "activity": entry.activity,
                "since": entry.since,
                "since_display": entry.since.astimezone(zone).strftime("%H:%M"),
                "expires_at": entry.expires_at,
            }
            for entry in present(article)
        ],
    }
