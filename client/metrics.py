"""One record per client call, and the running metrics built from them.

A record is what a benchmark needs to rebuild any table later: when the
call started, how long it took end to end (``perf_counter_ns``), how many
attempts it made, how it ended, and where the time of its last attempt went
(waiting for a connection or connecting, sending, waiting for the first
byte, receiving). Observers (the benchmark drivers, the Locust users)
subscribe with :meth:`Metrics.subscribe`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from client.histogram import LatencyHistogram

#: The latency percentiles the harness reports, once: the seed's tables publish these three.
#: Every table's columns (``p50_ms``), compare's metrics and ``--fail-on`` grammar and
#: history's series derive from it (``analysis.tables``); client/ is the bottom layer, so
#: it lives here, where the running metrics need it first.
PERCENTILES: tuple[int, ...] = (50, 95, 99)


def percentile_name(p: float) -> str:
    """``p50``, ``p99.9``: how tables, comparisons and gates name a percentile."""
    return f"p{p:g}"


#: their names as tables, comparisons and gates say them: ``p50``, ``p95``, ``p99``
PERCENTILE_NAMES: tuple[str, ...] = tuple(percentile_name(p) for p in PERCENTILES)


@dataclass(slots=True)
class Phases:
    """Where the time of the last attempt went, in nanoseconds."""

    connect_ns: int = 0  # waiting for a pooled connection, or connecting a new one
    send_ns: int = 0  # writing the request
    wait_ns: int = 0  # waiting for the first byte of the answer
    receive_ns: int = 0  # reading the answer


@dataclass(slots=True)
class RequestRecord:
    operation: str
    started_at: float  # wall clock (time.time()) at the start of the call
    latency_ns: int  # the whole call, retries and waits included
    attempts: int
    status: int | None  # last HTTP status; None when no answer came
    error: str | None  # error class name, None on success
    bytes_sent: int
    bytes_received: int
    phases: Phases
    new_connection: bool | None = None  # the last attempt opened a connection
    start_ns: int = 0  # perf_counter_ns() at the start of the call, for timelines

    @property
    def ok(self) -> bool:
        return self.error is None


Observer = Callable[[RequestRecord], None]


class _OperationStats:
    __slots__ = ("calls", "errors", "histogram", "retries")

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.retries = 0
        self.histogram = LatencyHistogram()


class Metrics:
    """Counts and latency percentiles per operation, in bounded memory.

    ``total_requests`` counts calls, not attempts: a call that needed three
    attempts is one request and two retries.
    """

    def __init__(self) -> None:
        self._ops: dict[str, _OperationStats] = {}
        self._observers: list[Observer] = []
        self._lock = threading.Lock()

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(record)`` for every finished call; returns an unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def record(self, rec: RequestRecord) -> None:
        with self._lock:
            stats = self._ops.get(rec.operation)
            if stats is None:
                stats = self._ops[rec.operation] = _OperationStats()
            stats.calls += 1
            stats.retries += rec.attempts - 1 if rec.attempts > 1 else 0
            if rec.error is not None:
                stats.errors += 1
            stats.histogram.record(rec.latency_ns)
        for observer in self._observers:
            observer(rec)

    def reset(self) -> None:
        with self._lock:
            self._ops.clear()

    def snapshot(self) -> dict[str, object]:
        """The seed's keys (``total_requests``, ``total_errors``, ``error_rate``) and more."""
        with self._lock:
            operations = {}
            total = errors = retries = 0
            for name, stats in sorted(self._ops.items()):
                hist = stats.histogram
                values = hist.percentiles(PERCENTILES)
                operations[name] = {
                    "count": stats.calls,
                    "errors": stats.errors,
                    "retries": stats.retries,
                    "avg_ms": round(hist.mean / 1e6, 3),
                    **{
                        f"{q}_ms": round(v / 1e6, 3)
                        for q, v in zip(PERCENTILE_NAMES, values, strict=True)
                    },
                }
                total += stats.calls
                errors += stats.errors
                retries += stats.retries
        return {
            "total_requests": total,
            "total_errors": errors,
            "error_rate": errors / total if total else 0.0,
            "total_retries": retries,
            "operations": operations,
        }
