"""Workflow operations: approval of exact revisions, versions, kinds, kills, embargo, outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cms.articles import operations as article_ops
from cms.articles.models import ArticleStatus, Version, VersionKind
from cms.audit.models import AuditAction
from cms.audit.operations import history_query
from cms.core.errors import Conflict, Forbidden, PreconditionFailed, ValidationFailed
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.outbox.models import Audience, EventKind
from cms.workflow import operations as ops
from cms.workflow.models import Approval
from tests import factories


@pytest.fixture
def second_editor(session):
    return factories.user(role="editor", name="Second Editor")


def _edit(article, user, **changes):
    edited, _ = article_ops.edit_article(article, article.etag, changes, user)
    db.session.commit()
    return edited


def _history(article):
    return list(reversed(db.session.scalars(history_query(article.id)).all()))


def _versions(article):
    return list(reversed(db.session.scalars(ops.versions_query(article)).all()))


# --- Approval binds to one revision -------------------------------------------------------


def test_approval_binds_to_the_head_revision_number_and_content(session, reporter, editor):
    article = factories.submitted(factories.article(reporter), reporter)
    article = ops.approve(article, article.etag, editor, "Good to go")

    approval = db.session.scalar(select(Approval).where(Approval.article_id == article.id))
    assert article.status == ArticleStatus.APPROVED
    assert article.approved_revision_number == 1
    assert approval.revision_number == 1
    assert approval.content_hash == article.head.content_hash
    assert approval.approved_by_id == editor.id


def test_publish_publishes_the_approved_revision_even_with_newer_drafts(session, reporter, editor):
    article = factories.approved(factories.article(reporter), editor)
    approved_hash = article.head.content_hash
    article = _edit(article, reporter, headline="An unreviewed late change")
    assert article.head_number == 2
    assert article.approved_revision_number == 1

    article = ops.publish(article, article.etag, editor)

    [version] = _versions(article)
    assert (version.number, version.revision_number) == (1, 1)
    assert version.content_hash == approved_hash
    assert article.live.revision_number == 1
    assert article.head_number == 2
    assert article.status == ArticleStatus.PUBLISHED
    assert article.approved_revision_number is None


def test_publish_refuses_when_nothing_is_approved(session, reporter, editor):
    article = factories.article(reporter)
    with pytest.raises(Conflict) as refused:
        ops.publish(article, article.etag, editor)
    assert refused.value.extensions["allowed_actions"] == ["submit"]

    article = factories.submitted(article, reporter)
    with pytest.raises(Conflict) as refused:
        ops.publish(article, article.etag, editor)
    assert refused.value.extensions["allowed_actions"] == ["approve", "reject"]
    assert _versions(article) == []


def test_an_edit_after_approval_needs_a_new_approval_to_be_published(
    session, reporter, editor, second_editor
):
    article = factories.approved(factories.article(reporter), editor)
    article = _edit(article, reporter, body="Cranes stood still on Monday and Tuesday.")

    article = ops.approve(article, article.etag, second_editor)
    assert article.approved_revision_number == 2
    article = ops.publish(article, article.etag, editor)

    assert article.live.revision_number == 2
    approvals = db.session.scalars(
        select(Approval.revision_number).where(Approval.article_id == article.id)
    ).all()
    assert sorted(approvals) == [1, 2]


def test_editors_may_not_approve_their_own_revision(app, session, reporter, editor):
    article = factories.submitted(factories.article(editor), editor)

    with pytest.raises(Forbidden, match="another editor"):
        ops.approve(article, article.etag, editor)


def test_self_approval_is_allowed_when_configured(app, session, editor, monkeypatch):
    monkeypatch.setitem(app.config, "CMS_ALLOW_SELF_APPROVAL", True)
    article = factories.submitted(factories.article(editor), editor)

    assert ops.approve(article, article.etag, editor).status == ArticleStatus.APPROVED


def test_an_editors_late_fix_needs_another_editors_approval(
    session, reporter, editor, second_editor
):
    article = factories.approved(factories.article(reporter), editor)
    article = _edit(article, editor, headline="Cranes idle; vote closes Friday")

    with pytest.raises(Forbidden):
        ops.approve(article, article.etag, editor)
    assert ops.approve(article, article.etag, second_editor).approved_revision_number == 2


def test_approving_the_approved_revision_again_is_a_conflict(session, reporter, editor):
    article = factories.approved(factories.article(reporter), editor)

    with pytest.raises(Conflict, match="approved already"):
        ops.approve(article, article.etag, editor)


def test_every_action_checks_the_etag(session, reporter, editor):
    article = factories.submitted(factories.article(reporter), reporter)

    with pytest.raises(PreconditionFailed):
        ops.approve(article, '"1.1"', editor)


# --- Four eyes: nobody approves what they wrote since the last publication ----------------


def _one_more_word(article, user):
    return _edit(article, user, body=article.head.body.markdown + " Indeed.")


def test_a_reporters_one_word_after_the_editors_edit_does_not_clear_the_editor(
    session, reporter, editor, second_editor
):
    article = factories.article(reporter)
    article = _edit(article, editor, headline="Cranes idle as dockworkers vote")
    article = factories.submitted(_one_more_word(article, reporter), reporter)
    assert article.head.author_id == reporter.id

    with pytest.raises(Forbidden, match="another editor"):
        ops.approve(article, article.etag, editor)
    assert ops.approve(article, article.etag, second_editor).status == ArticleStatus.APPROVED


def test_an_editor_who_wrote_revision_one_cannot_approve_after_others_edit(
    session, reporter, editor, second_editor
):
    article = factories.article(editor)
    article = factories.submitted(_one_more_word(article, reporter), reporter)

    with pytest.raises(Forbidden):
        ops.approve(article, article.etag, editor)
    assert ops.approve(article, article.etag, second_editor).approved_revision_number == 2


def test_a_restore_counts_as_writing(session, reporter, editor):
    article = _edit(factories.article(reporter), reporter, headline="A worse headline")
    article, _ = article_ops.restore_revision(article, 1, article.etag, editor)
    db.session.commit()
    article = factories.submitted(_one_more_word(article, reporter), reporter)

    with pytest.raises(Forbidden):
        ops.approve(article, article.etag, editor)


def test_what_the_editor_wrote_before_the_last_publication_does_not_count(
    session, reporter, editor, second_editor
):
    article = _edit(factories.article(reporter), editor, headline="Cranes idle at the port")
    article = factories.published(factories.submitted(article, reporter), second_editor)
    article = factories.submitted(_one_more_word(article, reporter), reporter)

    approved = ops.approve(article, article.etag, editor)

    assert approved.approved_revision_number == 3


def test_the_editors_edit_after_the_publication_counts_until_the_next_one(
    session, reporter, editor, second_editor
):
    article = factories.published(factories.article(reporter), second_editor)
    article = _edit(article, editor, headline="Cranes idle; vote on Friday")
    article = _one_more_word(article, reporter)

    with pytest.raises(Forbidden):
        ops.approve(article, article.etag, editor)
    article = ops.approve(article, article.etag, second_editor)
    article = ops.publish(article, article.etag, second_editor, kind=VersionKind.UPDATE)
    article = _one_more_word(article, reporter)
    assert ops.approve(article, article.etag, editor).approved_revision_number == 4


def test_an_unpublished_newer_revision_by_the_editor_still_counts(
    session, reporter, editor, second_editor
):
    """Publishing revision 1 while the editor's revision 2 waits clears only revision 1."""
    article = factories.approved(factories.article(reporter), second_editor)
    article = _edit(article, editor, headline="Cranes idle; vote on Friday")
    article = ops.publish(article, article.etag, second_editor)
    assert article.live.revision_number == 1
    article = _one_more_word(article, reporter)

    with pytest.raises(Forbidden):
        ops.approve(article, article.etag, editor)


