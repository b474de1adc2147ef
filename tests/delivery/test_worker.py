"""Webhook delivery by the worker, to a real receiver: retries, order, the log, crashes."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from cms.auth.models import User
from cms.core.extensions import db
from cms.core.sqlite import writing
from cms.core.types import utcnow
from cms.delivery import operations
from cms.delivery.dispatch import claim_next_delivery
from cms.delivery.models import Delivery, DeliveryAttempt, DeliveryState, Partner
from cms.outbox.models import DeliveryEvent
from cms.workflow import operations as workflow_ops
from cms.workflow.models import ScheduledPublication, ScheduleState
from tests import factories, receivers
from tests.delivery.support import fan_out, run_until_idle, run_worker
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")


def _deliveries(partner_id=None) -> list[Delivery]:
    statement = select(Delivery).order_by(Delivery.id).execution_options(populate_existing=True)
    if partner_id is not None:
        statement = statement.where(Delivery.partner_id == partner_id)
    return list(db.session.scalars(statement))


def _attempts(delivery_id) -> list[DeliveryAttempt]:
    return list(
        db.session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.number)
        )
    )


@pytest.fixture
def subscribed(session, receiver):
    """A partner whose webhook is the receiver, which knows its secret."""
    partner, _key = factories.partner(webhook_url=receiver.url)
    receiver.secret = partner.webhook_secret
    return partner


def test_each_publication_and_kill_is_posted_signed(subscribed, receiver, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    article = factories.updated(article, reporter, editor, body="Update.")

    outcomes = run_worker()
    factories.withdrawn(article, editor, "Legal")
    outcomes += run_worker()

    assert [o.result for o in outcomes] == ["claimed", "delivered"] * 3
    assert [(r.payload["event"]["kind"], r.attempt, r.verified) for r in receiver.requests] == [
        ("published", 1, True),
        ("updated", 1, True),
        ("withdrawn", 1, True),
    ]
    published, updated_, killed = (r.payload for r in receiver.requests)
    assert (published["article"]["version"], updated_["article"]["version"]) == (1, 2)
    assert updated_["article"]["body"] == "Update."
    assert killed["withdrawal"]["reason"] == "Legal"
    assert killed["withdrawal"]["headline"] == factories.STORY["headline"]
    assert [r.event_id for r in receiver.requests] == [
        p["event"]["id"] for p in (published, updated_, killed)
    ]
    assert all(d.state == DeliveryState.DELIVERED for d in _deliveries())
    assert run_worker() == []


def test_a_story_killed_before_its_webhook_went_out_is_not_sent(
    subscribed, receiver, reporter, editor
):
    article = factories.published(factories.article(reporter), editor)
    factories.withdrawn(article, editor, "Legal")

    run_worker()

    published, killed = (r.payload for r in receiver.requests)
    assert published["event"]["kind"] == "published"
    assert published["article"] is None
    assert killed["event"]["kind"] == "withdrawn"


def test_the_payload_is_the_content_api_shape(client, subscribed, receiver, reporter, editor):
    article = factories.published(factories.article(reporter), editor)
    key = delivery_key = factories.partner()[1]
    assert key == delivery_key

    run_worker()

    api = client.get(
        f"/content/v1/articles/{article.id}", headers=factories.partner_auth(key)
    ).json
    [request] = receiver.requests
    assert request.payload["article"] == api
    changes = client.get("/content/v1/changes", headers=factories.partner_auth(key)).json
    assert request.payload["event"] == changes["items"][0]


def test_a_500_is_retried_with_the_same_event_id_until_delivered(
    subscribed, receiver, reporter, editor
):
    receiver.answer(500, 503)
    factories.published(factories.article(reporter), editor)

    run_until_idle()

    assert [(r.attempt, r.status) for r in receiver.requests] == [(1, 500), (2, 503), (3, 200)]
    assert len({r.event_id for r in receiver.requests}) == 1
    [delivery] = _deliveries()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        DeliveryState.DELIVERED,
        3,
        200,
    )
    assert [(a.number, a.status, a.outcome) for a in _attempts(delivery.id)] == [
        (1, 500, "retry"),
        (2, 503, "retry"),
        (3, 200, "delivered"),
    ]


def test_a_delivery_is_dead_after_the_attempt_limit(subscribed, receiver, reporter, editor):
    receiver.status = 500
    factories.published(factories.article(reporter), editor)

    run_until_idle()

    assert [r.attempt for r in receiver.requests] == [1, 2, 3]
    [delivery] = _deliveries()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.last_error == "HTTP 500 (gave up after 3 attempts)"


def test_a_4xx_is_dead_at_once(subscribed, receiver, reporter, editor):
    receiver.answer(422)
    factories.published(factories.article(reporter), editor)

    run_until_idle()

    assert [r.status for r in receiver.requests] == [422]
    assert _deliveries()[0].state == DeliveryState.DEAD


def test_a_410_pauses_the_webhook_until_an_admin_resumes_it(
    subscribed, receiver, reporter, editor
):
    from cms.delivery import operations

    receiver.answer(410)
    factories.published(factories.article(reporter), editor)
    factories.published(factories.article(reporter, headline="Second"), editor)

    run_until_idle(passes=3)

    assert [r.status for r in receiver.requests] == [410]
    first, second = _deliveries()
    assert first.state == DeliveryState.DEAD
    assert "gone" in first.last_error
    assert second.state == DeliveryState.PENDING
    partner = db.session.get(Partner, subscribed.id, populate_existing=True)
    assert partner.webhook_paused_at is not None

    operations.update_partner(partner, webhook_paused=False)
    operations.redeliver(partner, first.id)
    db.session.commit()
    run_until_idle()

    assert [(r.event_id, r.status) for r in receiver.requests[1:]] == [
        (first.event_id, 200),
        (second.event_id, 200),
    ]


def test_a_receiver_that_is_down_is_retried_then_given_up(session, reporter, editor):
    factories.partner(webhook_url=f"http://127.0.0.1:{free_port()}/hook")  # nothing listens
    factories.published(factories.article(reporter), editor)

    run_until_idle()

    [delivery] = _deliveries()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == 3
    assert "Connection" in delivery.last_error
    assert [a.status for a in _attempts(delivery.id)] == [None, None, None]


def test_a_slow_receiver_times_out_and_is_retried(subscribed, receiver, reporter, editor, app):
    app.config["CMS_WEBHOOK_TIMEOUT"] = 0.3
    receiver.delay = 0.6
    factories.published(factories.article(reporter), editor)

    run_worker()
    receiver.delay = 0
    run_until_idle()

    [delivery] = _deliveries()
    first, *_rest, last = _attempts(delivery.id)
    assert (first.error, first.outcome) == ("timed out after 0.3s", "retry")
    assert last.outcome == "delivered"
    assert delivery.state == DeliveryState.DELIVERED


def test_per_partner_order_holds_while_an_earlier_event_is_retried(
    subscribed, receiver, reporter, editor
):
    other_receiver = receivers.Receiver().start()
    try:
        other, _ = factories.partner(webhook_url=other_receiver.url)
        other_receiver.secret = other.webhook_secret
        receiver.answer(500, 500)
        stories = [
            factories.published(factories.article(reporter, headline=f"S{n}"), editor)
            for n in range(3)
        ]

        run_until_idle()
    finally:
        other_receiver.stop()

    events = [r.event_id for r in receiver.requests]
    assert events == sorted(events)
    assert [r.status for r in receiver.requests] == [500, 500, 200, 200, 200]
    # Another partner is not held up by this one's failures.
    assert len(other_receiver.requests) == len(stories)
    assert other_receiver.requests[0].at < receiver.requests[2].at


def test_a_dead_delivery_does_not_block_later_ones(subscribed, receiver, reporter, editor):
    receiver.answer(500, 500, 500)
    factories.published(factories.article(reporter, headline="One"), editor)
    factories.published(factories.article(reporter, headline="Two"), editor)

    run_until_idle()

    states = [d.state for d in _deliveries()]
    assert states == [DeliveryState.DEAD, DeliveryState.DELIVERED]


def test_a_webhook_url_that_now_resolves_privately_is_refused_at_delivery(
    app, subscribed, receiver, reporter, editor
):
    app.config["CMS_WEBHOOK_ALLOW_PRIVATE"] = False
    factories.published(factories.article(reporter), editor)

    run_until_idle()

    assert receiver.requests == []
    [delivery] = _deliveries()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.last_error.startswith("refused: ")


def test_inactive_partners_and_partners_without_webhooks_get_no_deliveries(
    session, receiver, reporter, editor
):
    from cms.delivery import operations

    factories.partner()  # pulls only
    inactive, _ = factories.partner(webhook_url=receiver.url)
    operations.update_partner(inactive, active=False)
    db.session.commit()
    factories.published(factories.article(reporter), editor)

    assert _deliveries() == []


def test_embargoed_events_go_to_embargo_partners_at_once_and_to_others_on_release(
    session, reporter, editor
):
    from datetime import timedelta

    from cms.core.types import utcnow

    with receivers.running() as plain_rx, receivers.running() as trusted_rx:
        plain, _ = factories.partner(webhook_url=plain_rx.url)
        trusted, _ = factories.partner(webhook_url=trusted_rx.url, embargo_access=True)
        plain_rx.secret, trusted_rx.secret = plain.webhook_secret, trusted.webhook_secret
        lifted = utcnow() + timedelta(hours=1)
        factories.published(factories.article(reporter), editor, embargo_until=lifted)

        run_until_idle()
        assert plain_rx.requests == []
        [early] = trusted_rx.requests
        assert early.payload["article"]["embargoed"] is True

        run_worker(lifted)
        run_until_idle(lifted)

        [released] = plain_rx.requests
        assert released.payload["event"]["kind"] == "published"
        assert released.event_id > early.event_id
        assert len(trusted_rx.requests) == 1


# --- Deadlines, lost attempts, URLs a request cannot carry -----------------------------------


def test_an_attempt_to_a_dripping_receiver_ends_at_its_deadline_and_is_recorded(
    app, subscribed, receiver, reporter, editor
):
    # A byte every 2 s never lets one read wait 3 s: only the attempt's deadline ends it.
    app.config.update(CMS_WEBHOOK_TIMEOUT=3.0, CMS_WEBHOOK_LEASE_SECONDS=30.0)
    receiver.drip = 2.0
    factories.published(factories.article(reporter), editor)
    started = time.monotonic()

    outcomes = run_worker()

    assert time.monotonic() - started < 30  # well inside the lease: no one sends it twice
    assert [o.result for o in outcomes] == ["claimed", "retry"]
    [delivery] = _deliveries()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert delivery.last_error == "timed out after 3s"
    [attempt] = _attempts(delivery.id)
    assert (attempt.outcome, attempt.error) == ("retry", "timed out after 3s")
    assert 3000 <= attempt.duration_ms < 30_000


def _claim_and_die() -> None:
    """Claim the next delivery as a worker does, then stop before sending (a killed worker)."""
    outcome = claim_next_delivery(utcnow(), set())
    assert outcome is not None
    assert outcome.result == "claimed"
    db.session.commit()


def _time_passes() -> None:
    """Make every lease and backoff of the deliveries run out now."""
    db.session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_lost_attempt_counts_toward_the_limit(subscribed, receiver, reporter, editor):
    receiver.status = 500
    factories.published(factories.article(reporter), editor)
    fan_out()
    _claim_and_die()
    _time_passes()

    run_until_idle()

    # The lost attempt never reached the receiver; attempts 2 and 3 did.
    assert len(receiver.requests) == 2
    [delivery] = _deliveries()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DEAD, 3)
    assert delivery.last_error == "HTTP 500 (gave up after 3 attempts)"
    assert [(a.number, a.outcome) for a in _attempts(delivery.id)] == [
        (1, "lost"),
        (2, "retry"),
        (3, "dead"),
    ]


def test_a_lost_last_attempt_makes_the_delivery_dead_and_the_next_one_goes_out(
    subscribed, receiver, reporter, editor
):
    receiver.answer(500, 500)
    factories.published(factories.article(reporter, headline="One"), editor)
    factories.published(factories.article(reporter, headline="Two"), editor)
    run_worker()
    _time_passes()
    run_worker()
    _time_passes()
    _claim_and_die()
    _time_passes()

    run_until_idle()

    first, second = _deliveries()
    assert (first.state, first.attempts, first.last_status) == (DeliveryState.DEAD, 3, None)
    assert first.last_error == (
        "attempt 3: the worker stopped during this attempt; its lease ran out "
        "(gave up after 3 attempts)"
    )
    assert [(a.number, a.outcome) for a in _attempts(first.id)] == [
        (1, "retry"),
        (2, "retry"),
        (3, "lost"),
    ]
    assert second.state == DeliveryState.DELIVERED
    assert [(r.event_id, r.attempt, r.status) for r in receiver.requests] == [
        (first.event_id, 1, 500),
        (first.event_id, 2, 500),
        (second.event_id, 1, 200),
    ]


def test_a_stored_url_a_request_cannot_carry_is_dead_at_once_and_blocks_nothing(
    subscribed, receiver, reporter, editor
):
    # Stored before such URLs were refused when set.
    db.session.execute(
        update(Partner)
        .where(Partner.id == subscribed.id)
        .values(webhook_url=receiver.url + "/café")
    )
    db.session.commit()
    factories.published(factories.article(reporter, headline="One"), editor)
    factories.published(factories.article(reporter, headline="Two"), editor)

    outcomes = run_until_idle()

    assert [o.result for o in outcomes] == ["claimed", "dead", "claimed", "dead"]
    assert receiver.requests == []
    for delivery in _deliveries():
        assert (delivery.state, delivery.attempts) == (DeliveryState.DEAD, 1)
        assert delivery.last_error.startswith("refused: The path or query has characters")
        assert delivery.last_error.endswith("/hooks/newsroom/caf%C3%A9")

    partner = db.session.get_one(Partner, subscribed.id)
    operations.update_partner(partner, webhook_url=receiver.url)
    db.session.commit()
    factories.published(factories.article(reporter, headline="Three"), editor)
    run_until_idle()

    assert [d.state for d in _deliveries()][-1] == DeliveryState.DELIVERED
    assert [r.payload["article"]["headline"] for r in receiver.requests] == ["Three"]


# --- Crashes and concurrency (real commits) ---------------------------------------------------


def _worker_process(database_url: str, log: Path, **settings: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "CMS_DATABASE_URL": database_url,
        "CMS_WEBHOOK_ALLOW_PRIVATE": "1",
        "CMS_WEBHOOK_TIMEOUT": "2",
        "CMS_WEBHOOK_LEASE_SECONDS": "5",
        "CMS_WEBHOOK_BACKOFF_BASE": "0.05",
        "CMS_WEBHOOK_BACKOFF_MAX": "0.2",
        **settings,
    }
    with log.open("a") as output:
        return subprocess.Popen(
            [str(FLASK), "--app", "wsgi", "cms", "worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.live
def test_a_worker_killed_mid_delivery_loses_nothing(live_db, database_url, tmp_path):
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    log = tmp_path / "worker.log"
    with receivers.running() as receiver:
        partner, _ = factories.partner(webhook_url=receiver.url)
        receiver.secret = partner.webhook_secret
        for n in range(3):
            factories.published(factories.article(reporter, headline=f"Story {n}"), editor)
        db.session.remove()
        receiver.hang()

        worker = _worker_process(database_url, log)
        try:
            receiver.wait_for(lambda requests: len(requests) == 1)
            worker.send_signal(signal.SIGKILL)  # mid-request: no chance to record anything
            worker.wait(timeout=10)
        finally:
            worker.kill()
        receiver.release()

        restarted = _worker_process(database_url, log)
        try:
            receiver.wait_for(
                lambda r: (
                    {x.event_id for x in r[1:] if x.status == 200} == {x.event_id for x in r}
                    and len({x.event_id for x in r}) == 3
                ),
                timeout=30,
            )
            receiver.wait_for(lambda r: len(r) >= 4)
        finally:
            restarted.terminate()
            assert restarted.wait(timeout=20) == 0, log.read_text()

    summary = receiver.summary()
    assert all(r.verified for r in receiver.requests)
    first = summary[0][0]
    # The interrupted event came again, with the same event id and the next attempt number.
    assert [(event, attempt) for event, attempt, _ in summary if event == first] == [
        (first, 1),
        (first, 2),
    ]
    assert [event for event, _, _ in summary] == sorted(event for event, _, _ in summary)
    deliveries = _deliveries()
    assert [d.state for d in deliveries] == [DeliveryState.DELIVERED] * 3
    assert [a.outcome for a in _attempts(deliveries[0].id)] == ["lost", "delivered"]


def _workers_until_idle(app, count: int, passes: int) -> None:
    """Run ``count`` workers, each in a thread of its own, until none finds work; re-raise."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def work():
        try:
            with app.app_context():
                start.wait(timeout=10)
                run_until_idle(passes=passes)
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []


