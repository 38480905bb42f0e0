"""The master's side: every worker's measurements merged exactly, and the run's timeline.

Workers send cumulative histograms (the latest replaces the previous, so a
lost or repeated message cannot double-count) and their new rows (appended).
The merged histogram of an operation is the bucket-wise sum over workers, so
its percentiles do not depend on how the load was split. The timeline (user
count and stage, sampled by the master) labels each row with its step and
concurrency and yields the measured windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from client.histogram import LatencyHistogram
from locustfiles.health import HealthSeries
from locustfiles.recorder import PHASE
from results.samples import SampleRows, samples_table
from results.schema import UNMEASURED

RAMP = UNMEASURED  # the step of rows outside any measured window


@dataclass
class WorkerState:
    histograms: dict[str, LatencyHistogram] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)
    rows_reported: int = 0
    rows_received: int = 0
    health: HealthSeries = field(default_factory=HealthSeries)

    @property
    def requests(self) -> int:
        return sum(h.count for h in self.histograms.values())


class Timeline:
    """(wall ns, users, label) samples; a label is a step name or ``ramp``."""

    def __init__(self) -> None:
        self.at: list[int] = []
        self.users: list[int] = []
        self.labels: list[str] = []

    def add(self, at_ns: int, users: int, label: str) -> None:
        self.at.append(at_ns)
        self.users.append(users)
        self.labels.append(label)

    def lookup(self, wall_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of the timeline sample in force at each instant (-1: before the first)."""
        at = np.asarray(self.at, dtype=np.int64)
        index = np.searchsorted(at, wall_ns, side="right") - 1
        return index, at

    def windows(self) -> list[tuple[str, int, int, int]]:
        """Contiguous stretches with one step label: (label, start, end, users at start)."""
        out: list[tuple[str, int, int, int]] = []
        for i, label in enumerate(self.labels):
            if i + 1 >= len(self.labels):
                break
            if out and out[-1][0] == label and out[-1][2] == self.at[i]:
                name, start, _, users = out[-1]
                out[-1] = (name, start, self.at[i + 1], users)
            elif label != RAMP:
                out.append((label, self.at[i], self.at[i + 1], self.users[i]))
        return out


class Aggregate:
    """Everything the master received, per worker index."""

    def __init__(self) -> None:
        self.workers: dict[int, WorkerState] = {}
        # success first, as the drivers' runs usually have it
        self.rows = SampleRows({"phase": [PHASE], "error": [""]})

    def add(self, worker: int, payload: dict[str, Any]) -> None:
        state = self.workers.setdefault(worker, WorkerState())
        state.histograms = {
            op: LatencyHistogram.from_dict(data) for op, data in payload["histograms"].items()
        }
        state.errors = payload["errors"]
        state.rows_reported = int(payload["rows_total"])
        state.rows_received += self.rows.add(payload["rows"], worker=worker)
        if "health" in payload:
            state.health.add(payload["health"])

    def merged(self) -> dict[str, LatencyHistogram]:
        out: dict[str, LatencyHistogram] = {}
        for state in self.workers.values():
            for op, hist in state.histograms.items():
                out.setdefault(op, LatencyHistogram()).merge(hist)
        return out

    def merged_errors(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for state in self.workers.values():
            for op, errs in state.errors.items():
                for name, n in errs.items():
                    out[(op, name)] = out.get((op, name), 0) + n
        return out

    def table(self, origin_wall_ns: int, timeline: Timeline, pool_label: str) -> pa.Table:
        """All rows in the ``samples.parquet`` schema, ordered by start, labelled from the
        timeline (step and users at each row's start) and with the run's pool."""
        cols = self.rows.columns()
        order = np.lexsort((cols["worker"], cols["start_ns"]))  # stable: then arrival order
        cols = {name: values[order] for name, values in cols.items()}
        index, _ = timeline.lookup(cols["start_ns"])
        labels = sorted(set(timeline.labels) | {RAMP})
        label_codes = np.asarray([labels.index(x) for x in timeline.labels] or [0], np.int16)
        users = np.asarray(timeline.users or [0], dtype=np.uint16)
        known = index >= 0
        cols["step"] = np.where(known, label_codes[np.maximum(index, 0)], labels.index(RAMP))
        cols["concurrency"] = np.where(known, users[np.maximum(index, 0)], 0)
        cols["pool"] = np.zeros(len(order), np.int16)
        cols["start_ns"] = cols["start_ns"] - origin_wall_ns
        return samples_table(cols, {**self.rows.names, "step": labels, "pool": [pool_label]})


class TableSamples:
    """What :meth:`results.RunFolder.write_samples` needs (``to_arrow``), for a built table."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def to_arrow(self) -> pa.Table:
        return self._table
