"""The archive's publications: approvals, versions, delivery events and their audit entries.

:class:`Desk` writes what submitting, approving and publishing a revision would
have stored, and gives delivery events their ids in the order of their times,
across stories (the feed's order), as the app's outbox does.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cms.articles.content import Document
from cms.articles.models import VersionKind
from cms.audit.models import AuditAction
from cms.outbox.models import Audience, EventKind

if TYPE_CHECKING:
    from tests.bench.scale.archive import Batch, Ids

CORRECTION_NOTE = "An earlier version of this story misstated the date of the vote."


@dataclass(order=True)
class PendingEvent:
    """An event waiting for its id: ids follow event times, across stories."""

    at: datetime
    sequence: int
    row: dict[str, Any] = field(compare=False)
    releases: PendingEvent | None = field(default=None, compare=False)


class Desk:
    """Approvals, versions and events of publications, with ids taken from ``ids``.

    Events wait (:meth:`event`) until :meth:`number_events` gives them ids in time order.
    """

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self._pending: list[PendingEvent] = []
        self._sequence = 0

    def number_events(self, batch: Batch, horizon: datetime | None) -> None:
        """Give ids, in time order, to the events before ``horizon`` (all if ``None``)."""
        while self._pending and (horizon is None or self._pending[0].at < horizon):
            pending = heapq.heappop(self._pending)
            pending.row["id"] = self.ids.event
            self.ids.event += 1
            if pending.releases is not None:
                pending.row["releases_id"] = pending.releases.row["id"]
            batch.add("delivery_events", pending.row)

    def event(
        self, at: datetime, row: dict[str, Any], releases: PendingEvent | None = None
    ) -> PendingEvent:
        """Queue the event ``row`` of time ``at`` (releasing the embargo of ``releases``)."""
        self._sequence += 1
        pending = PendingEvent(at, self._sequence, row, releases)
        heapq.heappush(self._pending, pending)
        return pending

    def approval(
        self,
        batch: Batch,
        audit: list[dict[str, Any]],
        article_id: int,
        revision: int,
        content_hash: str,
        editor: int,
        at: datetime,
    ) -> int:
        """Approve ``revision`` as ``editor`` at ``at``; return the approval's id."""
        approval_id = self.ids.approval
        self.ids.approval += 1
        batch.add(
            "approvals",
            {
                "id": approval_id,
                "article_id": article_id,
                "revision_number": revision,
                "content_hash": content_hash,
                "approved_by_id": editor,
                "approved_at": at,
            },
        )
        audit.append(
            audit_entry(
                article_id,
                AuditAction.APPROVE,
                editor,
                at,
                revision_number=revision,
                details={"approval_id": approval_id, "content_hash": content_hash},
            )
        )
        return approval_id

    def publish(
        self,
        batch: Batch,
        audit: list[dict[str, Any]],
        article_id: int,
        author: int,
        editor: int,
        document: Document,
        revision: int,
        content_hash: str,
        number: int,
        kind: VersionKind,
        written: datetime,
        embargoed: bool,
        submitted_from: str,
    ) -> dict[str, Any]:
        """Submit, approve and publish ``revision``; return the version's facts."""
        audit.append(
            audit_entry(
                article_id,
                AuditAction.SUBMIT,
                author,
                written + timedelta(minutes=1),
                revision_number=revision,
                details={"from": submitted_from},
            )
        )
        approval_id = self.approval(
            batch,
            audit,
            article_id,
            revision,
            content_hash,
            editor,
            written + timedelta(minutes=3),
        )
        at = written + timedelta(minutes=5)
        embargo_until = at + timedelta(hours=1) if embargoed else None
        note = CORRECTION_NOTE if kind == VersionKind.CORRECTION else None
        batch.add(
            "versions",
            {
                "article_id": article_id,
                "number": number,
                "revision_number": revision,
                "content_hash": content_hash,
                "kind": kind,
                "note": note,
                "embargo_until": embargo_until,
                "published_at": at,
                "published_by_id": editor,
                "approval_id": approval_id,
            },
        )
        event = {
            "article_id": article_id,
            "kind": _EVENT_KINDS[kind],
            "version_number": number,
            "revision_number": revision,
            "version_kind": kind.value,
            "embargo_until": embargo_until,
            "section": document.section,
            "slug": document.slug,
            "note": note,
            "created_at": at,
            "audience": Audience.EMBARGO_ACCESS if embargoed else Audience.ALL,
            "releases_id": None,
            # The worker dealt with the end of the embargo when it came.
            "lifted_at": embargo_until,
        }
        pending = self.event(at, event)
        if embargo_until is not None:
            self.event(
                embargo_until,
                {
                    **event,
                    "created_at": embargo_until,
                    "audience": Audience.NO_EMBARGO_ACCESS,
                    "lifted_at": None,
                },
                releases=pending,
            )
        audit.append(
            audit_entry(
                article_id,
                AuditAction.PUBLISH,
                editor,
                at,
                revision_number=revision,
                version_number=number,
                reason=note,
                details={
                    "kind": kind.value,
                    "embargo_until": embargo_until.isoformat() if embargo_until else None,
                },
            )
        )
        ready = (embargo_until or at) + timedelta(minutes=5)
        return {
            "at": at,
            "ready": ready,
            "version": number,
            "revision": revision,
            "section": document.section,
            "slug": document.slug,
        }


_EVENT_KINDS = {
    VersionKind.FIRST: EventKind.PUBLISHED,
    VersionKind.UPDATE: EventKind.UPDATED,
    VersionKind.MINOR: EventKind.UPDATED,
    VersionKind.CORRECTION: EventKind.CORRECTED,
}


def next_kind(rng: random.Random, big: bool) -> VersionKind:
    if big:
        return VersionKind.UPDATE
    draw = rng.random()
    if draw < 0.6:
        return VersionKind.UPDATE
    return VersionKind.MINOR if draw < 0.88 else VersionKind.CORRECTION


def approver(rng: random.Random, editors: list[int], authors: set[int]) -> int:
    """An editor who wrote nothing since the last publication (no self-approval)."""
    while True:
        editor = rng.choice(editors)
        if editor not in authors:
            return editor


def audit_entry(
    article_id: int,
    action: AuditAction,
    actor: int,
    at: datetime,
    *,
    revision_number: int | None = None,
    version_number: int | None = None,
    reason: str | None = None,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "action": action,
        "actor_id": actor,
        "at": at,
        "revision_number": revision_number,
        "version_number": version_number,
        "reason": reason,
        "details": details,
    }
