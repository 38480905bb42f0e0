"""The harness's measurement inside one Locust process: unrounded and mergeable.

Locust keeps response times rounded (2 significant digits above 100 ms)
and its percentiles depend on that rounding. The recorder keeps, per
operation, a :class:`~client.histogram.LatencyHistogram` (0.1% precision,
merged exactly by adding buckets) and the error counts, plus every request
as a sample row (:class:`results.samples.SampleBuffer`, the encoding the
asyncio drivers use). :meth:`Recorder.drain` turns what is new into a plain
dict that a Locust message can carry to the master.
"""

from __future__ import annotations

import time
from typing import Any

from client.histogram import LatencyHistogram
from client.metrics import RequestRecord
from results.samples import SampleBuffer

#: a worker's rows before the master labels them with its step, users and pool
PHASE, UNLABELLED = "locust", ""


class Recorder:
    """Per-operation histograms and error counts, and a chunk of per-request rows."""

    def __init__(self) -> None:
        self.histograms: dict[str, LatencyHistogram] = {}
        self.errors: dict[str, dict[str, int]] = {}
        self.rows = 0
        self.samples = SampleBuffer()
        # records carry perf_counter_ns; rows start on the wall clock (ns since the
        # epoch), which the master can compare across processes
        self._origin_ns = time.perf_counter_ns() - time.time_ns()

    def record(self, rec: RequestRecord) -> None:
        """Called for every client call (a ``Metrics.subscribe`` observer)."""
        op = rec.operation
        hist = self.histograms.get(op)
        if hist is None:
            hist = self.histograms[op] = LatencyHistogram()
        hist.record(rec.latency_ns)
        if rec.error is not None:
            per_op = self.errors.setdefault(op, {})
            per_op[rec.error] = per_op.get(rec.error, 0) + 1
        self.samples.add(
            rec,
            phase=PHASE,
            step=UNLABELLED,
            concurrency=0,
            pool=UNLABELLED,
            origin_ns=self._origin_ns,
        )
        self.rows += 1

    def drain(self) -> dict[str, Any]:
        """Cumulative histograms and errors, and the rows recorded since the last drain."""
        return {
            "histograms": {op: h.to_dict() for op, h in self.histograms.items()},
            "errors": {op: dict(errs) for op, errs in self.errors.items()},
            "rows_total": self.rows,
            "rows": self.samples.drain(),
        }
