"""Fit a lognormal service-time distribution to a few published figures.

A latency table gives p50/p95/p99 (and often the mean). A lognormal has two
parameters, so it cannot match four figures exactly; we pick (mu, sigma) that
minimise the squared log-ratio between the fitted and target figures, p99
weighted three times. In log space the quantiles are linear in (mu, sigma)
and the mean is mu + sigma^2 / 2, so for a fixed sigma the best mu is a
weighted average, and a one-dimensional search over sigma finishes the fit. p50 = p95 = p99 (and
avg absent or equal) gives sigma = 0: a constant service time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.6448536269514722
Z99 = 2.3263478740408408


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Service time in ms: exp(N(mu, sigma^2)); ``constant`` when sigma is 0."""

    mu: float
    sigma: float

    def quantile(self, z: float) -> float:
        return math.exp(self.mu + z * self.sigma)

    @property
    def p50(self) -> float:
        return math.exp(self.mu)

    @property
    def p95(self) -> float:
        return self.quantile(Z95)

    @property
    def p99(self) -> float:
        return self.quantile(Z99)

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma * self.sigma / 2)


#: weight of p99 in the fit: when four figures cannot all be met, keep the tail,
#: which is what a performance review reads first
P99_WEIGHT = 3.0

Term = tuple[float, float, float, float]


def _terms(p50: float, p95: float, p99: float, avg: float | None) -> list[Term]:
    """(log target, z-coefficient, sigma^2-coefficient, weight) per figure."""
    terms = [
        (math.log(p50), 0.0, 0.0, 1.0),
        (math.log(p95), Z95, 0.0, 1.0),
        (math.log(p99), Z99, 0.0, P99_WEIGHT),
    ]
    if avg is not None:
        terms.append((math.log(avg), 0.0, 0.5, 1.0))
    return terms


def _best(terms: list[Term], sigma: float) -> tuple[float, float]:
    """Best mu for this sigma (a weighted mean), and the weighted squared error."""
    shifts = [(t - z * sigma - q * sigma * sigma, w) for t, z, q, w in terms]
    total = sum(w for _, w in shifts)
    mu = sum(x * w for x, w in shifts) / total
    return mu, sum(w * (x - mu) ** 2 for x, w in shifts)


def fit(p50: float, p95: float, p99: float, avg: float | None = None) -> LogNormal:
    """Least-squares lognormal (in log space) for p50/p95/p99 and optionally the mean (ms > 0)."""
    terms = _terms(p50, p95, p99, avg)
    lo, hi = 0.0, 3.0
    # The error is a smooth quartic in sigma; a coarse scan then golden-section refinement.
    grid = [lo + i * (hi - lo) / 300 for i in range(301)]
    best = min(grid, key=lambda s: _best(terms, s)[1])
    a, b = max(lo, best - 0.01), min(hi, best + 0.01)
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if _best(terms, c)[1] <= _best(terms, d)[1]:
            b = d
        else:
            a = c
    sigma = (a + b) / 2
    if sigma < 1e-6 or _best(terms, 0.0)[1] <= _best(terms, sigma)[1]:
        sigma = 0.0
    return LogNormal(_best(terms, sigma)[0], sigma)