@pytest.mark.live
def test_parallel_workers_never_send_the_same_attempt_twice(live_db, monkeypatch):
    app = live_db
    # No lease may lapse here: every attempt is recorded by the worker that made it.
    monkeypatch.setitem(app.config, "CMS_WEBHOOK_LEASE_SECONDS", 30.0)
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    with receivers.running() as receiver:
        partners = [
            factories.partner(webhook_url=f"{receiver.url}?partner={n}")[0] for n in range(3)
        ]
        # One secret for all, so that the one receiver verifies every partner's requests.
        db.session.execute(update(Partner).values(webhook_secret=partners[0].webhook_secret))
        db.session.commit()
        receiver.secret = partners[0].webhook_secret
        receiver.answer(500, 503)
        for n in range(8):
            factories.published(factories.article(reporter, headline=f"Story {n}"), editor)
        db.session.remove()
        _workers_until_idle(app, 3, passes=40)

    sent = collections.Counter((r.path, r.event_id, r.attempt) for r in receiver.requests)
    assert [request for request, count in sent.items() if count > 1] == []
    delivered = collections.Counter(
        (r.path, r.event_id) for r in receiver.requests if r.status == 200
    )
    assert len(delivered) == 3 * 8
    assert set(delivered.values()) == {1}
    assert {d.state for d in _deliveries()} == {DeliveryState.DELIVERED}
    for n in range(3):
        events = [r.event_id for r in receiver.requests if r.path.endswith(f"partner={n}")]
        assert events == sorted(events)


