"""Editorial notes on a story, and who has it open (presence)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms.auth.models import User
from cms.core.extensions import Model
from cms.core.types import UTCDateTime, utcnow

#: Longest note, in characters.
NOTE_MAX = 4000


class EditorialNote(Model):
    """A comment on a story for the newsroom; partners and feeds never see it."""

    __tablename__ = "editorial_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    #: The revision the note is about, if it names one.
    revision_number: Mapped[int | None] = mapped_column(Integer)
    #: The paragraph of that revision (from 1) the note is about, if it names one.
    paragraph: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class Presence(Model):
    """A soft lock: a user has the story open. Advisory only; ``If-Match`` guards writes."""

    __tablename__ = "presence"
    __table_args__ = (UniqueConstraint("article_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What the user is doing: ``editing`` (the desk, the default) or ``viewing``.
    activity: Mapped[str] = mapped_column(String(20), default="editing", server_default="editing")
    #: Since when the user has had the story open without a gap.
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The presence lapses at this instant unless renewed.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
