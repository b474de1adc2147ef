"""Four eyes: nobody approves a story they wrote any of since its last publication."""

from __future__ import annotations

import pytest

from cms.articles import operations as article_ops
from cms.articles.models import ArticleStatus, VersionKind
from cms.core.errors import Forbidden
from cms.core.extensions import db
from cms.workflow import operations as ops
from tests import factories


@pytest.fixture
def second_editor(session):
    return factories.user(role="editor", name="Second Editor")


def _edit(article, user, **changes):
    edited, _ = article_ops.edit_article(article, article.etag, changes, user)
    db.session.commit()
    return edited


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
