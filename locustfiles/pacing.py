"""Paced users: each runs a task every ``1 / rate`` seconds, from a random phase.

Locust's ``constant_throughput`` anchors each user's schedule to the moment
the user object was created, so users spawned in the same instant keep
firing in the same instant: bursts of every user at once, which the
generator then serves one after the other. Here each user starts at a
random phase of its period, and a late task pushes the schedule back
instead of being caught up in a burst.
"""

from __future__ import annotations

import math
import random
import time

import gevent


class Pacer:
    """One user's schedule: :meth:`start` in ``on_start``, :meth:`wait` as its ``wait_time``."""

    def __init__(self, rate: float, rng: random.Random | None = None) -> None:
        if not math.isfinite(rate) or rate <= 0:
            raise ValueError(f"a pace needs tasks per second > 0, not {rate}")
        self.period = 1.0 / rate
        self._rng = rng or random.Random()
        self._next = 0.0

    def start(self) -> None:
        """Sleep a random part of one period; the first task runs when this returns."""
        gevent.sleep(self._rng.uniform(0.0, self.period))
        self._next = time.perf_counter()

    def wait(self) -> float:
        """Seconds until the next slot (0 and a later schedule when the last task overran)."""
        now = time.perf_counter()
        self._next = max(self._next + self.period, now)
        return self._next - now
