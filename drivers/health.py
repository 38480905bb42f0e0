"""Generator health: is the driver itself the bottleneck?

While a phase runs, a sampler wakes every 10 ms and measures how long a
ready task waits for the event loop to come round to it (the turnaround of
``await asyncio.sleep(0)``: one full loop iteration, so it grows with
everything else the loop has queued), and how much CPU the driver process
burns. A phase whose driver ran above 90% CPU or whose loop lag p99
exceeded 5 ms is flagged: its numbers describe the harness, not the service.
Timer overshoot (how late the 10 ms sleep itself woke) is reported too, but
not judged: on a virtual machine the OS alone makes it several ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

CPU_LIMIT_PERCENT = 90.0
LAG_LIMIT_MS = 5.0


@dataclass(frozen=True, slots=True)
class HealthReading:
    phase: str
    step: str
    cpu_percent: float
    loop_lag_p50_ms: float
    loop_lag_p99_ms: float
    loop_lag_max_ms: float
    timer_overshoot_p99_ms: float = 0.0

    @property
    def saturated(self) -> bool:
        return self.cpu_percent > CPU_LIMIT_PERCENT or self.loop_lag_p99_ms > LAG_LIMIT_MS

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "step": self.step,
            "cpu_percent": round(self.cpu_percent, 1),
            "loop_lag_p50_ms": round(self.loop_lag_p50_ms, 3),
            "loop_lag_p99_ms": round(self.loop_lag_p99_ms, 3),
            "loop_lag_max_ms": round(self.loop_lag_max_ms, 3),
            "timer_overshoot_p99_ms": round(self.timer_overshoot_p99_ms, 3),
            "saturated": self.saturated,
        }


class HealthMonitor:
    """``async with HealthMonitor(phase, step) as monitor:`` then ``monitor.reading``."""

    def __init__(self, phase: str, step: str, interval: float = 0.01) -> None:
        self.phase, self.step, self.interval = phase, step, interval
        self._lags: list[float] = []
        self._overshoots: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self.reading: HealthReading | None = None

    async def _sample(self) -> None:
        interval = self.interval
        while True:
            before = time.perf_counter()
            await asyncio.sleep(interval)
            woke = time.perf_counter()
            self._overshoots.append(max(0.0, woke - before - interval))
            await asyncio.sleep(0)
            self._lags.append(time.perf_counter() - woke)

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
        lags = np.array(self._lags or [0.0]) * 1e3
        overshoots = np.array(self._overshoots or [0.0]) * 1e3
        self.reading = HealthReading(
            phase=self.phase,
            step=self.step,
            cpu_percent=100.0 * cpu / wall if wall > 0 else 0.0,
            loop_lag_p50_ms=float(np.percentile(lags, 50)),
            loop_lag_p99_ms=float(np.percentile(lags, 99)),
            loop_lag_max_ms=float(lags.max()),
            timer_overshoot_p99_ms=float(np.percentile(overshoots, 99)),
        )
