"""Workflow verbs: submit, approve, reject, publish, schedule, unschedule, withdraw.

They flush; the request, the CLI command or the worker job commits. Every
action checks the caller's ``If-Match``, asks the workflow table
(:mod:`cms.workflow.workflow`) and changes the article row through
:func:`~cms.articles.operations.swap_state` before anything else, so of two
simultaneous actions on the same article state one wins and the other gets 412.
Every publication and withdrawal writes its delivery event (the outbox) in the
same transaction, and every action an entry in the article's history.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select, update

from cms.articles.models import Article, ArticleStatus, Revision, Version, VersionKind
from cms.articles.operations import (
    ensure_current,
    ensure_not_withdrawn,
    get_article,
    get_revision,
    swap_state,
)
from cms.articles.search.index import index_version
from cms.audit.models import AuditAction
from cms.audit.operations import record_audit
from cms.auth.models import User
from cms.core.database import changed_rows
from cms.core.errors import Conflict, Forbidden, ValidationFailed
from cms.core.extensions import db
from cms.core.pagination import SortKey
from cms.core.text import visible_or_none
from cms.core.types import utcnow
from cms.outbox.operations import record_publication, record_withdrawal
from cms.workflow.models import Approval, ScheduledPublication, ScheduleState
from cms.workflow.workflow import (
    Action,
    RoleError,
    Situation,
    TransitionError,
    allowed_actions,
    check_self_approval,
    transition,
)

log = logging.getLogger(__name__)

# --- Versions -------------------------------------------------------------------------------


def versions_query(article: Article) -> Select:
    """Return a ``select()`` of the article's public versions, newest first."""
    return select(Version).where(Version.article_id == article.id).order_by(Version.number.desc())


#: The keyset order of the version list: newest first (numbers are unique per article).
VERSION_ORDER = (SortKey(Version.number),)


# --- Questions --------------------------------------------------------------------------------


def situation(article: Article) -> Situation:
    """Return the facts about ``article`` that the workflow table decides on."""
    return Situation(
        status=article.status,
        live=article.live_version_number is not None and article.status != ArticleStatus.WITHDRAWN,
        scheduled=article.scheduled_publish_at is not None,
    )


def allowed_for(article: Article, user: User) -> list[Action]:
    """Return the workflow actions ``user`` may take on ``article`` now."""
    return allowed_actions(situation(article), user.role)


def actions_now(article: Article, user: User) -> list[Action]:
    """Return the actions ``user`` can take on ``article`` now and see succeed.

    :func:`allowed_for` (the workflow table) less an approval the rules beyond
    the table would refuse: by an editor who wrote a revision since the last
    publication (unless ``CMS_ALLOW_SELF_APPROVAL``), of a head approved
    already, or of a head that is what readers already see. What a desk shows
    as buttons.
    """
    actions = allowed_for(article, user)
    if Action.APPROVE not in actions:
        return actions
    head = article.head
    live = article.live
    refused = (
        article.approved_revision_number == head.number
        or (live is not None and live.content_hash == head.content_hash)
        or (
            not current_app.config["CMS_ALLOW_SELF_APPROVAL"]
            and user.id in authors_since_publication(article)
        )
    )
    return [action for action in actions if not (refused and action == Action.APPROVE)]


def authors_since_publication(article: Article) -> set[int]:
    """Return the ids of the users who wrote a revision since the live version's.

    Before the first publication that is every revision's author; what an
    approval would send out is everything they changed.
    """
    since = article.live.revision_number if article.live is not None else 0
    return set(
        db.session.scalars(
            select(Revision.author_id)
            .where(Revision.article_id == article.id, Revision.number > since)
            .distinct()
        )
    )


def approval_in_force(article: Article) -> Approval | None:
    """Return the approval that ``publish`` would carry out, or ``None``.

    That is the article's newest approval while its status is ``approved``,
    provided it names the revision the article says is approved.
    """
    if article.status != ArticleStatus.APPROVED or article.approved_revision_number is None:
        return None
    approval = db.session.scalar(
        select(Approval)
        .where(Approval.article_id == article.id)
        .order_by(Approval.id.desc())
        .limit(1)
    )
    if approval is None or approval.revision_number != article.approved_revision_number:
        return None
    return approval


# --- Checks -----------------------------------------------------------------------------------


def _begin(article: Article, if_match: str, action: Action, user: User) -> ArticleStatus:
    """Check that the story is not killed, the precondition and the workflow table;
    return the next status.

    Raises :class:`Conflict` for a withdrawn article whoever asks (a kill is
    final), :class:`PreconditionFailed` for a stale ``if_match``,
    :class:`Forbidden` when the user's role lacks the right and
    :class:`Conflict` (listing the allowed actions) for a wrong transition.
    """
    ensure_not_withdrawn(article, action.value)
    ensure_current(article, if_match)
    try:
        return transition(situation(article), action, user.role)
    except RoleError as exc:
        raise Forbidden(str(exc), allowed_actions=[a.value for a in exc.allowed]) from None
    except TransitionError as exc:
        raise _conflict(article, str(exc), exc.allowed) from None