def test_self_approval_setting_still_turns_the_rule_off(
    app, session, reporter, editor, monkeypatch
):
    monkeypatch.setitem(app.config, "CMS_ALLOW_SELF_APPROVAL", True)
    article = _edit(factories.article(reporter), editor, headline="Cranes idle at the port")
    article = factories.submitted(_one_more_word(article, reporter), reporter)

    assert ops.approve(article, article.etag, editor).status == ArticleStatus.APPROVED


def test_the_api_answers_403_and_changes_nothing(client, reporter, editor):
    article = _edit(factories.article(reporter), editor, headline="Cranes idle at the port")
    article = factories.submitted(_one_more_word(article, reporter), reporter)

    response = client.post(
        f"/api/v1/articles/{article.id}/approve",
        headers={**factories.auth(editor), "If-Match": article.etag},
    )

    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "since the last publication" in response.json["detail"]
    assert article_ops.get_article(article.id).status == ArticleStatus.IN_REVIEW


# --- Reject ---------------------------------------------------------------------------------


def test_reject_sends_a_submission_back_to_draft_with_its_reason(session, reporter, editor):
    article = factories.submitted(factories.article(reporter), reporter)
    article = ops.reject(article, article.etag, editor, "Needs a second source")

    assert article.status == ArticleStatus.DRAFT
    entry = _history(article)[-1]
    assert (entry.action, entry.reason, entry.actor_id) == (
        AuditAction.REJECT,
        "Needs a second source",
        editor.id,
    )


