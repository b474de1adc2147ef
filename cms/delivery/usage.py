"""Counting what partners fetch, in memory, and adding it to ``partner_usage`` now and then.

A partner's read must stay as fast as it is, so nothing is written per
request: each API process counts fetches in a dictionary keyed by (partner,
UTC day, story, channel) — a lock and an addition — and a thread of its own
adds the counts to the ``partner_usage`` table every ``CMS_USAGE_FLUSH_SECONDS``
(one upsert per key, one transaction), and once more when the process exits
normally. A process that is killed loses at most the counts of its last
interval; a flush that fails puts its counts back for the next one.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import date

from flask import Flask, current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from cms.core.extensions import db
from cms.core.types import utcnow
from cms.delivery.models import PartnerUsage, UsageChannel

log = logging.getLogger(__name__)

#: A count's key: partner id, UTC day, article id, channel.
Key = tuple[int, date, int, UsageChannel]


class UsageCounter:
    """One process's fetch counts not yet in the database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Key] = Counter()
        self._flusher: threading.Thread | None = None

    def count(self, partner_id: int, article_ids: Iterable[int], channel: UsageChannel) -> None:
        day = utcnow().date()
        with self._lock:
            for article_id in article_ids:
                self._counts[(partner_id, day, article_id, channel)] += 1

    def take(self) -> Counter[Key]:
        """Return the counts so far and start counting from zero."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return counts

    def put_back(self, counts: Counter[Key]) -> None:
        with self._lock:
            self._counts.update(counts)

    def pending(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    @property
    def flushing(self) -> bool:
        return self._flusher is not None

    def start_flushing(self, app: Flask, interval: float) -> None:
        """Start this process's flushing thread (once), every ``interval`` seconds."""
        with self._lock:
            if self._flusher is not None:
                return
            self._flusher = threading.Thread(
                target=_flush_forever, args=(app, self, interval), name="usage", daemon=True
            )
        self._flusher.start()
        atexit.register(flush_committed, app, self)


def counter(app: Flask | None = None) -> UsageCounter:
    """Return the app's counter (one per app, so two apps in a process never mix counts)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("cms.usage")
    if found is None:
        found = app.extensions.setdefault("cms.usage", UsageCounter())
    return found


def count(partner_id: int, article_ids: Iterable[int], channel: UsageChannel) -> None:
    """Count one fetch by the partner of each story in ``article_ids`` through ``channel``.

    Starts the flushing thread on first use, unless ``CMS_USAGE_FLUSH_SECONDS``
    is 0 (then the counts wait for :func:`flush`).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    counts = counter(app)
    counts.count(partner_id, article_ids, channel)
    interval = app.config["CMS_USAGE_FLUSH_SECONDS"]
    if interval > 0 and not counts.flushing:
        counts.start_flushing(app, interval)


def flush(counts: UsageCounter | None = None) -> int:
    """Add the pending counts to ``partner_usage`` in the session's transaction; flush.

    Returns how many (partner, day, story, channel) rows were added to. The
    caller commits; if it rolls back, it should :meth:`UsageCounter.put_back`
    the counts (as :func:`flush_committed` does).
    """
    counts = counts or counter()
    taken = counts.take()
    if not taken:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {"partner_id": p, "day": d, "article_id": a, "channel": c, "fetches": n}
        for (p, d, a, c), n in sorted(taken.items())
    ]
    statement = insert(PartnerUsage)
    statement = statement.on_conflict_do_update(
        index_elements=["partner_id", "day", "article_id", "channel"],
        set_={"fetches": PartnerUsage.fetches + statement.excluded.fetches},
    )
    try:
        db.session.execute(statement, rows)
        db.session.flush()
    except Exception:
        counts.put_back(taken)
        raise
    return len(rows)


def flush_committed(app: Flask, counts: UsageCounter) -> None:
    """Flush ``counts`` in a transaction of its own and commit; log what fails.

    Counts of a partner or story since deleted cannot be added and are dropped.
    """
    with app.app_context():
        try:
            flush(counts)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            dropped = sum(counts.take().values())
            log.warning("usage counts dropped (%s fetches): a partner or story is gone", dropped)
        except Exception:
            db.session.rollback()
            log.exception("usage counts not flushed; kept for the next try")
        finally:
            db.session.remove()


def _flush_forever(app: Flask, counts: UsageCounter, interval: float) -> None:
    stop = threading.Event()
    while not stop.wait(interval):
        flush_committed(app, counts)