@pytest.mark.live
def test_two_workers_and_a_dripping_receiver_send_each_attempt_once_then_give_up(live_db):
    # The receiver drips faster than the 1 s timeout, so only the attempt's deadline
    # ends each attempt, inside the 3 s lease: no worker ever takes over another's.
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    with receivers.running() as receiver:
        partner, _ = factories.partner(webhook_url=receiver.url)
        receiver.secret = partner.webhook_secret
        receiver.drip = 0.5
        factories.published(factories.article(reporter), editor)
        db.session.remove()
        _workers_until_idle(live_db, 2, passes=60)

    assert [r.attempt for r in receiver.requests] == [1, 2, 3]
    [delivery] = _deliveries()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DEAD, 3)
    assert delivery.last_error == "timed out after 1s (gave up after 3 attempts)"
    assert [a.outcome for a in _attempts(delivery.id)] == ["retry", "retry", "dead"]


def _wait_until(condition, timeout: float) -> None:
    """Poll the database until ``condition()`` holds; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        db.session.remove()  # the next look sees what was committed since
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


@pytest.mark.live
def test_publishing_and_embargo_releases_do_not_wait_behind_a_dripping_webhook(
    live_db, database_url, tmp_path
):
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    log = tmp_path / "worker.log"
    worker = None
    try:
        with receivers.running() as receiver:
            partner, _ = factories.partner(webhook_url=receiver.url)
            receiver.secret = partner.webhook_secret
            receiver.drip = 2.0
            factories.published(factories.article(reporter, headline="Dripping"), editor)
            people = (reporter.id, editor.id)
            db.session.remove()
            worker = _worker_process(
                database_url, log, CMS_WEBHOOK_TIMEOUT="120", CMS_WEBHOOK_LEASE_SECONDS="240"
            )
            receiver.wait_for(lambda requests: len(requests) == 1, timeout=60)

            # While that attempt drips, a publication and an embargo fall due. (SQLite: the
            # worker process writes meanwhile, so these transactions take the lock at BEGIN.)
            with writing():
                reporter, editor = (db.session.get_one(User, person) for person in people)
                scheduled = factories.approved(
                    factories.article(reporter, headline="Sched"), editor
                )
                due = utcnow() + timedelta(seconds=1)
                workflow_ops.schedule(scheduled, scheduled.etag, editor, publish_at=due)
                factories.published(
                    factories.article(reporter, headline="Embargoed"), editor, embargo_until=due
                )
                db.session.commit()
            _wait_until(
                lambda: (
                    db.session.scalar(select(ScheduledPublication.state)) == ScheduleState.DONE
                    and db.session.scalar(
                        select(DeliveryEvent.lifted_at).where(
                            DeliveryEvent.embargo_until.is_not(None)
                        )
                    )
                    is not None
                ),
                timeout=60,
            )

            [dripping] = receiver.requests
            assert dripping.ended is None  # still in flight
            assert _deliveries()[0].state == DeliveryState.DELIVERING
            job = db.session.scalar(select(ScheduledPublication))
            assert job.finished_at - due < timedelta(seconds=60)
        # The receiver has hung up, which ends the attempt: the worker can stop now.
        worker.terminate()
        assert worker.wait(timeout=60) == 0, log.read_text()
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
