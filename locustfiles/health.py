"""Generator health under gevent: process CPU% and greenlet scheduling lag.

A load generator that is itself saturated measures its own queueing, not
the service. Under Locust the event loop is gevent's hub: every ``TICK``
seconds a greenlet yields (``gevent.sleep(0)``) and times how long the hub
takes to come back to it; that is the wait every ready user greenlet
suffers behind the others. (Timing a ``sleep(TICK)``'s overshoot instead
would add the OS's timer jitter: on this VM a plain ``time.sleep`` already
overshoots by 4-5 ms at p99, so it is kept only as ``timer_overshoot``.)
The verdict and its thresholds are :mod:`results.health`'s, shared with the
asyncio drivers' sampler.
"""

from __future__ import annotations

import os
import time
from array import array

import gevent
import numpy as np

from results.health import HealthReading

TICK = 0.01
CPU_EVERY = 0.5


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class HealthSampler:
    """Lag samples every ``TICK`` s and CPU% every ``CPU_EVERY`` s, wall-clock stamped."""

    def __init__(self) -> None:
        self._lag_at = array("q")
        self._lag_ns = array("q")
        self._overshoot_ns = array("q")
        self._cpu_at = array("q")
        self._cpu_pct = array("d")
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None

    def _run(self) -> None:
        tick_ns = int(TICK * 1e9)
        cpu_mark, wall_mark = _cpu_seconds(), time.perf_counter()
        while True:
            before = time.perf_counter_ns()
            gevent.sleep(TICK)
            woke = time.perf_counter_ns()
            gevent.sleep(0)  # back of the hub's queue: how long until our turn comes again
            turn = time.perf_counter_ns()
            now = time.time_ns()
            self._lag_at.append(now)
            self._lag_ns.append(turn - woke)
            self._overshoot_ns.append(max(0, woke - before - tick_ns))
            wall = time.perf_counter()
            if wall - wall_mark >= CPU_EVERY:
                cpu = _cpu_seconds()
                self._cpu_at.append(now)
                self._cpu_pct.append(100.0 * (cpu - cpu_mark) / (wall - wall_mark))
                cpu_mark, wall_mark = cpu, wall

    def drain(self) -> dict[str, bytes]:
        """The samples gathered since the last drain, as raw arrays (for a Locust message)."""
        out = {
            "lag_at": self._lag_at.tobytes(),
            "lag_ns": self._lag_ns.tobytes(),
            "overshoot_ns": self._overshoot_ns.tobytes(),
            "cpu_at": self._cpu_at.tobytes(),
            "cpu_pct": self._cpu_pct.tobytes(),
        }
        for column in (
            self._lag_at,
            self._lag_ns,
            self._overshoot_ns,
            self._cpu_at,
            self._cpu_pct,
        ):
            del column[:]
        return out


class HealthSeries:
    """One process's health samples, accumulated from drained chunks."""

    def __init__(self) -> None:
        self.lag_at: list[np.ndarray] = []
        self.lag_ns: list[np.ndarray] = []
        self.overshoot_ns: list[np.ndarray] = []
        self.cpu_at: list[np.ndarray] = []
        self.cpu_pct: list[np.ndarray] = []

    def add(self, chunk: dict[str, bytes]) -> None:
        self.lag_at.append(np.frombuffer(chunk["lag_at"], dtype=np.int64))
        self.lag_ns.append(np.frombuffer(chunk["lag_ns"], dtype=np.int64))
        self.overshoot_ns.append(np.frombuffer(chunk["overshoot_ns"], dtype=np.int64))
        self.cpu_at.append(np.frombuffer(chunk["cpu_at"], dtype=np.int64))
        self.cpu_pct.append(np.frombuffer(chunk["cpu_pct"], dtype=np.float64))

    def reading(self, start_wall_ns: int, end_wall_ns: int) -> HealthReading:
        """CPU% (mean) and greenlet lag between two wall-clock instants."""
        lag_at = _cat(self.lag_at)
        inside = (lag_at >= start_wall_ns) & (lag_at < end_wall_ns)
        cpu_at, cpu = _cat(self.cpu_at), _cat(self.cpu_pct, np.float64)
        cpu = cpu[(cpu_at >= start_wall_ns) & (cpu_at < end_wall_ns)]
        return HealthReading.from_samples(
            float(cpu.mean()) if cpu.size else None,
            _cat(self.lag_ns)[inside],
            _cat(self.overshoot_ns)[inside],
        )

    def window(self, start_wall_ns: int, end_wall_ns: int) -> dict[str, float | bool | None]:
        """:meth:`reading` in the run folder's shape, verdict included."""
        return self.reading(start_wall_ns, end_wall_ns).to_dict()


def _cat(parts: list[np.ndarray], dtype: type = np.int64) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
