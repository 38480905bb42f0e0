"""Ground truth for ``GET /_mock/stats``: cheap counters and bounded sample buffers.

Counts, sums and maxima are exact; percentiles come from the last
``SAMPLES`` values per endpoint (a deque), so memory stays bounded on long runs.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

SAMPLES = 100_000


class Summary:
    """count/avg/max exact; p50/p95/p99 over the most recent samples."""

    __slots__ = ("count", "max", "samples", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.max = 0.0
        self.samples: deque[float] = deque(maxlen=SAMPLES)

    def add(self, ms: float) -> None:
        self.count += 1
        self.total += ms
        if ms > self.max:
            self.max = ms
        self.samples.append(ms)

    def report(self) -> dict[str, float | int]:
        ordered = sorted(self.samples)

        def pct(q: float) -> float:
            if not ordered:
                return 0.0
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

        return {
            "count": self.count,
            "avg": round(self.total / self.count, 3) if self.count else 0.0,
            "p50": pct(0.50),
            "p95": pct(0.95),
            "p99": pct(0.99),
            "max": round(self.max, 3),
        }


class EndpointStats:
    __slots__ = ("connect", "injected", "queue", "requests", "slept", "status")

    def __init__(self) -> None:
        self.requests = 0
        self.status: dict[str, int] = {}
        self.injected = Summary()  # service time drawn from the profile
        self.slept = Summary()  # service time actually spent (timers wake late, never early)
        self.queue = Summary()
        self.connect = Summary()

    def report(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "status": dict(sorted(self.status.items())),
            "injected_ms": self.injected.report(),
            "slept_ms": self.slept.report(),
            "queue_ms": self.queue.report(),
            "connect_ms": self.connect.report(),
        }


class Stats:
    """Per route template; ``status`` keys are codes as strings, or "dropped"."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.endpoints: dict[str, EndpointStats] = {}
        self.connections_opened = 0
        self.started = time.time()

    def endpoint(self, key: str) -> EndpointStats:
        found = self.endpoints.get(key)
        if found is None:
            found = self.endpoints[key] = EndpointStats()
        return found

    def report(self) -> dict[str, Any]:
        status: dict[str, int] = {}
        for e in self.endpoints.values():
            for code, n in e.status.items():
                status[code] = status.get(code, 0) + n
        return {
            "endpoints": {k: e.report() for k, e in sorted(self.endpoints.items())},
            "totals": {
                "requests": sum(e.requests for e in self.endpoints.values()),
                "status": dict(sorted(status.items())),
            },
            "connections_opened": self.connections_opened,
            "since": self.started,
        }