def _conflict(article: Article, detail: str, allowed: list[Action]) -> Conflict:
    return Conflict(
        detail, current_status=article.status.value, allowed_actions=[a.value for a in allowed]
    )


def _refuse(article: Article, user: User, action: Action, detail: str) -> Conflict:
    """A conflict for a rule beyond the table; lists the other allowed actions."""
    others = [a for a in allowed_for(article, user) if a != action]
    return _conflict(article, detail, others)


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={"json": {field: [message]}})


def resolve_kind(article: Article, kind: VersionKind | None, note: str | None) -> VersionKind:
    """Return the kind of the next publication of ``article``.

    Raises :class:`ValidationFailed` when ``kind`` does not fit: ``first`` is
    the first publication's kind and only its; a republication must say
    whether it is an update, a minor fix or a correction; a correction needs
    a note.
    """
    if article.live_version_number is None:
        if kind not in (None, VersionKind.FIRST):
            raise _field_error("kind", "The first publication is of kind 'first'.")
        return VersionKind.FIRST
    if kind is None or kind == VersionKind.FIRST:
        raise _field_error(
            "kind", "Say what this republication is: 'update', 'minor' or 'correction'."
        )
    if kind == VersionKind.CORRECTION and visible_or_none(note) is None:
        raise _field_error("note", "A correction needs a public note saying what was wrong.")
    return kind


def _check_embargo(embargo_until: datetime | None, not_before: datetime, field: str) -> None:
    if embargo_until is not None and embargo_until <= not_before:
        raise _field_error(
            "embargo_until", f"The embargo must end after {field}; leave it out for none."
        )


def _require_reason(reason: str | None) -> str:
    trimmed = visible_or_none(reason)
    if trimmed is None:
        raise _field_error("reason", "Give a reason; it is kept in the history.")
    return trimmed


# --- Actions ----------------------------------------------------------------------------------


def submit(article: Article, if_match: str, user: User, comment: str | None = None) -> Article:
    """Send the head revision for review.

    Raises :class:`PreconditionFailed`, :class:`Forbidden` or :class:`Conflict`
    (see :func:`_begin`), and :class:`Conflict` when the head is what readers
    already see.
    """
    next_status = _begin(article, if_match, Action.SUBMIT, user)
    live = article.live
    if live is not None and live.content_hash == article.head.content_hash:
        raise _refuse(
            article, user, Action.SUBMIT, "The head is what readers already see; edit it first."
        )
    details = {"from": article.status.value}
    swap_state(article, status=next_status)
    record_audit(
        article.id,
        AuditAction.SUBMIT,
        user,
        revision_number=article.head_number,
        reason=comment,
        details=details,
    )
    return get_article(article.id)


def approve(article: Article, if_match: str, user: User, comment: str | None = None) -> Article:
    """Approve the head revision: the one the ``if_match`` ETag names.

    The approval binds to that revision's number and content hash; later
    edits leave it where it is. Raises what :func:`_begin` raises,
    :class:`Forbidden` when the user wrote any revision since the last
    publication (see :func:`authors_since_publication`; unless
    ``CMS_ALLOW_SELF_APPROVAL``) and :class:`Conflict` when the revision is
    already approved or is what readers already see.
    """
    next_status = _begin(article, if_match, Action.APPROVE, user)
    head = article.head
    try:
        check_self_approval(
            author_ids=authors_since_publication(article),
            approver_id=user.id,
            allowed=current_app.config["CMS_ALLOW_SELF_APPROVAL"],
        )
    except RoleError as exc:
        raise Forbidden(str(exc)) from None
    if article.approved_revision_number == head.number:
        raise _refuse(
            article, user, Action.APPROVE, f"Revision {head.number} is approved already."
        )
    live = article.live
    if live is not None and live.content_hash == head.content_hash:
        raise _refuse(
            article, user, Action.APPROVE, "The head is what readers already see; edit it first."
        )
    now = utcnow()
    swap_state(article, status=next_status, approved_revision_number=head.number)
    approval = Approval(
        article_id=article.id,
        revision_number=head.number,
        content_hash=head.content_hash,
        approved_by=user,
        approved_at=now,
    )
    db.session.add(approval)
    db.session.flush()
    record_audit(
        article.id,
        AuditAction.APPROVE,
        user,
        revision_number=head.number,
        reason=comment,
        details={"approval_id": approval.id, "content_hash": head.content_hash},
        at=now,
    )
    return get_article(article.id)


