"""A small closed-loop HTTP load generator (threads, one request at a time each)."""

from __future__ import annotations

import http.client
import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    def line(self, label: str, baseline: Result | None = None) -> str:
        text = f"{label:<44} {self.rate:8.0f} req/s  p50 {self.p50:6.1f} ms  errors {self.errors}"
        if baseline is not None:
            text += f"  ratio {self.rate / baseline.rate:5.2f}x"
        return text


#: Seconds each run sends load before it starts counting: a server just started opens its
#: connections, compiles its statements and fills its caches in its first requests.
WARMUP = float(os.environ.get("CMS_BENCH_WARMUP", "2"))

#: A request factory: given the worker index and its state, returns
#: (method, path, body, headers) and a callback for the response.
RequestFactory = Callable[[int, dict], tuple[str, str, bytes | None, dict[str, str]]]


def run(
    base_url: str,
    make_request: RequestFactory,
    *,
    threads: int = 8,
    seconds: float = 4.0,
    expect: tuple[int, ...] = (200,),
    on_response: Callable[[int, dict, http.client.HTTPResponse], None] | None = None,
    warmup: float = WARMUP,
) -> Result:
    """Send requests from ``threads`` clients for ``warmup`` and then ``seconds`` seconds;
    return the totals of the requests sent after the warm-up."""
    host = urlsplit(base_url).netloc
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    start_line = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        state: dict = {}
        start_line.wait()
        while time.perf_counter() < deadline:
            method, path, body, headers = make_request(index, state)
            began = time.perf_counter()
            connection = http.client.HTTPConnection(host, timeout=30)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if began >= counted_from:
                latencies[index].append((time.perf_counter() - began) * 1000)
                if response.status not in expect:
                    errors[index] += 1
            if on_response:
                on_response(index, state, response)
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    # Read by the workers once all of them are at the start line.
    counted_from = time.perf_counter() + warmup
    deadline = counted_from + seconds
    start_line.wait()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - counted_from
    flat = [value for values in latencies for value in values]
    return Result(len(flat), elapsed, sum(errors), flat)
