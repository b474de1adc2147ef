"""Small per-process caches, kept on the application (``app.extensions``).

Each app gets its own caches, so two apps in one process (tests, a CLI
command beside a server) never answer from each other's data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from flask import current_app

_EXTENSION = "cms.caches"


class LRU:
    """A bounded, thread-safe mapping that forgets the least recently used entry."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """Return the value stored under ``key``, or ``None``."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` under ``key``, forgetting the oldest entry when full."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()


def app_cache(name: str, size: int) -> LRU:
    """Return the current app's cache called ``name``, made with room for ``size`` on first use."""
    caches: dict[str, LRU] = current_app.extensions.setdefault(_EXTENSION, {})
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, LRU(size))
    return cache
