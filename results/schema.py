"""Columns of ``samples.parquet``: one row per request, compact and typed.

Times are integer nanoseconds. ``start_ns`` counts from the run's start on
the monotonic clock; for open-loop phases it is the *intended* send time and
``latency_ns`` is measured from it (the response time users felt), while
``lag_ns`` is how late the request actually left, so ``latency_ns - lag_ns``
is the service time. Categorical columns are dictionary-encoded.
"""

from __future__ import annotations

import pyarrow as pa

#: phase names a run can contain
PHASES = ("latency", "throughput", "pooling", "batch", "open_loop", "sweep", "locust")

#: the ``step`` of rows recorded outside any measured window (Locust's ramp-up, warm-up and
#: stop), which no report treats as a window
UNMEASURED = "ramp"

#: name -> (array typecode in memory, arrow type on disk); "cat" = dictionary-coded string
COLUMNS: dict[str, tuple[str, pa.DataType]] = {
    "phase": ("cat", pa.dictionary(pa.int8(), pa.string())),
    "step": ("cat", pa.dictionary(pa.int16(), pa.string())),
    "concurrency": ("H", pa.uint16()),
    "pool": ("cat", pa.dictionary(pa.int8(), pa.string())),
    "operation": ("cat", pa.dictionary(pa.int8(), pa.string())),
    "worker": ("H", pa.uint16()),
    "start_ns": ("q", pa.int64()),
    "latency_ns": ("q", pa.int64()),
    "lag_ns": ("q", pa.int64()),
    "status": ("h", pa.int16()),  # 0: no answer came
    "error": ("cat", pa.dictionary(pa.int8(), pa.string())),  # "" on success
    "attempts": ("b", pa.int8()),
    "connect_ns": ("q", pa.int64()),  # waiting for a pooled connection, or connecting
    "send_ns": ("q", pa.int64()),
    "wait_ns": ("q", pa.int64()),  # waiting for the first byte
    "receive_ns": ("q", pa.int64()),
    "new_connection": ("b", pa.int8()),  # 1, 0, or -1 when unknown
}

SCHEMA = pa.schema([(name, arrow) for name, (_, arrow) in COLUMNS.items()])
CATEGORICAL = tuple(name for name, (code, _) in COLUMNS.items() if code == "cat")
