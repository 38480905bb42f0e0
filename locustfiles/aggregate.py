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
from locustfiles.recorder import WIRE_COLUMNS
from results.schema import SCHEMA

RAMP = "ramp"


@dataclass
class WorkerState:
    histograms: dict[str, LatencyHistogram] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)
    rows_reported: int = 0
    chunks: list[dict[str, np.ndarray]] = field(default_factory=list)
    health: HealthSeries = field(default_factory=HealthSeries)

    @property
    def rows_received(self) -> int:
        return sum(len(c["latency_ns"]) for c in self.chunks)

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
        self.operations: list[str] = []
        self.error_names: list[str] = [""]

    def add(self, worker: int, payload: dict[str, Any]) -> None:
        state = self.workers.setdefault(worker, WorkerState())
        state.histograms = {
            op: LatencyHistogram.from_dict(data) for op, data in payload["histograms"].items()
        }
        state.errors = payload["errors"]
        state.rows_reported = int(payload["rows_total"])
        rows = payload["rows"]
        if rows["latency_ns"]:
            chunk = {
                name: np.frombuffer(rows[name], dtype=code) for name, code in WIRE_COLUMNS.items()
            }
            chunk["operation"] = self._remap(chunk["operation"], payload["operations"], False)
            chunk["error"] = self._remap(chunk["error"], payload["error_names"], True)
            state.chunks.append(chunk)
        if "health" in payload:
            state.health.add(payload["health"])

    def _remap(self, codes: np.ndarray, names: list[str], errors: bool) -> np.ndarray:
        table = self.error_names if errors else self.operations
        lookup = []
        for name in names:
            if name not in table:
                table.append(name)
            lookup.append(table.index(name))
        return np.asarray(lookup, dtype=np.int16)[codes]

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
        """All rows in the ``samples.parquet`` schema, ordered by start."""
        parts = [
            (worker, chunk)
            for worker, state in sorted(self.workers.items())
            for chunk in state.chunks
        ]
        cols = {
            name: np.concatenate([c[name] for _, c in parts])
            if parts
            else np.empty(0, dtype=np.int16 if name in ("operation", "error") else code)
            for name, code in WIRE_COLUMNS.items()
        }
        worker = (
            np.concatenate([np.full(len(c["latency_ns"]), w, np.uint16) for w, c in parts])
            if parts
            else np.empty(0, np.uint16)
        )
        order = np.argsort(cols["start_ns"], kind="stable")
        cols = {name: values[order] for name, values in cols.items()}
        worker = worker[order]
        index, _ = timeline.lookup(cols["start_ns"])
        labels = sorted(set(timeline.labels) | {RAMP})
        label_codes = np.asarray([labels.index(x) for x in timeline.labels] or [0], np.int16)
        users = np.asarray(timeline.users or [0], dtype=np.uint16)
        known = index >= 0
        step = np.where(known, label_codes[np.maximum(index, 0)], labels.index(RAMP))
        concurrency = np.where(known, users[np.maximum(index, 0)], 0).astype(np.uint16)
        n = len(cols["latency_ns"])
        columns = {
            "phase": _dictionary(np.zeros(n, np.int8), ["locust"]),
            "step": _dictionary(step.astype(np.int16), labels),
            "concurrency": pa.array(concurrency, pa.uint16()),
            "pool": _dictionary(np.zeros(n, np.int8), [pool_label]),
            "operation": _dictionary(cols["operation"].astype(np.int8), self.operations),
            "worker": pa.array(worker, pa.uint16()),
            "start_ns": pa.array(cols["start_ns"] - origin_wall_ns, pa.int64()),
            "latency_ns": pa.array(cols["latency_ns"], pa.int64()),
            "lag_ns": pa.array(np.zeros(n, np.int64), pa.int64()),
            "status": pa.array(cols["status"], pa.int16()),
            "error": _dictionary(cols["error"].astype(np.int8), self.error_names),
            "attempts": pa.array(cols["attempts"], pa.int8()),
            "connect_ns": pa.array(cols["connect_ns"], pa.int64()),
            "send_ns": pa.array(cols["send_ns"], pa.int64()),
            "wait_ns": pa.array(cols["wait_ns"], pa.int64()),
            "receive_ns": pa.array(cols["receive_ns"], pa.int64()),
            "new_connection": pa.array(cols["new_connection"], pa.int8()),
        }
        return pa.Table.from_arrays([columns[f.name] for f in SCHEMA], schema=SCHEMA)


def _dictionary(codes: np.ndarray, names: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names, pa.string()))


class TableSamples:
    """What :meth:`results.RunFolder.write_samples` needs (``to_arrow``), for a built table."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def to_arrow(self) -> pa.Table:
        return self._table
