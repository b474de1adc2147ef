"""What a worker job is: a runner that does the next due job and says what happened.

The runners live with their domains (scheduled publications in
:mod:`cms.workflow`, embargo releases and webhooks in :mod:`cms.delivery`);
:mod:`cms.jobs` runs them in turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What happened to one job in a worker pass."""

    #: The runner's name, e.g. ``scheduled-publication``.
    runner: str
    job_id: int
    #: ``done``, ``failed`` (visibly, for good), ``skipped`` (another worker had
    #: it) or ``retry`` (left pending for the next pass); a webhook delivery
    #: also ``claimed``, ``delivered`` or ``dead``.
    result: str
    detail: str = ""
    #: The job's second step, run once this outcome is committed; it returns
    #: the job's final outcome. A webhook delivery commits its claim first and
    #: makes the HTTP call here, outside any transaction.
    then: Callable[[], JobOutcome] | None = None


#: A runner takes ``now`` and the ids it already tried in this pass, runs the
#: next due job (flushing, never committing) and says what happened, or
#: returns ``None`` when nothing more is due.
JobRunner = Callable[[datetime, set[int]], JobOutcome | None]


def outcome_factory(runner: str, job_id: int) -> Callable[..., JobOutcome]:
    """Return a shorthand that builds ``runner``'s outcomes for the job ``job_id``."""

    def outcome(
        result: str, detail: str = "", then: Callable[[], JobOutcome] | None = None
    ) -> JobOutcome:
        return JobOutcome(runner=runner, job_id=job_id, result=result, detail=detail, then=then)

    return outcome
