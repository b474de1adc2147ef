"""Rate limits: one flask-limiter ``Limiter`` per app, a breach answered as a 429 problem.

Each app gets its own limiter (tests build several apps in one process, and a
``Limiter`` keeps one storage). Counts live where ``CMS_RATELIMIT_STORAGE_URL``
says: in the process's memory by default, or in Redis, shared by every process.
If that storage fails, the limiter counts in memory until it is back.

:class:`Quotas` counts per-client limits decided only once the client is known
(a partner's quota: its own limit or the default), on the same storage, and
says what the ``RateLimit-*`` headers report.
"""

from __future__ import annotations

import bisect
import functools
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask, Response, current_app
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.storage.memory import Entry
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

from cms.core.errors import TooManyRequests, problem_response

#: Seconds a client may wait for a Redis server before the limiter gives up on it.
STORAGE_TIMEOUT_SECONDS = 1
#: Seconds quotas count in memory after their storage failed, before trying it again.
FALLBACK_SECONDS = 5
#: Seconds between two sweeps of expired entries from in-memory counts.
EXPIRY_SECONDS = 1.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QuotaState:
    """Where a client stands after one request: what the ``RateLimit-*`` headers say."""

    allowed: bool
    #: Requests allowed in the window of the limit nearest to being reached.
    limit: int
    remaining: int
    #: Seconds until that window frees a request (at least 1).
    reset: int
    #: That window's length in seconds.
    window: int

    def headers(self) -> dict[str, str]:
        """``RateLimit-Limit``, ``-Remaining``, ``-Reset`` and ``-Policy`` (IETF draft)."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w={self.window}",
        }


class SweptMemoryStorage(MemoryStorage):
    """``memory://`` counts: a moving window's entries oldest first, swept at most once per
    :data:`EXPIRY_SECONDS`.

    limits' ``MemoryStorage`` keeps each window's entries newest first, and every hit
    inserts at the front of the list: a copy of the whole window, so a request cost
    in proportion to its limit (~19 µs a hit at 60,000 entries, against 6 at 1,000).
    Here a hit appends, and the entry that decides it is found by its index from
    the end; what the window holds is found by bisection, as before. limits' storage
    also started a new timer thread 10 ms after the last one on every hit, so a busy
    process started a thread every few requests, and each start waits for the thread
    to run. Sweeping only frees memory (every count and window is computed from the
    entries' times), so sweeping less often changes no limit.
    """

    STORAGE_SCHEME = ["cms-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (overrides a private method)
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + EXPIRY_SECONDS
            super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]

    def _MemoryStorage__expire_events(self) -> None:  # noqa: N802 (overrides a private method)
        now = time.time()
        for key in list(self.events):
            with self.locks[key]:
                events = self.events.get(key, [])
                del events[: bisect.bisect_right(events, now, key=_expiry)]
                if not events:
                    self.events.pop(key, None)
                    self.locks.pop(key, None)
        for key in list(self.expirations):
            if self.expirations[key] <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Add ``amount`` entries to the window of ``key`` unless that would put more than
        ``limit`` in the last ``expiry`` seconds; return whether they were added."""
        if amount > limit:
            return False
        self._MemoryStorage__schedule_expiry()
        with self.locks[key]:
            events = self.events.setdefault(key, [])
            # The entry that would fall out of the window's last ``limit`` places.
            deciding = len(events) - 1 - (limit - amount)
            if deciding >= 0 and events[deciding].atime >= time.time() - expiry:
                return False
            events.extend([Entry(expiry)] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """Return when the window of ``key`` started (its oldest entry's time) and how many
        entries it holds."""
        now = time.time()
        events = self.events.get(key, [])
        first = bisect.bisect_right(events, now - expiry, key=_atime)
        if first == len(events):  # nothing in the window: limits' answer, as it gives it
            return (events[0].atime if events else now), 0
        return events[first].atime, len(events) - first


def _atime(entry: Entry) -> float:
    return entry.atime


def _expiry(entry: Entry) -> float:
    return entry.expiry


@functools.lru_cache(maxsize=256)
def parsed_limits(limits: str) -> tuple[RateLimitItem, ...]:
    """Return the limits in ``limits`` (flask-limiter's notation). Raises ``ValueError``."""
    return tuple(parse_many(limits))


class Quotas:
    """Per-key limits counted (moving window) on the app limiter's storage."""

    def __init__(self, limiter: Limiter, prefix: str) -> None:
        self._limiter = limiter
        self._prefix = prefix
        self._fallback = MovingWindowRateLimiter(SweptMemoryStorage())
        self._fallback_until = 0.0

    def reset(self) -> None:
        """Forget every count (tests)."""
        self._limiter.reset()
        self._fallback = MovingWindowRateLimiter(SweptMemoryStorage())

    def _strategy(self) -> RateLimiter:
        if time.monotonic() < self._fallback_until:
            return self._fallback
        return self._limiter.limiter

    def hit(self, key: str, limits: str) -> QuotaState:
        """Count one request of ``key`` against ``limits``; return where it stands.

        A request over any of the limits is not counted (``allowed`` false).
        While the storage fails, counts in this process's memory.
        """
        items = parsed_limits(limits)
        strategy = self._strategy()
        try:
            return self._hit(strategy, f"{self._prefix}/{key}", items)
        except Exception as error:
            if strategy is self._fallback:
                raise
            log.warning("quota storage unreachable (%s); counting in memory", error)
            self._fallback_until = time.monotonic() + FALLBACK_SECONDS
            return self._hit(self._fallback, f"{self._prefix}/{key}", items)

    @staticmethod
    def _hit(strategy: RateLimiter, key: str, items: tuple[RateLimitItem, ...]) -> QuotaState:
        # Every limit is hit, not only up to the first one reached.
        hits = [strategy.hit(item, key) for item in items]
        allowed = all(hits)
        now = time.time()
        states = []
        for item in items:
            stats = strategy.get_window_stats(item, key)
            states.append(
                QuotaState(
                    allowed=allowed,
                    limit=item.amount,
                    remaining=max(0, stats.remaining),
                    reset=max(1, math.ceil(stats.reset_time - now)),
                    window=item.get_expiry(),
                )
            )
        return min(states, key=lambda state: (state.remaining, -state.reset))


def quotas() -> Quotas:
    """Return the current app's :class:`Quotas`."""
    return current_app.extensions["cms.quotas"]


def init_limiter(app: Flask) -> Limiter:
    """Give ``app`` a limiter with no limits yet, keyed by client address by default.

    The client address is the peer's, or, behind ``CMS_PROXY_HOPS`` reverse
    proxies, the one the outermost of them put in ``X-Forwarded-For``; with no
    proxy configured that header is ignored, so that a client cannot choose
    the address it is counted under.
    """
    hops = app.config["CMS_PROXY_HOPS"]
    if hops:
        # Only the address: scheme and host never come from the request.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=0, x_host=0)  # type: ignore[method-assign]
    storage_url = app.config["CMS_RATELIMIT_STORAGE_URL"]
    if storage_url == "memory://":
        storage_url = "cms-memory://"
    options: dict[str, str | int] = {}
    if storage_url.startswith(("redis://", "rediss://", "redis+unix://")):
        options = {
            "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS,
            "socket_timeout": STORAGE_TIMEOUT_SECONDS,
        }
    limiter = Limiter(
        get_remote_address,
        storage_uri=storage_url,
        storage_options=options,
        # A client over the limit waits until its oldest counted request is a window old.
        strategy="moving-window",
        in_memory_fallback_enabled=True,
    )
    # Tests sharing one Redis give each app its own prefix.
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "cms")
    limiter.init_app(app)
    app.extensions["cms.quotas"] = Quotas(limiter, app.config["RATELIMIT_KEY_PREFIX"])

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error: RateLimitExceeded) -> Response:
        breached = limiter.current_limit
        reset_at = breached.reset_at if breached is not None else time.time() + 60
        retry_after = max(1, int(reset_at - time.time()))
        return problem_response(
            TooManyRequests(
                f"Too many requests (at most {error.description}); "
                f"try again in {retry_after} seconds.",
                retry_after=retry_after,
            )
        )

    return limiter


