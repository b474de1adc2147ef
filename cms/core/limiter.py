"""Rate limits: one flask-limiter ``Limiter`` per app, a breach answered as a 429 problem.

Each app gets its own limiter (tests build several apps in one process, and a
``Limiter`` keeps one storage). Counts live where ``CMS_RATELIMIT_STORAGE_URL``
says: in the process's memory by default, or in Redis, shared by every process.
If that storage fails, the limiter counts in memory until it is back.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any, cast

from flask import Flask, Response
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from cms.core.errors import TooManyRequests, problem_response

#: Seconds a client may wait for a Redis server before the limiter gives up on it.
STORAGE_TIMEOUT_SECONDS = 1


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
