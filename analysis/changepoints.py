"""Change points in a series of runs: E-divisive means with a permutation significance test.

The method of Matteson & James, "A Nonparametric Approach for Multiple Change
Point Analysis of Multivariate Data" (JASA 2014), as used for performance
histories by MongoDB (Daly et al., "Creating a Virtuous Cycle in Performance
Testing at MongoDB", ICPE 2020) and Apache Otava (formerly Hunter). No library
fits the project's pins (Otava pins numpy 2.2 and cloud clients, MongoDB's
package needs numpy 1.x), so the few lines of statistics live here, on numpy.

Bisection: the split τ of a segment maximising the scaled energy distance
``Q(τ) = m·k/(m+k) · (2·E|X−Y| − E|X−X'| − E|Y−Y'|)`` (α = 1) is a candidate;
it is kept when the permutation test says so (the share of shuffled segments
whose best Q is at least as large, ``p ≤ alpha``), and both halves are searched
again. Each segment has at least ``min_size`` points, so a step in the newest
run alone cannot be seen this way: :func:`newest_point` tests that run
against the segment before it with a Student-t prediction interval (the test
Otava uses in place of permutations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHA = 0.01
#: one run against the history: stricter, as a single noisy run would otherwise fail a release
NEWEST_ALPHA = 0.001
PERMUTATIONS = 199
MIN_SIZE = 3


@dataclass(frozen=True)
class ChangePoint:
    """A step that starts at ``index``; ``before``/``after`` are the segments' means."""

    index: int
    before: float
    after: float
    p_value: float
    method: str  # "e-divisive" or "newest-point t-test"

    @property
    def change(self) -> float:
        """Relative size of the step (after / before − 1); NaN when ``before`` is 0."""
        return self.after / self.before - 1 if self.before else float("nan")


def _q_all(values: np.ndarray, min_size: int) -> np.ndarray:
    """Q(τ) for every split τ in [min_size, n − min_size] (−inf elsewhere), O(n²)."""
    n = len(values)
    d = np.abs(values[:, None] - values[None, :])
    s = np.zeros((n + 1, n + 1))
    s[1:, 1:] = d.cumsum(0).cumsum(1)
    tau = np.arange(n + 1)
    within_x = s[tau, tau]
    upper = s[tau, n]  # rows < τ, all columns
    between = upper - within_x
    within_y = s[n, n] - 2 * upper + within_x
    m, k = tau.astype(float), (n - tau).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (
            2 * between / (m * k)
            - np.where(m > 1, within_x / (m * (m - 1)), 0.0)
            - np.where(k > 1, within_y / (k * (k - 1)), 0.0)
        )
        q = m * k / n * e
    q[:min_size] = -np.inf
    q[n - min_size + 1 :] = -np.inf
    return q


def _best_split(
    values: np.ndarray, min_size: int, permutations: int, rng: np.random.Generator
) -> tuple[int, float]:
    """The best split of one segment and its permutation p-value."""
    q = _q_all(values, min_size)
    tau = int(np.argmax(q))
    observed = q[tau]
    shuffled = rng.permuted(np.broadcast_to(values, (permutations, len(values))), axis=1)
    at_least = sum(_q_all(row, min_size).max() >= observed - 1e-12 for row in shuffled)
    return tau, (at_least + 1) / (permutations + 1)


def e_divisive(
    values: np.ndarray | list[float],
    *,
    alpha: float = ALPHA,
    permutations: int = PERMUTATIONS,
    min_size: int = MIN_SIZE,
    seed: int = 0,
) -> list[ChangePoint]:
    """Significant change points of ``values`` (in order), by recursive bisection."""
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    found: dict[int, float] = {}
    pending = [(0, len(x))]
    while pending:
        lo, hi = pending.pop()
        if hi - lo < 2 * min_size or np.ptp(x[lo:hi]) == 0:
            continue
        tau, p = _best_split(x[lo:hi], min_size, permutations, rng)
        if p <= alpha:
            found[lo + tau] = float(p)
            pending += [(lo, lo + tau), (lo + tau, hi)]
    return _with_sizes(x, found, "e-divisive")


def _with_sizes(x: np.ndarray, found: dict[int, float], method: str) -> list[ChangePoint]:
    """Each point's step: the mean of the segment after it vs the one before it."""
    cuts = [0, *sorted(found), len(x)]
    return [
        ChangePoint(
            index=cut,
            before=float(x[cuts[i - 1] : cut].mean()),
            after=float(x[cut : cuts[i + 1]].mean()),
            p_value=found[cut],
            method=method,
        )
        for i, cut in enumerate(cuts[1:-1], start=1)
    ]


def newest_point(
    values: np.ndarray | list[float],
    since: int = 0,
    *,
    alpha: float = NEWEST_ALPHA,
    min_history: int = 4,
) -> ChangePoint | None:
    """Does the last value start a step, against the values from ``since`` up to it?

    Two-sided Student-t prediction interval: ``t = (x_new − mean) / (s·√(1 + 1/m))``
    with m − 1 degrees of freedom. ``None`` when it does not, or with fewer than
    ``min_history`` earlier values.
    """
    x = np.asarray(values, dtype=float)
    history = x[since:-1]
    m = len(history)
    if m < min_history:
        return None
    mean, sd = float(history.mean()), float(history.std(ddof=1))
    new = float(x[-1])
    if sd == 0:
        p = 0.0 if new != mean else 1.0
    else:
        p = t_two_sided(abs(new - mean) / (sd * math.sqrt(1 + 1 / m)), m - 1)
    if p > alpha:
        return None
    return ChangePoint(len(x) - 1, mean, new, p, "newest-point t-test")


def detect(
    values: np.ndarray | list[float],
    *,
    alpha: float = ALPHA,
    permutations: int = PERMUTATIONS,
    min_size: int = MIN_SIZE,
    seed: int = 0,
) -> list[ChangePoint]:
    """E-divisive change points, plus the newest value when it alone starts a step."""
    points = e_divisive(
        values, alpha=alpha, permutations=permutations, min_size=min_size, seed=seed
    )
    newest = newest_point(values, points[-1].index if points else 0)
    return points + ([newest] if newest is not None else [])


def t_two_sided(t: float, dof: int) -> float:
    """P(|T| ≥ t) for Student's t with ``dof`` degrees of freedom: I_{ν/(ν+t²)}(ν/2, 1/2)."""
    return _betainc(dof / 2, 0.5, dof / (dof + t * t))


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta by its continued fraction (Numerical Recipes, betacf)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _betainc(b, a, 1 - x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    f = d
    for i in range(1, 300):
        for num in (
            i * (b - i) * x / ((a + 2 * i - 1) * (a + 2 * i)),
            -(a + i) * (a + b + i) * x / ((a + 2 * i) * (a + 2 * i + 1)),
        ):
            d = 1 + num * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + num / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1) < 1e-12:
            break
    return front * f / a