def reject(article: Article, if_match: str, user: User, reason: str | None) -> Article:
    """Send the article back: a submission is refused or an approval revoked.

    The article returns to where it rests (``draft``, or ``published`` while a
    version is live); a scheduled publication is cancelled. Raises what
    :func:`_begin` raises and :class:`ValidationFailed` without a reason.
    """
    next_status = _begin(article, if_match, Action.REJECT, user)
    reason = _require_reason(reason)
    now = utcnow()
    details: dict[str, Any] = {"from": article.status.value}
    revision_number = article.approved_revision_number or article.head_number
    swap_state(
        article, status=next_status, approved_revision_number=None, scheduled_publish_at=None
    )
    cancelled = _cancel_pending(article.id, now, "cancelled: the approval was revoked")
    if cancelled is not None:
        details["cancelled_schedule"] = cancelled
    record_audit(
        article.id,
        AuditAction.REJECT,
        user,
        revision_number=revision_number,
        reason=reason,
        details=details,
        at=now,
    )
    return get_article(article.id)


def publish(
    article: Article,
    if_match: str,
    user: User,
    *,
    kind: VersionKind | None = None,
    note: str | None = None,
    embargo_until: datetime | None = None,
) -> Article:
    """Publish the approved revision as the next public version, now.

    It publishes exactly the approved revision even when newer revisions
    exist, and cancels a scheduled publication. Raises what :func:`_begin`
    raises (409 when nothing is approved), and :class:`ValidationFailed` for
    a kind that does not fit (see :func:`_resolve_kind`) or an embargo that
    has already ended.
    """
    next_status = _begin(article, if_match, Action.PUBLISH, user)
    now = utcnow()
    kind = resolve_kind(article, kind, note)
    _check_embargo(embargo_until, now, "now")
    approval = approval_in_force(article)
    if approval is None:
        raise _refuse(article, user, Action.PUBLISH, "Nothing is approved.")
    publish_approval(
        article,
        approval,
        user,
        next_status=next_status,
        kind=kind,
        note=note,
        embargo_until=embargo_until,
        now=now,
        details={},
    )
    return get_article(article.id)


def publish_approval(
    article: Article,
    approval: Approval,
    actor: User,
    *,
    next_status: ArticleStatus,
    kind: VersionKind,
    note: str | None,
    embargo_until: datetime | None,
    now: datetime,
    details: dict[str, Any],
) -> Version:
    """Make ``approval``'s revision the next public version, with its event and history.

    Raises :class:`PreconditionFailed` when another writer changed the article
    first and :class:`Conflict` if the approved revision no longer matches its
    approval (which immutable revisions should make impossible).
    """
    revision = get_revision(article, approval.revision_number)
    if revision.content_hash != approval.content_hash:
        raise Conflict(
            f"Revision {revision.number} no longer matches what was approved; approve it again."
        )
    number = (
        db.session.scalar(select(func.max(Version.number)).where(Version.article_id == article.id))
        or 0
    ) + 1
    values: dict[str, Any] = {
        "status": next_status,
        "live_version_number": number,
        "approved_revision_number": None,
        "scheduled_publish_at": None,
    }
    if article.first_published_at is None:
        values["first_published_at"] = now
    if kind != VersionKind.MINOR:
        values["last_updated_at"] = now
    swap_state(article, **values)
    cancelled = _cancel_pending(article.id, now, "cancelled: published before its time")
    if cancelled is not None:
        details = {**details, "cancelled_schedule": cancelled}
    version = Version(
        article_id=article.id,
        number=number,
        revision_number=revision.number,
        content_hash=revision.content_hash,
        kind=kind,
        note=visible_or_none(note),
        embargo_until=embargo_until,
        published_at=now,
        published_by=actor,
        approval_id=approval.id,
    )
    db.session.add(version)
    db.session.flush()
    index_version(version, revision)
    record_publication(version, revision, at=now)
    record_audit(
        article.id,
        AuditAction.PUBLISH,
        actor,
        revision_number=revision.number,
        version_number=number,
        reason=version.note,
        details={
            "kind": kind.value,
            "embargo_until": embargo_until.isoformat() if embargo_until else None,
            **details,
        },
        at=now,
    )
    log.info(
        "article %s revision %s published as version %s (%s) by user %s",
        article.id,
        revision.number,
        number,
        kind,
        actor.id,
    )
    return version


