"""Announcing, when a transaction commits, that what partners see has changed.

A transaction that publishes, updates, corrects, releases or withdraws a story,
or changes its lineage, calls :func:`announce`. If (and only if) it commits:

- on PostgreSQL, ``pg_notify`` on :data:`CHANNEL` reaches every process's
  listener (:mod:`cms.delivery.waiting`): long polls wake, and cached partner
  views made before the change are no longer used;
- in the committing process, :func:`committed` grows at once, so its own
  next request never answers from a view cached before the change.
"""

from __future__ import annotations

import threading

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cms.core.extensions import db

#: The PostgreSQL channel told of every announced change when its transaction commits.
CHANNEL = "cms_delivery_events"
#: Marks, in a session's ``info``, a transaction that announced a change.
_ANNOUNCED = "cms.announced"

_lock = threading.Lock()
_committed = 0


def announce(payload: str) -> None:
    """Announce a change of what partners see, delivered when the session's transaction
    commits (``payload``: what changed, for the logs of whoever listens)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(CHANNEL, payload)))
    session.info[_ANNOUNCED] = True


def committed() -> int:
    """A number that grows whenever this process commits an announced change."""
    return _committed


def count_change() -> None:
    """Count a change this process made to what partners see, without a commit: its
    tests' outer transaction, rolled back, undoes changes it had counted as committed."""
    global _committed
    with _lock:
        _committed += 1


def _after_commit(session: Session) -> None:
    # A mark left by a rolled-back transaction is counted at the session's next
    # commit, if any: one cache refresh too many, never one too few.
    if session.info.pop(_ANNOUNCED, False):
        count_change()


def init_announcements() -> None:
    """Count announced changes as their sessions commit (once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
