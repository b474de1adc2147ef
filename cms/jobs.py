"""The worker: every kind of due job, each its own unit of work, in two lanes.

:func:`run_pass` is one pass over some runners; the tests call it too, so they
exercise exactly what the worker does. ``flask --app wsgi cms worker`` runs
:func:`work`: the timed jobs (scheduled publications, embargo releases, the
fan-out) in one thread and the webhook sends in threads of their own, so that
a slow partner never holds up a publication.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from flask import Flask

from cms.core.extensions import db
from cms.core.jobs import JobOutcome, JobRunner
from cms.core.sqlite import writing
from cms.core.types import utcnow
from cms.delivery.dispatch import claim_next_delivery, fan_out_next_event, release_next_embargo
from cms.workflow.scheduler import run_next_scheduled_publication

log = logging.getLogger("cms.worker")

#: Jobs that must run on time, and the fan-out that queues webhooks: database
#: work only, never a call to a partner.
TIMED_RUNNERS: tuple[JobRunner, ...] = (
    run_next_scheduled_publication,
    release_next_embargo,
    fan_out_next_event,
)
#: Webhook sends: each may wait on a partner's server up to ``CMS_WEBHOOK_TIMEOUT``.
SENDING_RUNNERS: tuple[JobRunner, ...] = (claim_next_delivery,)
#: Every runner, in the order one whole pass runs them: publications first,
#: then the events they wrote are released, fanned out and sent.
JOB_RUNNERS: tuple[JobRunner, ...] = TIMED_RUNNERS + SENDING_RUNNERS
#: Longest sleep between two looks at the stop flag while a lane waits.
_NAP = 0.1


def run_due_jobs(now: datetime, runners: Sequence[JobRunner]) -> Iterator[JobOutcome]:
    """Run every job of ``runners`` due at ``now``, one at a time, yielding what happened.

    Each job is flushed before it is yielded; the caller commits then, so that
    every job is its own unit of work. A job with a second step
    (``outcome.then``) yields twice: its first step, then, once that is
    committed, its final outcome.
    """
    for runner in runners:
        tried: set[int] = set()
        while True:
            # SQLite: a job's transaction writes, so it takes the write lock at BEGIN.
            with writing():
                outcome = runner(now, tried)
            if outcome is None:
                break
            tried.add(outcome.job_id)
            yield outcome
            while outcome.then is not None:
                outcome = outcome.then()
                yield outcome


def run_pass(
    now: datetime,
    *,
    runners: Sequence[JobRunner] | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> list[JobOutcome]:
    """Run one pass of ``runners`` (all of :data:`JOB_RUNNERS` by default) at ``now``.

    Commits each job as it ends and returns the outcomes. Stops early, between
    jobs, once ``stopping()`` is true (a claimed webhook is still sent first).
    The pass ends with its session's transaction closed, so the next pass
    starts from a fresh snapshot. Whatever a job raises is rolled back and
    raised again.
    """
    outcomes: list[JobOutcome] = []
    try:
        for outcome in run_due_jobs(now, JOB_RUNNERS if runners is None else runners):
            db.session.commit()
            outcomes.append(outcome)
            log.info(
                "%s %s: %s %s", outcome.runner, outcome.job_id, outcome.result, outcome.detail
            )
            if stopping() and outcome.then is None:
                break
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return outcomes


def run_logged_pass(
    runners: Sequence[JobRunner] | None = None, stopping: Callable[[], bool] = lambda: False
) -> bool:
    """Run one pass now, logging instead of raising what fails; return whether all went well.

    A broken job must not stop the worker: it was rolled back and is tried
    again on the next pass. The session is removed afterwards.
    """
    try:
        run_pass(utcnow(), runners=runners, stopping=stopping)
        return True
    except Exception:
        log.exception("worker pass failed")
        return False
    finally:
        db.session.remove()


def work(app: Flask, *, interval: float, senders: int, stopping: Callable[[], bool]) -> None:
    """Run passes every ``interval`` seconds until ``stopping()`` is true.

    The timed jobs run in this thread, the webhook sends in ``senders``
    threads; each thread has an app context, hence a database session, of its
    own. A send is bounded by its deadline, so once stopping, every thread
    finishes the job in hand and returns promptly.
    """
    halted = threading.Event()

    def done() -> bool:
        return halted.is_set() or stopping()

    threads = [
        threading.Thread(
            target=_lane, args=(app, SENDING_RUNNERS, interval, done), name=f"webhooks-{n}"
        )
        for n in range(1, senders + 1)
    ]
    for thread in threads:
        thread.start()
    try:
        _lane(app, TIMED_RUNNERS, interval, done)
    finally:
        halted.set()
        for thread in threads:
            thread.join()


def _lane(
    app: Flask, runners: Sequence[JobRunner], interval: float, done: Callable[[], bool]
) -> None:
    """Run passes of ``runners`` every ``interval`` seconds until ``done()``, in an app context."""
    with app.app_context():
        while not done():
            run_logged_pass(runners, done)
            resume = time.monotonic() + interval
            while not done() and time.monotonic() < resume:
                time.sleep(min(_NAP, max(0.0, resume - time.monotonic())))
