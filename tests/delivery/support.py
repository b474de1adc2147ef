"""Helpers for delivery tests: worker passes, exactly as the worker runs them."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from cms.core.extensions import db
from cms.core.jobs import JobOutcome
from cms.core.types import utcnow
from cms.delivery.dispatch import fan_out_next_event
from cms.delivery.models import Delivery, DeliveryState
from cms.jobs import run_pass


def run_worker(now=None) -> list[JobOutcome]:
    """One worker pass (``cms.jobs.run_pass``): each job and webhook step committed on its own.

    Returns the outcomes of every job but the fan-outs, which each event gets
    whether or not anyone subscribes (see ``fan_out`` for those).
    """
    return [outcome for outcome in run_pass(now or utcnow()) if outcome.runner != "fan-out"]


def fan_out() -> None:
    """Queue the webhook deliveries of every event written so far (the worker's fan-out job)."""
    while fan_out_next_event(utcnow(), set()) is not None:
        db.session.commit()


def run_until_idle(now=None, passes: int = 20) -> list[JobOutcome]:
    """Worker passes until one finds nothing to do (backoffs in tests are milliseconds)."""
    outcomes: list[JobOutcome] = []
    for _ in range(passes):
        done = run_worker(now)
        if not done and not _pending():
            return outcomes
        outcomes += done
        time.sleep(0.06)
    return outcomes


def _pending() -> bool:
    count = db.session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.state.in_((DeliveryState.PENDING, DeliveryState.DELIVERING)))
    )
    db.session.commit()
    return bool(count)
