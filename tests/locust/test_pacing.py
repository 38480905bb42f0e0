"""The pacer's schedule under gevent: a random phase, then one slot per period."""

from __future__ import annotations

import random
import time

import gevent
import pytest

from locustfiles.pacing import Pacer


def test_start_sleeps_a_random_part_of_one_period() -> None:
    rng = random.Random(7)
    slept = []
    for _ in range(20):
        pacer = Pacer(50.0, rng)  # period 20 ms
        before = time.perf_counter()
        pacer.start()
        slept.append(time.perf_counter() - before)
    assert all(0.0 <= s < 0.020 + 0.080 for s in slept)  # + timer overshoot on a busy VM
    # not one common phase: users spawned together spread over the period
    assert max(slept) - min(slept) > 0.010


def test_wait_keeps_the_schedule_and_never_catches_up_in_a_burst() -> None:
    pacer = Pacer(10.0)  # period 100 ms
    pacer.start()
    first = time.perf_counter()
    gevent.sleep(0.03)  # a 30 ms task
    assert pacer.wait() == pytest.approx(first + 0.1 - time.perf_counter(), abs=0.002)
    gevent.sleep(pacer.wait() + 0.25)  # the next slot, then 2.5 periods more
    assert pacer.wait() == 0.0  # late: start now...
    assert pacer.wait() == pytest.approx(0.1, abs=0.002)  # ...and one period later, not 0 again


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_rate_must_be_a_positive_number(rate: float) -> None:
    with pytest.raises(ValueError, match="tasks per second"):
        Pacer(rate)