def test_reject_needs_a_reason(session, reporter, editor):
    article = factories.submitted(factories.article(reporter), reporter)
    with pytest.raises(ValidationFailed) as refused:
        ops.reject(article, article.etag, editor, "   ")
    assert refused.value.extensions["errors"] == {"json": {"reason": [refused.value.description]}}


def test_rejecting_an_update_returns_to_published_and_keeps_the_live_version(
    session, reporter, editor
):
    article = factories.published(factories.article(reporter), editor)
    article = _edit(article, reporter, headline="Update")
    article = factories.submitted(article, reporter)
    assert article.status == ArticleStatus.IN_REVIEW
    assert article.live_version_number == 1

    article = ops.reject(article, article.etag, editor, "Not yet")

    assert article.status == ArticleStatus.PUBLISHED
    assert article.live_version_number == 1


def test_revoking_an_approval_cancels_the_scheduled_publication(session, reporter, editor):
    article = factories.approved(factories.article(reporter), editor)
    article = ops.schedule(article, article.etag, editor, publish_at=utcnow() + timedelta(hours=2))

    article = ops.reject(article, article.etag, editor, "Legal wants another look")

    assert article.scheduled_publish_at is None
    assert article.approved_revision_number is None
    assert "cancelled_schedule" in _history(article)[-1].details


# --- Versions, kinds and stamps -----------------------------------------------------------


def _republish(article, reporter, editor, kind, note=None, **changes):
    article = _edit(article, reporter, **changes)
    article = factories.approved(article, editor)
    return ops.publish(article, article.etag, editor, kind=kind, note=note)


