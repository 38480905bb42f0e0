"""Per-request decisions from a profile: which fault (if any) and how long to serve.

Two ``random.Random`` streams seeded from ``profile.seed``: one for faults,
one for service times, so the fault sequence for a given request order does
not change when latencies are retuned. With no faults configured the fault
stream is never drawn from.

Fault semantics: a drop aborts the TCP connection before any response byte;
503/429 answer at once with ``Retry-After``; a slow answer is served
normally but takes ``slow_ms`` instead of the sampled service time (and
holds a capacity slot meanwhile, like a stuck database call).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import Enum

from mock_service import endpoints
from mock_service.profile import Profile


class Fault(Enum):
    NONE = "none"
    DROP = "drop"
    ERROR_503 = "503"
    ERROR_429 = "429"
    SLOW = "slow"


@dataclass(frozen=True, slots=True)
class _Dist:
    mu: float
    sigma: float
    zero: bool


class Injector:
    """Draws faults and service times for one profile; ``reset`` replays from the seed."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        faults = profile.faults
        # Cumulative thresholds on one uniform draw, in a fixed order.
        self._drop = faults.drop_rate
        self._e503 = self._drop + faults.error_503_rate
        self._e429 = self._e503 + faults.error_429_rate
        self._slow = self._e429 + faults.slow_rate
        self._has_faults = self._slow > 0
        self.slow_ms = faults.slow_ms
        self._dists: dict[str, _Dist] = {}
        for key in (*endpoints.TEMPLATES, endpoints.OTHER):
            dist = profile.latency_for(key).distribution
            self._dists[key] = (
                _Dist(0.0, 0.0, True) if dist is None else _Dist(dist.mu, dist.sigma, False)
            )
        self.passthrough = (
            not self._has_faults
            and all(d.zero for d in self._dists.values())
            and profile.capacity is None
            and profile.new_connection_ms == 0
        )
        self.reset()

    def reset(self) -> None:
        seed = self.profile.seed
        self._fault_rng = random.Random(seed)
        self._latency_rng = random.Random(seed ^ 0x5EED_1A7E)

    def fault(self) -> Fault:
        """The next fault decision (one uniform draw when any fault rate is set)."""
        if not self._has_faults:
            return Fault.NONE
        u = self._fault_rng.random()
        if u < self._drop:
            return Fault.DROP
        if u < self._e503:
            return Fault.ERROR_503
        if u < self._e429:
            return Fault.ERROR_429
        if u < self._slow:
            return Fault.SLOW
        return Fault.NONE

    def service_ms(self, endpoint: str) -> float:
        """A service time for the endpoint in ms (0 for zero-latency endpoints)."""
        d = self._dists.get(endpoint) or self._dists[endpoints.OTHER]
        if d.zero:
            return 0.0
        if d.sigma == 0:
            return math.exp(d.mu)
        return self._latency_rng.lognormvariate(d.mu, d.sigma)
