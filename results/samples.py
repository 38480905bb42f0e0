"""The one encoding of a client record as a sample row, kept in memory as flat columns.

About 90 bytes a request, appended in a few microseconds: a million requests
fit in under 100 MB, and turning them into Arrow is a copy of flat buffers,
never a Python object per row. Both load generators encode through
:meth:`SampleBuffer.add`: the asyncio drivers keep one buffer for the run;
each Locust process drains its buffer into messages (:meth:`SampleBuffer.drain`)
that the master merges by category name (:class:`SampleRows`).
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from results.schema import CATEGORICAL, COLUMNS, SCHEMA

if TYPE_CHECKING:
    from client.metrics import RequestRecord

#: in-memory typecode per column; categorical columns hold int16 codes into their names
TYPECODES: dict[str, str] = {
    name: "h" if code == "cat" else code for name, (code, _) in COLUMNS.items()
}


class SampleBuffer:
    """Columnar sample store; categorical columns keep small integer codes."""

    def __init__(self) -> None:
        self._cols: dict[str, array[int]] = {name: array(code) for name, code in TYPECODES.items()}
        self._codes: dict[str, dict[str, int]] = {name: {} for name in CATEGORICAL}

    def __len__(self) -> int:
        return len(self._cols["latency_ns"])

    def code(self, column: str, value: str) -> int:
        codes = self._codes[column]
        found = codes.get(value)
        if found is None:
            found = codes[value] = len(codes)
        return found

    def add(
        self,
        record: RequestRecord,
        *,
        phase: str,
        step: str,
        concurrency: int,
        pool: str,
        origin_ns: int,
        worker: int = 0,
        intended_ns: int | None = None,
    ) -> int:
        """Append one client record; returns its ``start_ns`` (from ``origin_ns``).

        ``intended_ns`` (open loop) is the scheduled send time; ``worker`` the
        closed-loop worker (1..concurrency) that sent it, 0 outside one.
        """
        c = self._cols
        start = (record.start_ns if intended_ns is None else intended_ns) - origin_ns
        lag = 0 if intended_ns is None else record.start_ns - intended_ns
        c["phase"].append(self.code("phase", phase))
        c["step"].append(self.code("step", step))
        c["concurrency"].append(concurrency)
        c["pool"].append(self.code("pool", pool))
        c["operation"].append(self.code("operation", record.operation))
        c["worker"].append(worker)
        c["start_ns"].append(start)
        c["latency_ns"].append(record.latency_ns + lag)
        c["lag_ns"].append(lag)
        c["status"].append(record.status or 0)
        c["error"].append(self.code("error", record.error or ""))
        c["attempts"].append(min(record.attempts, 127))
        p = record.phases
        c["connect_ns"].append(p.connect_ns)
        c["send_ns"].append(p.send_ns)
        c["wait_ns"].append(p.wait_ns)
        c["receive_ns"].append(p.receive_ns)
        c["new_connection"].append(
            -1 if record.new_connection is None else int(record.new_connection)
        )
        return start

    def nbytes(self) -> int:
        return sum(col.itemsize * len(col) for col in self._cols.values())

    def names(self) -> dict[str, list[str]]:
        """Each categorical column's names, in code order."""
        return {column: list(codes) for column, codes in self._codes.items()}

    def drain(self) -> dict[str, Any]:
        """The rows added since the last drain, as raw bytes a message can carry.

        The names stay (later rows reuse their codes) and travel whole each time.
        """
        chunk = {
            "columns": {name: col.tobytes() for name, col in self._cols.items()},
            "names": self.names(),
        }
        for col in self._cols.values():
            del col[:]
        return chunk

    def to_arrow(self) -> pa.Table:
        columns = {name: np.frombuffer(col, dtype=col.typecode) for name, col in self._cols.items()}
        return samples_table(columns, self.names())


class SampleRows:
    """Drained chunks from any number of buffers, their codes remapped to shared names.

    ``names`` may preset categories, so codes (and the dictionaries' order) do
    not depend on which chunk arrived first.
    """

    def __init__(self, names: dict[str, list[str]] | None = None) -> None:
        self.names: dict[str, list[str]] = {column: [] for column in CATEGORICAL}
        for column, preset in (names or {}).items():
            self.names[column] = list(preset)
        self._parts: list[dict[str, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(part["latency_ns"]) for part in self._parts)

    def add(self, chunk: dict[str, Any], **constant: int) -> int:
        """Append a drained chunk, each ``constant`` column set to one value; returns its rows."""
        part = {
            name: np.frombuffer(chunk["columns"][name], dtype=code)
            for name, code in TYPECODES.items()
        }
        rows = len(part["latency_ns"])
        if not rows:
            return 0
        for column in CATEGORICAL:
            part[column] = self._remap(column, chunk["names"][column])[part[column]]
        for name, value in constant.items():
            part[name] = np.full(rows, value, dtype=TYPECODES[name])
        self._parts.append(part)
        return rows

    def _remap(self, column: str, names: list[str]) -> np.ndarray:
        known = self.names[column]
        lookup = []
        for name in names:
            if name not in known:
                known.append(name)
            lookup.append(known.index(name))
        return np.asarray(lookup or [0], dtype=TYPECODES[column])

    def columns(self) -> dict[str, np.ndarray]:
        """Every row so far, in arrival order, as one array per column."""
        return {
            name: np.concatenate([part[name] for part in self._parts])
            if self._parts
            else np.empty(0, dtype=code)
            for name, code in TYPECODES.items()
        }


def samples_table(columns: dict[str, np.ndarray], names: dict[str, list[str]]) -> pa.Table:
    """In-memory columns (codes for categoricals, with their ``names``) as a samples table."""
    arrays = []
    for field in SCHEMA:
        values = columns[field.name]
        if field.name in names:
            index_type = field.type.index_type
            arrays.append(
                pa.DictionaryArray.from_arrays(
                    pa.array(values.astype(index_type.to_pandas_dtype())),
                    pa.array(names[field.name], pa.string()),
                )
            )
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)
