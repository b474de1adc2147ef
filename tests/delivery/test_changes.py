"""The changes feed: one global order, cursors that never skip or repeat, faithful replays."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from cms.articles import operations as article_ops
from cms.articles.models import VersionKind
from cms.auth.models import User
from cms.core.extensions import db
from cms.core.types import utcnow
from cms.outbox.models import Audience, DeliveryEvent
from cms.workflow import operations as workflow_ops
from tests import factories
from tests.delivery.support import run_worker

CHANGES = "/content/v1/changes"


def _page(client, headers, after=None, limit=100):
    query = {"limit": limit} | ({"after": after} if after else {})
    response = client.get(CHANGES, query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _all(client, headers, after=None, limit=100):
    """Every event after ``after``, paging; and the cursor to continue from."""
    items = []
    while True:
        page = _page(client, headers, after, limit)
        items += page["items"]
        after = page["next_cursor"]
        if not page["has_more"]:
            return items, after


def _replay(items) -> dict[int, int | str]:
    """The live set a partner rebuilds from the feed: story → version, or ``"withdrawn"``."""
    state: dict[int, int | str] = {}
    for item in items:
        if item["kind"] == "withdrawn":
            state[item["article_id"]] = "withdrawn"
        else:
            state[item["article_id"]] = item["version"]
    return state


def _content_api(client, headers, article_ids) -> dict[int, int | str]:
    """What the content API shows of each story: its version, ``"withdrawn"``, or nothing."""
    state: dict[int, int | str] = {}
    for article_id in article_ids:
        response = client.get(f"/content/v1/articles/{article_id}", headers=headers)
        if response.status_code == 200:
            state[article_id] = response.json["version"]
        elif response.status_code == 410:
            state[article_id] = "withdrawn"
        else:
            assert response.status_code == 404
    return state


def test_every_publication_update_correction_and_kill_in_order(client, session, reporter, editor):
    _, key = factories.partner()
    article = factories.published(factories.article(reporter), editor)
    article = factories.updated(article, reporter, editor, body="More.")
    article = factories.updated(article, reporter, editor, kind=VersionKind.MINOR, body="More!")
    article = factories.updated(
        article, reporter, editor, kind=VersionKind.CORRECTION, note="Fixed a name.", deck="D"
    )
    factories.withdrawn(article, editor, "Legal")

    items, _ = _all(client, factories.partner_auth(key))

    assert [(i["kind"], i["version"], i["version_kind"]) for i in items] == [
        ("published", 1, "first"),
        ("updated", 2, "update"),
        ("updated", 3, "minor"),
        ("corrected", 4, "correction"),
        ("withdrawn", 4, None),
    ]
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    assert items[3]["note"] == "Fixed a name."
    assert (items[4]["note"], items[4]["href"]) == ("Legal", None)
    assert items[0]["href"] == f"/content/v1/articles/{article.id}?version=1"
    assert all(i["article_id"] == article.id for i in items)


def test_paging_while_events_arrive_never_skips_or_repeats(client, session, reporter, editor):
    _, key = factories.partner()
    headers = factories.partner_auth(key)
    seen, cursor = [], None
    for round_ in range(6):
        for n in range(round_ % 3):
            factories.published(factories.article(reporter, headline=f"R{round_} n{n}"), editor)
        page = _page(client, headers, cursor, limit=1)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    rest, cursor = _all(client, headers, cursor, limit=2)
    seen += [item["id"] for item in rest]

    every = list(db.session.scalars(select(DeliveryEvent.id).order_by(DeliveryEvent.id)))
    assert seen == every
    assert _page(client, headers, cursor) == {
        "items": [],
        "next_cursor": cursor,
        "has_more": False,
    }


def test_an_exhausted_page_moves_the_cursor_past_events_hidden_from_the_partner(
    client, session, reporter, editor
):
    _, key = factories.partner(sections=["sport"])
    headers = factories.partner_auth(key)
    _, start = _all(client, headers)
    for n in range(3):
        factories.published(factories.article(reporter, headline=f"Business {n}"), editor)

    page = _page(client, headers, start)

    assert page["items"] == []
    assert page["next_cursor"] != start
    sport = factories.published(factories.article(reporter, section="sport"), editor)
    assert [i["article_id"] for i in _page(client, headers, page["next_cursor"])["items"]] == [
        sport.id
    ]


@pytest.mark.live
def test_a_commit_in_progress_is_never_paged_past(live_db):
    """Events become visible in id order: a page reads up to the newest committed id only."""
    client = live_db.test_client()
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    _, key = factories.partner()
    headers = factories.partner_auth(key)
    first_id = factories.published(factories.article(reporter), editor).id
    pending = factories.approved(factories.article(reporter, headline="Held"), editor)
    pending_id, pending_etag, editor_id = pending.id, pending.etag, editor.id
    db.session.remove()
    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def publish_slowly():
        try:
            with live_db.app_context():
                article = article_ops.get_article(pending_id)
                workflow_ops.publish(article, pending_etag, db.session.get(User, editor_id))
                written.set()
                release.wait(timeout=10)
                db.session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)
            written.set()

    thread = threading.Thread(target=publish_slowly)
    thread.start()
    assert written.wait(timeout=10)
    page = _page(client, headers)
    release.set()
    thread.join(timeout=20)
    assert errors == []

    assert [i["article_id"] for i in page["items"]] == [first_id]
    later = _page(client, headers, page["next_cursor"])
    assert [i["article_id"] for i in later["items"]] == [pending_id]


@pytest.mark.parametrize(
    "query", ["?after=nonsense", "?after=YXJ0aWNsZXM6MQ", "?after=", "?limit=0", "?limit=1001"]
)
def test_bad_cursors_and_limits_are_422(client, session, query):
    _, key = factories.partner()

    response = client.get(CHANGES + query, headers=factories.partner_auth(key))

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


# --- Embargo ----------------------------------------------------------------------------------


def test_embargoed_events_reach_other_partners_only_as_a_release_after_the_embargo(
    client, session, reporter, editor
):
    _, plain_key = factories.partner()
    _, trusted_key = factories.partner(embargo_access=True)
    plain, trusted = factories.partner_auth(plain_key), factories.partner_auth(trusted_key)
    lifted = utcnow() + timedelta(hours=1)
    article = factories.published(factories.article(reporter), editor, embargo_until=lifted)
    other = factories.published(factories.article(reporter, headline="Other"), editor)

    early, plain_cursor = _all(client, plain)
    assert [i["article_id"] for i in early] == [other.id]
    embargoed, trusted_cursor = _all(client, trusted)
    assert [(i["article_id"], i["embargoed"]) for i in embargoed] == [
        (article.id, True),
        (other.id, False),
    ]
    assert embargoed[0]["embargo_until"] == lifted.isoformat()

    assert [o.runner for o in run_worker(lifted - timedelta(seconds=1))] == []
    assert _page(client, plain, plain_cursor)["items"] == []

    [outcome] = run_worker(lifted)
    assert (outcome.runner, outcome.result) == ("embargo-release", "done")
    [released] = _page(client, plain, plain_cursor)["items"]
    assert (released["article_id"], released["kind"], released["version"]) == (
        article.id,
        "published",
        1,
    )
    assert released["id"] > max(i["id"] for i in embargoed)
    # Partners with embargo access already had it: no second event for them.
    assert _page(client, trusted, trusted_cursor)["items"] == []
    assert run_worker(lifted + timedelta(hours=1)) == []


def test_no_release_for_a_story_withdrawn_or_superseded_meanwhile(
    client, session, reporter, editor
):
    _, plain_key = factories.partner()
    plain = factories.partner_auth(plain_key)
    lifted = utcnow() + timedelta(hours=1)
    killed = factories.published(factories.article(reporter), editor, embargo_until=lifted)
    factories.withdrawn(killed, editor)
    updated = factories.published(factories.article(reporter, headline="Up"), editor)
    updated = factories.updated(
        updated, reporter, editor, body="Embargoed results.", embargo_until=lifted
    )
    factories.updated(updated, reporter, editor, body="Results out early.")

    outcomes = run_worker(lifted)

    assert [o.result for o in outcomes] == ["done", "done"]
    assert "withdrawn" in outcomes[0].detail
    assert "version 3 is already out" in outcomes[1].detail
    items, _ = _all(client, plain)
    # The killed story was never visible to this partner: not even its kill.
    assert [(i["article_id"], i["kind"], i["version"]) for i in items] == [
        (updated.id, "published", 1),
        (updated.id, "updated", 3),
    ]
    assert (
        db.session.scalar(
            select(DeliveryEvent.id).where(DeliveryEvent.audience == Audience.NO_EMBARGO_ACCESS)
        )
        is None
    )


def test_a_partner_without_embargo_access_never_sees_embargoed_content(
    client, session, reporter, editor, receiver
):
    plain_partner, plain_key = factories.partner(webhook_url=receiver.url)
    receiver.secret = plain_partner.webhook_secret
    plain = factories.partner_auth(plain_key)
    lifted = utcnow() + timedelta(hours=1)
    article = factories.published(factories.article(reporter), editor)
    secret_body = "Embargoed: the study finds cranes are safe."
    factories.updated(article, reporter, editor, body=secret_body, embargo_until=lifted)

    texts = [client.get(path, headers=plain).get_data(as_text=True) for path in (
        CHANGES,
        "/content/v1/articles",
        f"/content/v1/articles/{article.id}",
        f"/content/v1/articles/{article.id}?version=2",
        f"/content/v1/articles/{article.id}?format=ninjs",
        "/content/v1/feeds/atom",
        "/content/v1/feeds/json",
    )]  # fmt: skip
    run_worker(lifted - timedelta(minutes=1))

    assert not any("study finds" in text for text in texts)
    assert [r.payload["event"]["version"] for r in receiver.requests] == [1]
    assert not any(b"study finds" in r.body for r in receiver.requests)


# --- Replay -----------------------------------------------------------------------------------


def test_replaying_the_feed_rebuilds_every_partners_live_set(client, session, reporter, editor):
    partners = {
        "all": factories.partner()[1],
        "sport": factories.partner(sections=["sport"])[1],
        "embargo": factories.partner(embargo_access=True)[1],
        "none": factories.partner(sections=[])[1],
    }
    now = utcnow()
    lifted = now + timedelta(minutes=30)
    stories = []
    for n in range(6):
        section = "sport" if n % 2 else "business"
        stories.append(
            factories.published(
                factories.article(reporter, headline=f"Story {n}", section=section), editor
            )
        )
    stories[0] = factories.updated(stories[0], reporter, editor, body="Update one.")
    stories[1] = factories.updated(
        stories[1], reporter, editor, kind=VersionKind.CORRECTION, note="Fixed.", deck="New"
    )
    stories[2] = factories.updated(
        stories[2], reporter, editor, body="Embargoed update.", embargo_until=lifted
    )
    factories.withdrawn(stories[3], editor)
    embargoed_first = factories.published(
        factories.article(reporter, headline="Under embargo", section="sport"),
        editor,
        embargo_until=lifted + timedelta(hours=1),
    )
    # A story that moves out of the sport section, then is killed.
    moved = factories.updated(stories[5], reporter, editor, section="business", body="Moved.")
    factories.withdrawn(moved, editor)
    ids = [s.id for s in stories] + [embargoed_first.id]

    # Before and after the worker releases the first embargo, paging 3 at a time.
    for moment in (None, lifted):
        if moment is not None:
            run_worker(moment)
        for key in partners.values():
            headers = factories.partner_auth(key)
            items, _ = _all(client, headers, limit=3)
            assert _replay(items) == _content_api(client, headers, ids)

    sport = _replay(_all(client, factories.partner_auth(partners["sport"]))[0])
    assert sport == {
        stories[1].id: 2,
        stories[3].id: "withdrawn",
        moved.id: "withdrawn",
    }
    plain = _replay(_all(client, factories.partner_auth(partners["all"]))[0])
    assert plain[stories[2].id] == 2  # released after the embargo
    assert embargoed_first.id not in plain
    trusted = _replay(_all(client, factories.partner_auth(partners["embargo"]))[0])
    assert trusted[embargoed_first.id] == 1
    assert _all(client, factories.partner_auth(partners["none"]))[0] == []
