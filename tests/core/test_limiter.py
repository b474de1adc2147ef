"""The in-memory quota store: limits' moving window, kept oldest first."""

from __future__ import annotations

import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st
from limits.storage import MemoryStorage
from limits.storage import memory as limits_memory

from cms.core import limiter
from cms.core.limiter import SweptMemoryStorage

#: The window's length in seconds.
WINDOW = 10


class _Clock:
    """Time as the two storages read it: moved only by the test."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


class _NoTimer:
    """A timer that never fires: the test sweeps when it chooses."""

    def __init__(self, *_args: object) -> None:
        pass

    def start(self) -> None:
        pass

    def is_alive(self) -> bool:
        return True


@contextmanager
def _controlled_time() -> Iterator[_Clock]:
    clock = _Clock()
    no_timers = types.SimpleNamespace(Timer=_NoTimer, RLock=threading.RLock)
    with (
        mock.patch.object(limits_memory, "time", clock),
        mock.patch.object(limits_memory, "threading", no_timers),
        mock.patch.object(limiter, "time", clock),
    ):
        yield clock


def _sweep(storage: MemoryStorage) -> None:
    storage._MemoryStorage__expire_events()  # type: ignore[attr-defined]


@given(
    limit=st.integers(1, 6),
    steps=st.lists(
        st.tuples(
            # Seconds since the last request; whole ones put entries on the window's edge.
            st.one_of(st.integers(0, WINDOW // 2).map(float), st.floats(0, WINDOW / 2)),
            st.integers(1, 3),  # entries the request takes
            st.booleans(),  # whether a sweep follows it
        ),
        max_size=80,
    ),
)
def test_the_window_answers_as_limits_own_memory_storage(limit, steps) -> None:
    with _controlled_time() as clock:
        ours, theirs = SweptMemoryStorage(), MemoryStorage()
        for seconds, amount, sweep in steps:
            clock.now += seconds
            assert ours.acquire_entry("k", limit, WINDOW, amount) == theirs.acquire_entry(
                "k", limit, WINDOW, amount
            )
            assert ours.get_moving_window("k", limit, WINDOW) == theirs.get_moving_window(
                "k", limit, WINDOW
            )
            if sweep:
                _sweep(ours)
                _sweep(theirs)
                assert ours.get_moving_window("k", limit, WINDOW) == theirs.get_moving_window(
                    "k", limit, WINDOW
                )


def test_a_sweep_forgets_only_expired_entries_and_keys_left_empty() -> None:
    with _controlled_time() as clock:
        storage = SweptMemoryStorage()
        assert storage.acquire_entry("old", 5, WINDOW)
        clock.now += WINDOW / 2
        assert storage.acquire_entry("new", 5, WINDOW)
        assert storage.acquire_entry("new", 5, WINDOW)
        clock.now += WINDOW / 2 + 1

        _sweep(storage)

        assert "old" not in storage.events
        assert len(storage.events["new"]) == 2
        assert storage.get_moving_window("new", 5, WINDOW) == (clock.now - WINDOW / 2 - 1, 2)


def test_a_full_window_refuses_until_its_oldest_entry_leaves_it() -> None:
    with _controlled_time() as clock:
        storage = SweptMemoryStorage()
        for _ in range(3):
            assert storage.acquire_entry("k", 3, WINDOW)
            clock.now += 1
        assert not storage.acquire_entry("k", 3, WINDOW)
        assert not storage.acquire_entry("k", 5, WINDOW, amount=3)  # room for two only

        clock.now += WINDOW - 3  # the first entry is exactly WINDOW old: still in it
        assert not storage.acquire_entry("k", 3, WINDOW)
        clock.now += 0.5
        assert storage.acquire_entry("k", 3, WINDOW)
        assert storage.get_moving_window("k", 3, WINDOW) == (clock.now - WINDOW + 0.5, 3)
