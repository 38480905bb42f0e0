"""One generator-health policy, judged the same way for both samplers (asyncio and gevent)."""

from __future__ import annotations

import asyncio

import gevent
import numpy as np
import pytest

from drivers.health import HealthMonitor
from locustfiles.health import HealthSampler, HealthSeries
from results import health
from results.health import POLICY, HealthPolicy, HealthReading

#: a window long enough for several 10 ms ticks, short enough for a busy machine
WINDOW_S = 0.15


def test_the_policy_thresholds_and_verdict() -> None:
    assert (POLICY.max_cpu_percent, POLICY.max_loop_lag_p99_ms) == (90.0, 5.0)
    assert POLICY.saturated(95.0, 1.0) and POLICY.saturated(10.0, 6.0)
    assert not POLICY.saturated(89.0, 4.9) and not POLICY.saturated(None, None)
    assert not POLICY.saturated(90.0, 5.0)  # at the threshold is still healthy


def _asyncio_reading() -> HealthReading:
    async def watch() -> HealthReading:
        async with HealthMonitor("throughput", "c1") as monitor:
            await asyncio.sleep(WINDOW_S)
        assert monitor.reading is not None
        return monitor.reading

    return asyncio.run(watch())


def _gevent_series() -> HealthSeries:
    sampler, series = HealthSampler(), HealthSeries()
    sampler.start()
    gevent.sleep(WINDOW_S)
    sampler.stop()
    series.add(sampler.drain())
    return series


def test_both_samplers_are_judged_by_the_one_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Swap the policy: what both samplers write follows it, so neither keeps thresholds."""
    asyncio_reading, gevent_series = _asyncio_reading(), _gevent_series()
    written = {  # what each leaves in summary.json, evaluated now
        "asyncio": asyncio_reading.to_dict,
        "gevent": lambda: gevent_series.window(0, 2**62),
    }
    for name, figures in written.items():
        row = figures()
        assert row["loop_lag_p99_ms"] is not None, name  # the sampler ran
        assert row["saturated"] == POLICY.saturated(row["cpu_percent"], row["loop_lag_p99_ms"])
    monkeypatch.setattr(health, "POLICY", HealthPolicy(max_cpu_percent=-1.0))
    assert all(figures()["saturated"] for figures in written.values())
    monkeypatch.setattr(health, "POLICY", HealthPolicy(1e9, 1e9))
    assert not any(figures()["saturated"] for figures in written.values())


def test_both_samplers_write_one_shape() -> None:
    """The asyncio reading adds only where it was taken (phase, step) to the gevent one."""
    ours = _asyncio_reading().to_dict()
    series = HealthSeries()  # no samples at all: every figure unknown, the verdict healthy
    theirs = series.window(0, 2**62)
    assert set(ours) - set(theirs) == {"phase", "step"}
    assert (ours["phase"], ours["step"]) == ("throughput", "c1")
    assert theirs["saturated"] is False and theirs["loop_lag_p99_ms"] is None


def test_a_reading_summarises_samples_and_the_worst_of_several() -> None:
    calm = HealthReading.from_samples(40.0, np.full(100, 1_000_000), np.zeros(100))
    lagging = HealthReading.from_samples(None, np.r_[np.full(95, 1_000_000), [8e6] * 5], [0])
    assert (calm.loop_lag_p99_ms, calm.saturated) == (1.0, False)
    assert lagging.loop_lag_p99_ms == pytest.approx(8.0) and lagging.saturated
    worst = HealthReading.worst([calm, lagging], phase="locust", step="steady")
    assert (worst.cpu_percent, worst.loop_lag_max_ms) == (40.0, 8.0)
    assert worst.to_dict()["saturated"] and worst.to_dict()["step"] == "steady"
