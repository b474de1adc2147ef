"""The outbox: events written with what they report, numbered, with their audience."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cms.core.extensions import db
from cms.core.types import utcnow
from cms.outbox.models import Audience, DeliveryEvent, EventKind
from cms.outbox.operations import record_release
from cms.workflow import operations as workflow_ops
from tests import factories


def test_events_get_their_audience_from_the_embargo(session, reporter, editor):
    lifted = utcnow() + timedelta(hours=1)
    article = factories.published(factories.article(reporter), editor, embargo_until=lifted)
    factories.withdrawn(article, editor)

    published, killed = factories.events(article.id)

    assert published.audience == Audience.EMBARGO_ACCESS
    assert killed.audience == Audience.ALL


def test_a_publication_that_rolls_back_leaves_no_event(session, reporter, editor):
    article = factories.approved(factories.article(reporter), editor)

    workflow_ops.publish(article, article.etag, editor)
    assert db.session.scalar(select(func.count()).select_from(DeliveryEvent)) == 1
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(DeliveryEvent)) == 0


def test_a_release_repeats_the_embargoed_event_for_the_others_under_a_new_id(
    session, reporter, editor
):
    lifted = utcnow() + timedelta(hours=1)
    article = factories.published(
        factories.article(reporter, section="sport"), editor, embargo_until=lifted
    )
    [embargoed] = factories.events(article.id)

    release = record_release(embargoed, at=lifted)

    assert release.id > embargoed.id
    assert release.releases_id == embargoed.id
    assert release.audience == Audience.NO_EMBARGO_ACCESS
    assert release.created_at == lifted
    assert (release.kind, release.version_number, release.section, release.slug) == (
        EventKind.PUBLISHED,
        1,
        "sport",
        embargoed.slug,
    )
