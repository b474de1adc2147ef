"""Helpers for delivery tests: worker passes, committed as the CLI commits them."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from cms.core.types import utcnow
from cms.delivery.models import Delivery, DeliveryState
from cms.extensions import db
from cms.workflow import operations as workflow_ops


def run_worker(now=None) -> list[workflow_ops.JobOutcome]:
    """One worker pass, each job (and each webhook step) committed on its own, as the CLI does."""
    outcomes = []
    for outcome in workflow_ops.run_due_jobs(now or utcnow()):
        db.session.commit()
        outcomes.append(outcome)
    # The CLI ends each pass's session; a read left open would make the next
    # pass's first write upgrade a stale SQLite snapshot.
    db.session.commit()
    return outcomes


def run_until_idle(now=None, passes: int = 20) -> list[workflow_ops.JobOutcome]:
    """Worker passes until one finds nothing to do (backoffs in tests are milliseconds)."""
    outcomes: list[workflow_ops.JobOutcome] = []
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
