"""What a partner sees of a story, remembered by each process until it may have changed.

Partners poll their stories: most requests revalidate (``If-None-Match``) and are
answered "not modified". Each process remembers what :func:`remembered` loaded
(which version of a story a kind of reader sees, and its links), together with
a **stamp** taken before the query ran, and answers from it while the stamp is
the same and the answer is younger than ``CMS_PARTNER_VIEW_CACHE_SECONDS``.
The stamp changes:

- at once, when this process commits a change partners see
  (:func:`cms.core.changes.committed`);
- on SQLite, when any other connection, of any process, commits anything:
  ``PRAGMA data_version`` read on a connection of the process's own that never
  writes. No answer outlives a commit;
- on PostgreSQL, when the process's listener hears of an announced change
  (:mod:`cms.delivery.waiting`). Another process's change reaches this one a
  few milliseconds after it commits, as it would reach a read replica. While the
  listener is not connected nothing is remembered or answered from memory; the
  age limit bounds what a connection lost unnoticed could leave behind.

Time is not part of the stamp: what changes with it (an embargo's end) is
computed from the answer at each request.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app

from cms.core.cache import app_cache
from cms.core.changes import committed
from cms.core.extensions import db
from cms.delivery.waiting import event_signal

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How many answers a process remembers.
VIEWS_CACHED = 4096
#: ``app.extensions`` key of the app's :class:`DataVersion` (SQLite).
_DATA_VERSION = "cms.data_version"


class DataVersion:
    """``PRAGMA data_version`` of a SQLite file, read on this process's own connection.

    The number changes whenever another connection commits; it is only
    comparable with itself, so each process (a forked worker too) opens one
    connection, reads it under a lock, and says which connection it read it on.
    """

    def __init__(self, path: str) -> None:
        self._uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        #: Which connection: the process and how many this object opened before.
        self._opened: tuple[int, int] = (0, 0)
        #: Whether the last read failed (logged once, not on every request).
        self._failing = False

    def read(self) -> tuple[int, int, int] | None:
        """Return the number with the connection it was read on, or ``None`` when the
        file cannot be read."""
        with self._lock:
            try:
                if self._connection is None or self._opened[0] != os.getpid():
                    self._connection = sqlite3.connect(
                        self._uri, uri=True, check_same_thread=False, isolation_level=None
                    )
                    self._opened = (os.getpid(), self._opened[1] + 1)
                (version,) = self._connection.execute("PRAGMA data_version").fetchone()
                self._failing = False
                return (*self._opened, version)
            except sqlite3.Error as error:
                if self._connection is not None or not self._failing:
                    log.warning("cannot read the data version of %s: %s", self._uri, error)
                self._connection = None
                self._failing = True
                return None


def _data_version(app: Flask) -> DataVersion | None:
    """Return ``app``'s :class:`DataVersion`, or ``None`` unless it is on a SQLite file."""
    if _DATA_VERSION not in app.extensions:
        # The engine's URL, not the configured one: Flask-SQLAlchemy puts a relative
        # SQLite path under the instance folder.
        url = db.engine.url
        found = None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            found = DataVersion(url.database)
        app.extensions.setdefault(_DATA_VERSION, found)
    return app.extensions[_DATA_VERSION]


def stamp() -> Hashable | None:
    """Return what changes whenever what partners see may have changed, or ``None`` when
    this process cannot tell now (PostgreSQL's listener is not connected)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    data_version = _data_version(app)
    if data_version is not None:
        version = data_version.read()
        return None if version is None else (committed(), version)
    signal = event_signal()
    if not signal.listening:
        return None
    return (committed(), signal.generation)


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """Return ``load()``, or what it returned for ``key`` before if nothing changed since.

    What ``load`` raises is raised, and not remembered.
    """
    ttl = current_app.config["CMS_PARTNER_VIEW_CACHE_SECONDS"]
    current = stamp() if ttl > 0 else None
    if current is None:
        return load()
    views = app_cache("delivery.views", VIEWS_CACHED)
    now = time.monotonic()
    hit = views.get(key)
    if hit is not None and hit[0] == current and hit[1] > now:
        return hit[2]
    value = load()
    views.put(key, (current, now + ttl, value))
    return value
