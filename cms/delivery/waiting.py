"""Long polling: hold a partner's request until a delivery event commits, or a deadline.

A waiting request holds no database connection: it checks, gives its session
back, waits on a :class:`threading.Condition`, and checks again when woken.

Who wakes it:

- **PostgreSQL**: the transaction that writes a delivery event also runs
  ``pg_notify`` (:func:`cms.core.changes.announce`), delivered when it
  commits. Each process has **one** listener thread on a dedicated connection
  (``LISTEN``), which wakes every waiting request of the process. One
  connection per process, not one per waiting request: a thousand waiting
  partners must not take a thousand of the server's connections. While the
  listener is not connected (at start, after the database restarted), waiting
  requests check every ``CMS_LONG_POLL_INTERVAL`` instead, and they all check
  again when it reconnects, so nothing committed meanwhile waits for the deadline.
- **SQLite**: no notifications; a waiting request checks every
  ``CMS_LONG_POLL_INTERVAL`` seconds (0.25 by default), one indexed query each.

A request also stops waiting, within a second, when its client has gone
(under gunicorn, whose workers hand the socket to the app).
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
from flask import Flask, current_app, request
from sqlalchemy import make_url

from cms.core.changes import CHANNEL
from cms.core.extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Longest a waiting request goes without looking at its client.
_CLIENT_CHECK_SECONDS = 1.0
#: The listener's ``application_name``, as ``pg_stat_activity`` shows it.
LISTENER_NAME = "cms-listener"
#: Longest the listener waits on its socket before looking for notifications anyway.
_LISTEN_SLICE_SECONDS = 5.0
#: Pause before the listener reconnects after losing its connection.
_RECONNECT_SECONDS = 1.0


class EventSignal:
    """Wakes the requests of one process that wait for delivery events."""

    def __init__(self, conninfo: str | None, connect_timeout: int) -> None:
        #: Where to ``LISTEN`` (a PostgreSQL connection string), or ``None`` (SQLite).
        self._conninfo = conninfo
        self._connect_timeout = connect_timeout
        self._changed = threading.Condition()
        self._generation = 0
        self._listener: threading.Thread | None = None
        #: Whether notifications arrive now: the listener is connected and listening.
        self.listening = False

    @property
    def generation(self) -> int:
        """A number that grows whenever an event may have committed."""
        with self._changed:
            return self._generation

    def notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until :attr:`generation` differs from ``seen``, at most ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation != seen, timeout)
            return self._generation

    def start(self) -> None:
        """Start listening (once per process), on PostgreSQL."""
        if self._conninfo is None:
            return
        with self._changed:
            if self._listener is not None:
                return
            self._listener = threading.Thread(
                target=self._listen_forever, name="event-listener", daemon=True
            )
        self._listener.start()

    def _listen_forever(self) -> None:
        assert self._conninfo is not None
        while True:
            try:
                with psycopg.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=self._connect_timeout,
                    application_name=LISTENER_NAME,
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    # Whatever committed while no one listened is looked at now.
                    self.notify()
                    while True:
                        for _notice in connection.notifies(timeout=0):
                            self.notify()
                        # Wait on the socket here, not in notifies(timeout=...): psycopg
                        # wakes every 0.1 s to look for signals, and each wake-up took the
                        # GIL from the process's requests (+25 µs, a fifth of /healthz).
                        select.select([connection.fileno()], [], [], _LISTEN_SLICE_SECONDS)
            except Exception as error:
                if self.listening:
                    log.warning("event listener lost its connection: %s", error)
                self.listening = False
                time.sleep(_RECONNECT_SECONDS)


def _signal_for(app: Flask) -> EventSignal:
    found = app.extensions.get("cms.event_signal")
    if found is None:
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        conninfo = None
        if url.get_backend_name() == "postgresql":
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
        found = app.extensions.setdefault(
            "cms.event_signal", EventSignal(conninfo, int(options.get("connect_timeout", 5)))
        )
    return found


def event_signal() -> EventSignal:
    """Return the current app's :class:`EventSignal`, listening if it can."""
    signal = _signal_for(current_app._get_current_object())  # type: ignore[attr-defined]
    signal.start()
    return signal


def client_gone() -> bool:
    """Whether the client of the current request has closed its connection, as far as
    can be told (under gunicorn; never under a server that hides its socket)."""
    sock = request.environ.get("gunicorn.socket")
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, ValueError):
        # Nothing to read yet; or TLS, where peeking is not possible.
        return False
    except OSError:
        return True


def long_poll(check: Callable[[], T], found: Callable[[T], bool], seconds: float) -> T:
    """Return ``check()`` once ``found`` holds of it, or its last value after ``seconds``.

    Between checks the request's transaction is ended (its connection back in
    the pool) and the request waits to be woken (see the module).
    Returns early, with the last value, when the client has gone. With
    ``seconds`` 0, simply returns ``check()``.
    """
    if seconds <= 0:
        return check()
    signal = event_signal()
    seen = signal.generation
    value = check()
    deadline = time.monotonic() + seconds
    interval = current_app.config["CMS_LONG_POLL_INTERVAL"]
    while not found(value):
        left = deadline - time.monotonic()
        if left <= 0:
            return value
        # Nothing to keep (a read): end the transaction, its connection back in the pool.
        db.session.rollback()
        slice_ = min(left, _CLIENT_CHECK_SECONDS if signal.listening else interval)
        generation = signal.wait(seen, min(slice_, _CLIENT_CHECK_SECONDS))
        if client_gone():
            log.info("long poll ended: the client has gone")
            return value
        if generation != seen or not signal.listening:
            seen = generation
            value = check()
    return value
