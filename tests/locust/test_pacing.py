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


class NoPhase(random.Random):
    """Phase 0: ``start`` returns at once, so the clock reads around it bracket the first slot."""

    def uniform(self, a: float, b: float) -> float:
        return a


def test_wait_keeps_the_schedule_and_never_catches_up_in_a_burst() -> None:
    """Clock reads around each call bracket what the pacer read: exact, however busy the CPU."""
    pacer = Pacer(10.0, NoPhase())  # period 100 ms, the first slot as start returns
    before = time.perf_counter()
    pacer.start()  # the first slot: when start returns
    after = time.perf_counter()
    gevent.sleep(0.03)  # a 30 ms task
    asked = time.perf_counter()
    left = pacer.wait()
    answered = time.perf_counter()
    # one period after the first slot (0 if the task overran it)
    assert max(0.0, before + 0.1 - answered) <= left <= max(0.0, after + 0.1 - asked)
    gevent.sleep(left + 0.25)  # the next slot, then 2.5 periods more
    late = time.perf_counter()
    assert pacer.wait() == 0.0  # late: start now...
    asked = time.perf_counter()
    left = pacer.wait()
    answered = time.perf_counter()
    assert max(0.0, late + 0.1 - answered) <= left <= 0.1  # ...and one period on, not 0 again


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_rate_must_be_a_positive_number(rate: float) -> None:
    with pytest.raises(ValueError, match="tasks per second"):
        Pacer(rate)
