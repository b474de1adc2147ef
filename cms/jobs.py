"""The worker: every kind of due job, run one at a time, each its own unit of work.

``flask --app wsgi cms worker`` calls :func:`run_pass` in a loop; the tests
call it too, so they exercise exactly what the worker does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from cms.core.extensions import db
from cms.core.jobs import JobOutcome, JobRunner
from cms.core.sqlite import writing
from cms.delivery.dispatch import claim_next_delivery, fan_out_next_event, release_next_embargo
from cms.workflow.scheduler import run_next_scheduled_publication

log = logging.getLogger("cms.worker")

#: The worker's job runners, run in this order on every pass: publications
#: first, then the events they wrote are released, fanned out and sent.
JOB_RUNNERS: tuple[JobRunner, ...] = (
    run_next_scheduled_publication,
    release_next_embargo,
    fan_out_next_event,
    claim_next_delivery,
)


def run_due_jobs(now: datetime) -> Iterator[JobOutcome]:
    """Run every job due at ``now``, one at a time, yielding what happened to each.

    Each job is flushed before it is yielded; the caller commits then, so that
    every job is its own unit of work. A job with a second step
    (``outcome.then``) yields twice: its first step, then, once that is
    committed, its final outcome.
    """
    for runner in JOB_RUNNERS:
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


def run_pass(now: datetime, *, stopping: Callable[[], bool] = lambda: False) -> list[JobOutcome]:
    """Run one worker pass at ``now``, committing each job as it ends; return the outcomes.

    Stops early, between jobs, once ``stopping()`` is true (a claimed webhook
    is still sent first). The pass ends with its session's transaction closed,
    so the next pass starts from a fresh snapshot. Whatever a job raises is
    rolled back and raised again.
    """
    outcomes: list[JobOutcome] = []
    try:
        for outcome in run_due_jobs(now):
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
