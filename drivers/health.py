"""Generator health, asyncio sampler: is the driver itself the bottleneck?

While a phase runs, a sampler wakes every 10 ms and measures how long a
ready task waits for the event loop to come round to it (the turnaround of
``await asyncio.sleep(0)``: one full loop iteration, so it grows with
everything else the loop has queued), and how much CPU the driver process
burns. The verdict and its thresholds are :mod:`results.health`'s, shared
with the Locust (gevent) sampler.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from array import array

from results.health import HealthReading


class HealthMonitor:
    """``async with HealthMonitor(phase, step) as monitor:`` then ``monitor.reading``."""

    def __init__(self, phase: str, step: str, interval: float = 0.01) -> None:
        self.phase, self.step, self.interval = phase, step, interval
        self._lag_ns = array("q")
        self._overshoot_ns = array("q")
        self._task: asyncio.Task[None] | None = None
        self.reading: HealthReading | None = None

    async def _sample(self) -> None:
        interval, interval_ns = self.interval, int(self.interval * 1e9)
        while True:
            before = time.perf_counter_ns()
            await asyncio.sleep(interval)
            woke = time.perf_counter_ns()
            self._overshoot_ns.append(max(0, woke - before - interval_ns))
            await asyncio.sleep(0)
            self._lag_ns.append(time.perf_counter_ns() - woke)

    async def __aenter__(self) -> HealthMonitor:
        self._cpu0, self._wall0 = time.process_time(), time.perf_counter()
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        wall = time.perf_counter() - self._wall0
        cpu = time.process_time() - self._cpu0
        self.reading = HealthReading.from_samples(
            100.0 * cpu / wall if wall > 0 else 0.0,
            self._lag_ns or [0],  # a window shorter than one tick saw no lag
            self._overshoot_ns or [0],
            phase=self.phase,
            step=self.step,
        )