def schedule(
    article: Article,
    if_match: str,
    user: User,
    *,
    publish_at: datetime,
    kind: VersionKind | None = None,
    note: str | None = None,
    embargo_until: datetime | None = None,
) -> Article:
    """Schedule the approved revision to be published at ``publish_at``.

    Replaces a publication already scheduled. The live version, if any, stays
    live until then. Raises what :func:`_begin` raises, and
    :class:`ValidationFailed` for a time not in the future, an embargo ending
    before ``publish_at`` or a kind that does not fit.
    """
    next_status = _begin(article, if_match, Action.SCHEDULE, user)
    now = utcnow()
    if publish_at <= now:
        raise _field_error("publish_at", "Must be in the future; to publish now, use publish.")
    kind = resolve_kind(article, kind, note)
    _check_embargo(embargo_until, publish_at, "publish_at")
    approval = approval_in_force(article)
    if approval is None:
        raise _refuse(article, user, Action.SCHEDULE, "Nothing is approved.")
    swap_state(article, status=next_status, scheduled_publish_at=publish_at)
    replaced = _cancel_pending(article.id, now, "cancelled: rescheduled")
    job = ScheduledPublication(
        article_id=article.id,
        approval_id=approval.id,
        publish_at=publish_at,
        kind=kind,
        note=visible_or_none(note),
        embargo_until=embargo_until,
        state=ScheduleState.PENDING,
        created_by=user,
        created_at=now,
    )
    db.session.add(job)
    db.session.flush()
    details: dict[str, Any] = {
        "job_id": job.id,
        "publish_at": publish_at.isoformat(),
        "kind": kind.value,
        "embargo_until": embargo_until.isoformat() if embargo_until else None,
    }
    if replaced is not None:
        details["replaced_schedule"] = replaced
    record_audit(
        article.id,
        AuditAction.SCHEDULE,
        user,
        revision_number=approval.revision_number,
        reason=job.note,
        details=details,
        at=now,
    )
    return get_article(article.id)


def unschedule(article: Article, if_match: str, user: User, reason: str | None = None) -> Article:
    """Cancel the scheduled publication; the approval stays in force.

    Raises what :func:`_begin` raises (409 when nothing is scheduled).
    """
    next_status = _begin(article, if_match, Action.UNSCHEDULE, user)
    now = utcnow()
    revision_number = article.approved_revision_number
    swap_state(article, status=next_status, scheduled_publish_at=None)
    cancelled = _cancel_pending(article.id, now, "cancelled by " + user.name)
    record_audit(
        article.id,
        AuditAction.UNSCHEDULE,
        user,
        revision_number=revision_number,
        reason=reason,
        details={"cancelled_schedule": cancelled},
        at=now,
    )
    return get_article(article.id)


def withdraw(article: Article, if_match: str, user: User, reason: str | None) -> Article:
    """Kill the story: its public state becomes withdrawn, for good.

    Cancels any approval and scheduled publication and tells partners (a
    ``withdrawn`` delivery event carrying the reason). Raises what
    :func:`_begin` raises and :class:`ValidationFailed` without a reason.
    """
    next_status = _begin(article, if_match, Action.WITHDRAW, user)
    reason = _require_reason(reason)
    now = utcnow()
    live = article.live
    if live is None:
        # Not reached: the workflow table lets only a story with a live version be withdrawn.
        raise _refuse(article, user, Action.WITHDRAW, "Nothing is published.")
    details: dict[str, Any] = {"from": article.status.value}
    swap_state(
        article,
        status=next_status,
        approved_revision_number=None,
        scheduled_publish_at=None,
        withdrawn_at=now,
        withdrawal_reason=reason,
    )
    cancelled = _cancel_pending(article.id, now, "cancelled: the story was withdrawn")
    if cancelled is not None:
        details["cancelled_schedule"] = cancelled
    revision = get_revision(article, live.revision_number)
    record_withdrawal(live, revision, reason=reason, at=now)
    record_audit(
        article.id,
        AuditAction.WITHDRAW,
        user,
        revision_number=live.revision_number,
        version_number=live.number,
        reason=reason,
        details=details,
        at=now,
    )
    log.info("article %s withdrawn by user %s", article.id, user.id)
    return get_article(article.id)


def _cancel_pending(article_id: int, now: datetime, outcome: str) -> dict[str, Any] | None:
    """Cancel the article's pending scheduled publication; return what it was, if any.

    A compare-and-swap on the job's state, so a job a worker has just claimed
    is left alone.
    """
    job = db.session.scalar(
        select(ScheduledPublication).where(
            ScheduledPublication.article_id == article_id,
            ScheduledPublication.state == ScheduleState.PENDING,
        )
    )
    if job is None:
        return None
    changed_rows(
        update(ScheduledPublication)
        .where(
            ScheduledPublication.id == job.id,
            ScheduledPublication.state == ScheduleState.PENDING,
        )
        .values(state=ScheduleState.CANCELLED, finished_at=now, outcome=outcome)
    )
    return {"job_id": job.id, "publish_at": job.publish_at.isoformat()}
