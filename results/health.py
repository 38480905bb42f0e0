"""Generator health: when a load generator's figures describe itself, not the service.

A generator whose process burns more than 90% of a core, or whose event loop
makes a ready request wait more than 5 ms (p99) for its turn, measures its
own queueing. Two samplers watch for it, each beside the generator it
watches: :mod:`drivers.health` on the asyncio loop, :mod:`locustfiles.health`
on gevent's hub. Both turn their samples into a :class:`HealthReading`, judged
here by the one :data:`POLICY`, and written into the run folder in one shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """The thresholds beyond which a generator is called saturated."""

    max_cpu_percent: float = 90.0
    max_loop_lag_p99_ms: float = 5.0

    def saturated(self, cpu_percent: float | None, loop_lag_p99_ms: float | None) -> bool:
        """The verdict; a figure with no samples behind it (None) cannot condemn."""
        return (cpu_percent or 0.0) > self.max_cpu_percent or (
            loop_lag_p99_ms or 0.0
        ) > self.max_loop_lag_p99_ms


POLICY = HealthPolicy()


@dataclass(frozen=True, slots=True)
class HealthReading:
    """One window's figures (None where no sample fell inside it), and which window."""

    cpu_percent: float | None
    loop_lag_p50_ms: float | None
    loop_lag_p99_ms: float | None
    loop_lag_max_ms: float | None
    #: how late the sampler's own timer woke: reported, never judged (on a virtual
    #: machine the OS alone makes it several ms)
    timer_overshoot_p99_ms: float | None
    phase: str | None = None
    step: str | None = None

    @classmethod
    def from_samples(
        cls,
        cpu_percent: float | None,
        lag_ns: Sequence[int] | np.ndarray,
        overshoot_ns: Sequence[int] | np.ndarray,
        *,
        phase: str | None = None,
        step: str | None = None,
    ) -> HealthReading:
        """Loop-lag and timer-overshoot samples (ns) summarised as percentiles in ms."""
        lag = np.asarray(lag_ns, dtype=np.float64) / 1e6
        overshoot = np.asarray(overshoot_ns, dtype=np.float64) / 1e6
        return cls(
            phase=phase,
            step=step,
            cpu_percent=cpu_percent,
            loop_lag_p50_ms=float(np.percentile(lag, 50)) if lag.size else None,
            loop_lag_p99_ms=float(np.percentile(lag, 99)) if lag.size else None,
            loop_lag_max_ms=float(lag.max()) if lag.size else None,
            timer_overshoot_p99_ms=(
                float(np.percentile(overshoot, 99)) if overshoot.size else None
            ),
        )

    @classmethod
    def worst(
        cls, readings: Sequence[HealthReading], *, phase: str | None = None, step: str | None = None
    ) -> HealthReading:
        """Figure by figure, the worst of several processes (a missing figure counts as 0)."""

        def top(name: str) -> float:
            return max((getattr(r, name) or 0.0) for r in readings)

        return cls(
            phase=phase,
            step=step,
            cpu_percent=top("cpu_percent"),
            loop_lag_p50_ms=top("loop_lag_p50_ms"),
            loop_lag_p99_ms=top("loop_lag_p99_ms"),
            loop_lag_max_ms=top("loop_lag_max_ms"),
            timer_overshoot_p99_ms=top("timer_overshoot_p99_ms"),
        )

    @property
    def saturated(self) -> bool:
        return POLICY.saturated(self.cpu_percent, self.loop_lag_p99_ms)

    def to_dict(self) -> dict[str, Any]:
        """The run folder's shape (``generator_health`` in ``summary.json``)."""
        where = {"phase": self.phase, "step": self.step}
        return {
            **{key: value for key, value in where.items() if value is not None},
            "cpu_percent": _round(self.cpu_percent, 1),
            "loop_lag_p50_ms": _round(self.loop_lag_p50_ms, 3),
            "loop_lag_p99_ms": _round(self.loop_lag_p99_ms, 3),
            "loop_lag_max_ms": _round(self.loop_lag_max_ms, 3),
            "timer_overshoot_p99_ms": _round(self.timer_overshoot_p99_ms, 3),
            "saturated": self.saturated,
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
