"""A small closed-loop HTTP load generator (threads, one request at a time each)."""

from __future__ import annotations

import http.client
import os
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
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

    def __add__(self, other: Result) -> Result:
        return Result(
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.errors + other.errors,
            self.latencies_ms + other.latencies_ms,
        )

    def line(self, label: str, baseline: Result | None = None) -> str:
        text = f"{label:<44} {self.rate:8.0f} req/s  p50 {self.p50:6.1f} ms  errors {self.errors}"
        if baseline is not None:
            text += f"  ratio {self.rate / baseline.rate:5.2f}x"
        return text


#: Seconds each run sends load before it starts counting: a server just started opens its
#: connections, compiles its statements and fills its caches in its first requests.
WARMUP = float(os.environ.get("CMS_BENCH_WARMUP", "2"))
#: Slices each measurement of :func:`interleaved` is cut into.
ROUNDS = int(os.environ.get("CMS_BENCH_ROUNDS", "3"))
#: Seconds of load before a later slice starts counting: the server is warm, but the
#: clients' first connections queue behind the last slice's.
REWARM = 0.5

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
    states: list[dict] | None = None,
) -> Result:
    """Send requests from ``threads`` clients for ``warmup`` and then ``seconds`` seconds;
    return the totals of the requests sent after the warm-up.

    Client ``i`` keeps its state in ``states[i]`` when given (to carry it into a later run).
    """
    host = urlsplit(base_url).netloc
    states = states if states is not None else [{} for _ in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    start_line = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        state = states[index]
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


#: A measurement of :func:`interleaved`: given its warm-up and its seconds, the result.
Measurement = Callable[[float, float], Result]


def measurement(base_url: str, make_request: RequestFactory, **options: Any) -> Measurement:
    """The :func:`run` of ``make_request`` with ``options``, its warm-up and seconds left open."""
    return lambda warmup, seconds: run(
        base_url, make_request, warmup=warmup, seconds=seconds, **options
    )


def interleaved(
    measurements: Mapping[str, Measurement], seconds: float, rounds: int = ROUNDS
) -> dict[str, Result]:
    """Run each measurement for ``seconds`` in all, in ``rounds`` slices taken in turn.

    On a shared machine the speed drifts from second to second; measured one after
    the other, a path and its baseline can meet different machines. Taken in turn,
    each sees the same drift (what still spreads a ratio from run to run is where
    each run's servers land on the cores). The first slice of each warms up for
    :data:`WARMUP` seconds, the others for :data:`REWARM`.
    """
    results: dict[str, Result] = {}
    for round_ in range(rounds):
        for name, measure in measurements.items():
            result = measure(WARMUP if round_ == 0 else REWARM, seconds / rounds)
            results[name] = results[name] + result if name in results else result
    return results
