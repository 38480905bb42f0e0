"""The harness's own measurement inside one Locust process: unrounded and mergeable.

Locust keeps response times rounded (2 significant digits above 100 ms)
and its percentiles depend on that rounding. The recorder keeps, per
operation, a :class:`~client.histogram.LatencyHistogram` (0.1% precision,
merged exactly by adding buckets) and the error counts, plus every request
as a compact row. :meth:`Recorder.drain` turns what is new into a plain
dict that a Locust message can carry to the master.
"""

from __future__ import annotations

import time
from array import array
from typing import Any

from client.histogram import LatencyHistogram
from client.metrics import RequestRecord

#: per-request columns as they travel: name -> array typecode
WIRE_COLUMNS: dict[str, str] = {
    "start_ns": "q",  # wall clock, ns since the epoch (comparable across processes)
    "latency_ns": "q",
    "status": "h",
    "operation": "b",  # code into ``operations``
    "error": "b",  # code into ``errors``; 0 = success
    "attempts": "b",
    "connect_ns": "q",
    "send_ns": "q",
    "wait_ns": "q",
    "receive_ns": "q",
    "new_connection": "b",
}


class Recorder:
    """Per-operation histograms and error counts, and a chunk of per-request rows."""

    def __init__(self) -> None:
        self.histograms: dict[str, LatencyHistogram] = {}
        self.errors: dict[str, dict[str, int]] = {}
        self.rows = 0
        self._operations: dict[str, int] = {}
        self._error_names: dict[str, int] = {"": 0}
        self._cols = {name: array(code) for name, code in WIRE_COLUMNS.items()}
        # perf_counter_ns -> wall clock: records carry the monotonic start
        self._wall_offset = time.time_ns() - time.perf_counter_ns()

    def record(self, rec: RequestRecord) -> None:
        """Called for every client call (a ``Metrics.subscribe`` observer)."""
        op = rec.operation
        hist = self.histograms.get(op)
        if hist is None:
            hist = self.histograms[op] = LatencyHistogram()
            self._operations[op] = len(self._operations)
        hist.record(rec.latency_ns)
        error = 0
        if rec.error is not None:
            per_op = self.errors.setdefault(op, {})
            per_op[rec.error] = per_op.get(rec.error, 0) + 1
            error = self._error_names.get(rec.error, -1)
            if error < 0:
                error = self._error_names[rec.error] = len(self._error_names)
        c = self._cols
        p = rec.phases
        c["start_ns"].append(rec.start_ns + self._wall_offset)
        c["latency_ns"].append(rec.latency_ns)
        c["status"].append(rec.status or 0)
        c["operation"].append(self._operations[op])
        c["error"].append(error)
        c["attempts"].append(min(rec.attempts, 127))
        c["connect_ns"].append(p.connect_ns)
        c["send_ns"].append(p.send_ns)
        c["wait_ns"].append(p.wait_ns)
        c["receive_ns"].append(p.receive_ns)
        c["new_connection"].append(-1 if rec.new_connection is None else int(rec.new_connection))
        self.rows += 1

    def drain(self) -> dict[str, Any]:
        """Cumulative histograms and errors, and the rows recorded since the last drain."""
        chunk = {name: col.tobytes() for name, col in self._cols.items()}
        for col in self._cols.values():
            del col[:]
        return {
            "histograms": {op: h.to_dict() for op, h in self.histograms.items()},
            "errors": {op: dict(errs) for op, errs in self.errors.items()},
            "rows_total": self.rows,
            "operations": sorted(self._operations, key=self._operations.__getitem__),
            "error_names": sorted(self._error_names, key=self._error_names.__getitem__),
            "rows": chunk,
        }
