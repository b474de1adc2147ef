"""Running the same work in several threads at once, against a real database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

T = TypeVar("T")


def race(app: Flask, work: Callable[[], T], *, workers: int = 2, timeout: float = 60) -> list[T]:
    """Start ``work`` in ``workers`` threads at the same instant; return what each returned.

    Each thread has its own app context (so its own session). Raises the
    first exception a thread raised, after all have finished.
    """
    start = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(work())
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results
