"""What was received from the wires, and which article it became."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cms.articles.models import Body
from cms.auth.models import User
from cms.core.extensions import Model
from cms.core.types import JSONType, UTCDateTime, utcnow


class IngestedCopy(Model):
    """One piece of wire copy as received: each distinct text is stored once."""

    __tablename__ = "ingested_copy"
    __table_args__ = (Index("ix_ingested_copy_take_key_received_at", "take_key", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the normalised copy: identical copy is recognised and not ingested twice.
    copy_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The agency's id or slug for the story, when the copy carries one.
    source_id: Mapped[str | None] = mapped_column(String(200), index=True)
    #: Normalised headline + dateline: later takes of the same story share it.
    take_key: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    #: The article revision this copy produced.
    revision_number: Mapped[int]
    received_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The source's own "Last Updated" stamp (text, date, datetime, timezone), as recognised.
    source_stamp: Mapped[dict | None] = mapped_column(JSONType)
    #: What the parser recognised: recognisers, dropped lines and warnings; for a take
    #: merged with the desk's edits, ``not_applied``: the parts where the desk's text stayed.
    report: Mapped[dict] = mapped_column(JSONType)
    #: The take as ingested (headline, dateline, bylines and body, before any merge
    #: with the desk's edits): the base of the next take's three-way merge.
    headline: Mapped[str] = mapped_column(String(300))
    dateline: Mapped[dict | None] = mapped_column(JSONType)
    bylines: Mapped[list] = mapped_column(JSONType)
    body_hash: Mapped[str] = mapped_column(ForeignKey("bodies.hash"))

    received_by: Mapped[User] = relationship(lazy="joined")
    body: Mapped[Body] = relationship(lazy="raise_on_sql")

    def fields(self) -> dict[str, Any]:
        """Return the document fields the take set (see :meth:`Document.replace`)."""
        return {
            "headline": self.headline,
            "dateline": self.dateline,
            "bylines": self.bylines,
            "body": self.body.markdown,
        }