def _is_limiters(hook: Callable, limiter: Limiter) -> bool:
    if isinstance(hook, functools.partial):
        return bool(hook.args) and hook.args[0] is limiter
    return getattr(hook, "__self__", None) is limiter


def confine_limiter(app: Flask, limiter: Limiter, blueprints: Iterable[str]) -> None:
    """Run ``limiter``'s request hooks only for requests to ``blueprints``.

    flask-limiter hooks every request of the app, to find the limits of its
    endpoint; where no limit is declared that is work for nothing on every
    request (about a tenth of the cost of ``/healthz``). Call this once the
    limits are declared, naming the blueprints that carry them: the hooks move
    from the app to those blueprints, keeping their order (a blueprint's hooks
    run after the app's).
    """
    names = list(blueprints)
    registries: list[dict[Any, list[Any]]] = [
        cast(dict[Any, list[Any]], app.before_request_funcs),
        cast(dict[Any, list[Any]], app.after_request_funcs),
        cast(dict[Any, list[Any]], app.teardown_request_funcs),
    ]
    for registry in registries:
        hooks = registry.get(None, [])
        moved = [hook for hook in hooks if _is_limiters(hook, limiter)]
        registry[None] = [hook for hook in hooks if not _is_limiters(hook, limiter)]
        for name in names:
            registry.setdefault(name, [])[:0] = moved
