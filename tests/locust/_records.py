"""Hand-made client records, for unit tests of the Locust side's pure logic."""

from __future__ import annotations

from client.metrics import Phases, RequestRecord


def record(op: str, latency_ns: int, start_ns: int, error: str | None = None) -> RequestRecord:
    """One finished call: 200 (or 404 with ``error``), one attempt, fixed phases."""
    return RequestRecord(
        operation=op,
        started_at=0.0,
        latency_ns=latency_ns,
        attempts=1,
        status=404 if error else 200,
        error=error,
        bytes_sent=0,
        bytes_received=100,
        phases=Phases(1, 2, 3, 4),
        new_connection=False,
        start_ns=start_ns,
    )
