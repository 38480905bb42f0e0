"""A log-bucketed latency histogram: bounded memory, mergeable, 3 significant digits.

Values (nanoseconds) fall into buckets whose width is 0.2% of their value, so
any percentile read back is within 0.1% of the exact one. Two histograms
merge by adding counts, which is what Locust workers and long-running
services need: memory does not grow with the number of requests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

_RATIO = 1.002
_INV_LOG = 1.0 / math.log(_RATIO)


class LatencyHistogram:
    __slots__ = ("_buckets", "count", "max", "min", "total")

    def __init__(self) -> None:
        self._buckets: dict[int, int] = {}
        self.count = 0
        self.total = 0
        self.min = 0
        self.max = 0

    def record(self, value_ns: int) -> None:
        index = int(math.log(value_ns) * _INV_LOG) if value_ns > 1 else 0
        buckets = self._buckets
        buckets[index] = buckets.get(index, 0) + 1
        if not self.count or value_ns < self.min:
            self.min = value_ns
        if value_ns > self.max:
            self.max = value_ns
        self.count += 1
        self.total += value_ns

    def merge(self, other: LatencyHistogram) -> None:
        for index, n in other._buckets.items():
            self._buckets[index] = self._buckets.get(index, 0) + n
        if other.count:
            self.min = other.min if not self.count else min(self.min, other.min)
            self.max = max(self.max, other.max)
        self.count += other.count
        self.total += other.total

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) in nanoseconds; 0.0 when empty."""
        return self.percentiles((q,))[0]

    def percentiles(self, qs: Iterable[float]) -> list[float]:
        wanted = list(qs)
        if not self.count:
            return [0.0 for _ in wanted]
        order = sorted(self._buckets.items())
        out = []
        for q in wanted:
            rank = max(1, math.ceil(q / 100.0 * self.count))
            seen = 0
            for index, n in order:
                seen += n
                if seen >= rank:
                    # geometric middle of the bucket, clamped to what was seen
                    mid = _RATIO ** (index + 0.5) if index else 1.0
                    out.append(float(min(max(mid, self.min), self.max)))
                    break
        return out

    def to_dict(self) -> dict[str, object]:
        """A JSON-able form (for Locust worker messages and files)."""
        return {
            "buckets": {str(k): v for k, v in self._buckets.items()},
            "count": self.count,
            "total": self.total,
            "min": self.min,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LatencyHistogram:
        hist = cls()
        buckets = data.get("buckets") or {}
        assert isinstance(buckets, Mapping)
        hist._buckets = {int(k): int(v) for k, v in buckets.items()}
        hist.count = _int(data.get("count", 0))
        hist.total = _int(data.get("total", 0))
        hist.min = _int(data.get("min", 0))
        hist.max = _int(data.get("max", 0))
        return hist


def _int(value: object) -> int:
    if not isinstance(value, int | float | str):
        raise TypeError(f"a histogram figure must be a number, not {type(value).__name__}")
    return int(value)