def test_versions_are_numbered_apart_from_revisions_with_their_kinds(session, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    article = _republish(article, reporter, editor, VersionKind.UPDATE, headline="Two")
    article = _edit(article, reporter, deck="Unpublished deck")
    article = _republish(article, reporter, editor, VersionKind.MINOR, deck="Fixed deck")

    versions = _versions(article)
    assert [(v.number, v.revision_number, v.kind) for v in versions] == [
        (1, 1, VersionKind.FIRST),
        (2, 2, VersionKind.UPDATE),
        (3, 4, VersionKind.MINOR),
    ]
    assert article.live_version_number == 3


def test_first_published_is_set_once_and_last_updated_moves_on_update_and_correction(
    session, reporter, editor
):
    article = factories.published(factories.article(reporter), editor)
    first = article.first_published_at
    assert article.last_updated_at == first

    article = _republish(article, reporter, editor, VersionKind.MINOR, body="Typo fixed.")
    assert article.first_published_at == first
    assert article.last_updated_at == first

    article = _republish(article, reporter, editor, VersionKind.UPDATE, body="New facts.")
    updated = article.last_updated_at
    assert updated > first
    assert article.first_published_at == first

    article = _republish(
        article, reporter, editor, VersionKind.CORRECTION, "The vote is on Friday.", body="Fri."
    )
    assert article.last_updated_at > updated
    assert article.first_published_at == first


def test_corrections_are_a_public_list_on_the_article(session, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    article = _republish(
        article,
        reporter,
        editor,
        VersionKind.CORRECTION,
        "An earlier version misspelt the port's name.",
        body="Corrected.",
    )
    article = _republish(article, reporter, editor, VersionKind.UPDATE, body="More.")

    [correction] = article.corrections
    assert correction.number == 2
    assert correction.note == "An earlier version misspelt the port's name."
    assert correction.published_at < article.last_updated_at


@pytest.mark.parametrize(
    ("kind", "note", "field"),
    [
        (None, None, "kind"),
        (VersionKind.FIRST, None, "kind"),
        (VersionKind.CORRECTION, None, "note"),
        (VersionKind.CORRECTION, "  ", "note"),
    ],
)
def test_a_republication_says_what_it_is(session, reporter, editor, kind, note, field):
    article = factories.published(factories.article(reporter), editor)
    article = factories.approved(_edit(article, reporter, body="Changed."), editor)

    with pytest.raises(ValidationFailed) as refused:
        ops.publish(article, article.etag, editor, kind=kind, note=note)
    assert list(refused.value.extensions["errors"]["json"]) == [field]


@pytest.mark.parametrize("kind", [VersionKind.UPDATE, VersionKind.MINOR, VersionKind.CORRECTION])
def test_the_first_publication_is_of_kind_first(session, reporter, editor, kind):
    article = factories.approved(factories.article(reporter), editor)

    with pytest.raises(ValidationFailed):
        ops.publish(article, article.etag, editor, kind=kind, note="x")
    assert ops.publish(article, article.etag, editor).live.kind == VersionKind.FIRST


def test_nothing_new_to_submit_or_approve_after_publication(session, reporter, editor):
    article = factories.published(factories.article(reporter), editor)

    with pytest.raises(Conflict, match="already see"):
        ops.submit(article, article.etag, reporter)
    with pytest.raises(Conflict, match="already see"):
        ops.approve(article, article.etag, editor)


# --- Withdrawal ------------------------------------------------------------------------------


def test_withdraw_records_the_reason_and_is_final(session, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    article = ops.withdraw(article, article.etag, editor, "Source recanted")

    assert article.status == ArticleStatus.WITHDRAWN
    assert article.withdrawal_reason == "Source recanted"
    assert article.withdrawn_at is not None
    assert ops.allowed_for(article, editor) == []
    with pytest.raises(Conflict) as refused:
        ops.submit(article, article.etag, reporter)
    assert refused.value.extensions["allowed_actions"] == []
    entry = _history(article)[-1]
    assert (entry.action, entry.reason, entry.version_number) == (
        AuditAction.WITHDRAW,
        "Source recanted",
        1,
    )


def test_withdraw_needs_a_reason_and_something_published(session, reporter, editor):
    article = factories.approved(factories.article(reporter), editor)
    with pytest.raises(Conflict, match="Nothing is published"):
        ops.withdraw(article, article.etag, editor, "Spiked")

    article = ops.publish(article, article.etag, editor)
    with pytest.raises(ValidationFailed):
        ops.withdraw(article, article.etag, editor, "")


def test_a_live_story_can_be_killed_while_its_update_is_in_review(session, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    article = factories.submitted(_edit(article, reporter, body="Update."), reporter)

    article = ops.withdraw(article, article.etag, editor, "Legal")
    assert article.status == ArticleStatus.WITHDRAWN


# --- Embargo ---------------------------------------------------------------------------------


def test_an_embargoed_version_is_shown_only_to_partners_allowed_embargoed_copy(
    session, reporter, editor
):
    now = utcnow()
    lifted = now + timedelta(hours=3)
    article = factories.published(factories.article(reporter), editor, embargo_until=lifted)

    [event] = factories.events(article.id)
    assert event.embargo_until == lifted
    assert event.audience is Audience.EMBARGO_ACCESS


def test_an_embargoed_update_leaves_the_previous_version_showing(session, reporter, editor):
    now = utcnow()
    article = factories.published(factories.article(reporter), editor)
    article = factories.approved(_edit(article, reporter, body="Study results."), editor)
    ops.publish(
        article,
        article.etag,
        editor,
        kind=VersionKind.UPDATE,
        embargo_until=now + timedelta(hours=1),
    )

    first, update = factories.events(article.id)
    assert (first.version_number, first.audience) == (1, Audience.ALL)
    assert (update.version_number, update.audience) == (2, Audience.EMBARGO_ACCESS)


def test_an_embargo_must_end_in_the_future(session, reporter, editor):
    article = factories.approved(factories.article(reporter), editor)
    with pytest.raises(ValidationFailed) as refused:
        ops.publish(article, article.etag, editor, embargo_until=utcnow() - timedelta(minutes=1))
    assert "embargo_until" in refused.value.extensions["errors"]["json"]


def test_a_kill_is_told_to_every_partner(session, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    ops.withdraw(article, article.etag, editor, "Killed")

    kill = factories.events(article.id)[-1]
    assert (kill.kind, kill.audience, kill.note) == ("withdrawn", Audience.ALL, "Killed")


# --- The outbox and the history ---------------------------------------------------------------


def test_every_publication_and_kill_writes_an_ordered_delivery_event(session, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    article = _republish(article, reporter, editor, VersionKind.UPDATE, body="Two.")
    article = _republish(article, reporter, editor, VersionKind.MINOR, body="Two!")
    article = _republish(article, reporter, editor, VersionKind.CORRECTION, "Fixed.", body="2")
    article = ops.withdraw(article, article.etag, editor, "Killed")

    events = factories.events(article.id)
    assert [(e.kind, e.version_number, e.version_kind) for e in events] == [
        (EventKind.PUBLISHED, 1, "first"),
        (EventKind.UPDATED, 2, "update"),
        (EventKind.UPDATED, 3, "minor"),
        (EventKind.CORRECTED, 4, "correction"),
        (EventKind.WITHDRAWN, 4, None),
    ]
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert events[3].note == "Fixed."
    assert events[4].note == "Killed"
    assert events[0].slug == article.slug


def test_the_history_records_every_action_with_actor_revision_and_reason(
    session, reporter, editor
):
    article = factories.article(reporter)
    article = _edit(article, reporter, headline="Second take")
    article, _ = article_ops.restore_revision(article, 1, article.etag, reporter, "Back")
    db.session.commit()
    article = ops.submit(article, article.etag, reporter, "Ready")
    article = ops.approve(article, article.etag, editor)
    article = ops.schedule(article, article.etag, editor, publish_at=utcnow() + timedelta(days=1))
    article = ops.unschedule(article, article.etag, editor, "Holding")
    article = ops.publish(article, article.etag, editor)
    article = ops.withdraw(article, article.etag, editor, "Recalled")

    rows = [
        (e.action, e.actor_id, e.revision_number, e.version_number, e.reason)
        for e in _history(article)
    ]
    assert rows == [
        (AuditAction.CREATE, reporter.id, 1, None, None),
        (AuditAction.EDIT, reporter.id, 2, None, None),
        (AuditAction.RESTORE, reporter.id, 3, None, "Back"),
        (AuditAction.SUBMIT, reporter.id, 3, None, "Ready"),
        (AuditAction.APPROVE, editor.id, 3, None, None),
        (AuditAction.SCHEDULE, editor.id, 3, None, None),
        (AuditAction.UNSCHEDULE, editor.id, 3, None, "Holding"),
        (AuditAction.PUBLISH, editor.id, 3, 1, None),
        (AuditAction.WITHDRAW, editor.id, 3, 1, "Recalled"),
    ]
    assert all(entry.at is not None for entry in _history(article))


def test_publishing_twice_from_the_same_state_makes_one_version(session, reporter, editor):
    article = factories.approved(factories.article(reporter), editor)
    stale = article.etag
    ops.publish(article, stale, editor)

    with pytest.raises(PreconditionFailed):
        ops.publish(article_ops.get_article(article.id), stale, editor)
    assert db.session.scalar(select(func.count()).select_from(Version)) == 1
