"""Bootstrap intervals of percentiles and of throughput, fast enough for a million samples.

Compare's cells and history's series both take their intervals here: one
``DRAWS``, one confidence ``LEVEL``.

Percentiles: the *exact* bootstrap distribution of numpy's linear
percentile, drawn without materialising resamples. A resample of size n from
the data is F⁻¹(U₁..Uₙ) for uniforms U, so its k-th order statistic is
x₍⌈n·U₍ₖ₎⌉₎ with U₍ₖ₎ ~ Beta(k, n−k+1), and the next one follows from
U₍ₖ₊₁₎ = U₍ₖ₎ + (1−U₍ₖ₎)·Beta(1, n−k). One sort per group, then O(draws):
the same answer as resampling n values 2,000 times, at no cost in n.

Throughput: the window is cut into intervals (1 s, or at least 10
intervals for short windows); the request counts of the intervals are
resampled with replacement and the rate recomputed.
"""

from __future__ import annotations

import math

import numpy as np

#: bootstrap replicates per interval; a percentile's cost is one sort of the cell, then O(DRAWS)
DRAWS = 2000
#: the confidence level of every interval compare and history show
LEVEL = 0.95


def percentile_draws(
    sorted_values: np.ndarray, q: float, rng: np.random.Generator, draws: int = DRAWS
) -> np.ndarray:
    """``draws`` bootstrap replicates of ``np.percentile(values, 100*q)`` (values sorted)."""
    n = len(sorted_values)
    h = (n - 1) * q
    lo = math.floor(h)
    frac = h - lo
    k = lo + 1  # 1-based order statistic
    u1 = rng.beta(k, n - k + 1, draws)
    first = sorted_values[_index(u1, n)]
    if frac == 0 or k >= n:
        return first.astype(float)
    u2 = u1 + (1 - u1) * rng.beta(1, n - k, draws)
    return (1 - frac) * first + frac * sorted_values[_index(u2, n)]


def _index(u: np.ndarray, n: int) -> np.ndarray:
    return np.clip(np.ceil(u * n).astype(np.int64) - 1, 0, n - 1)


def interval_counts(starts: np.ndarray, start_ns: int, end_ns: int) -> tuple[np.ndarray, float]:
    """Requests started in each interval of the window, and the interval length in s."""
    duration = (end_ns - start_ns) / 1e9
    k = max(10, round(duration))
    width = (end_ns - start_ns) / k
    bins = np.clip(((starts - start_ns) / width).astype(np.int64), 0, k - 1)
    return np.bincount(bins, minlength=k), width / 1e9


def throughput_draws(
    counts: np.ndarray, interval_s: float, rng: np.random.Generator, draws: int = DRAWS
) -> np.ndarray:
    """Replicates of the window's rate from resampled interval counts."""
    k = len(counts)
    picks = rng.integers(0, k, size=(draws, k))
    return counts[picks].sum(axis=1) / (k * interval_s)


def interval(draws: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` interval of bootstrap replicates (their finite ones)."""
    alpha = (1 - level) / 2
    low, high = np.quantile(draws[np.isfinite(draws)], [alpha, 1 - alpha])
    return float(low), float(high)


def change_interval(base: np.ndarray, cand: np.ndarray) -> tuple[float, float]:
    """The interval of the relative change ``cand / base - 1`` from paired replicates."""
    return interval(cand / base - 1)
