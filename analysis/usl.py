"""Universal Scalability Law fit: X(N) = λN / (1 + σ(N−1) + κN(N−1)).

σ (contention) is the serial share of the work, κ (coherency) the cost of
keeping workers in step; together they predict where adding concurrency
stops paying (N* = sqrt((1−σ)/κ)). The fit is numpy-only: for fixed (σ, κ)
the best λ has a closed form, so the sum of squared throughput errors is
minimised over a (σ, κ) grid (κ on a log scale), zoomed in a few times.
Both coefficients are kept in [0, 1], as the model requires.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_LEVELS = 3


@dataclass(frozen=True)
class UslFit:
    sigma: float
    kappa: float
    lam: float
    r2: float
    levels: int

    @property
    def peak_concurrency(self) -> float:
        """N* = sqrt((1−σ)/κ); infinite when κ = 0 (no retrograde region)."""
        if self.kappa <= 0:
            return math.inf
        return math.sqrt(max(0.0, 1 - self.sigma) / self.kappa)

    @property
    def peak_throughput(self) -> float:
        """X(N*), or the asymptote λ/σ when there is no peak (κ = 0)."""
        n = self.peak_concurrency
        if math.isinf(n):
            return self.lam / self.sigma if self.sigma > 0 else math.inf
        return float(predict(self, n))


def predict(fit: UslFit, n: np.ndarray | float) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return fit.lam * n / (1 + fit.sigma * (n - 1) + fit.kappa * n * (n - 1))


def _sse(
    n: np.ndarray, x: np.ndarray, sigma: np.ndarray, kappa: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """SSE and best λ for every (σ, κ) pair (broadcast over the first axes)."""
    g = n / (1 + sigma[..., None] * (n - 1) + kappa[..., None] * n * (n - 1))
    lam = (g * x).sum(-1) / (g * g).sum(-1)
    resid = x - lam[..., None] * g
    return (resid * resid).sum(-1), lam


def fit_usl(concurrency: np.ndarray, throughput: np.ndarray) -> UslFit | None:
    """Least-squares USL fit, or None with fewer than three concurrency levels."""
    n = np.asarray(concurrency, dtype=float)
    x = np.asarray(throughput, dtype=float)
    keep = np.isfinite(x) & (x > 0) & (n >= 1)
    n, x = n[keep], x[keep]
    if len(np.unique(n)) < MIN_LEVELS:
        return None
    sig = np.linspace(0.0, 1.0, 101)
    logk = np.linspace(-9.0, 0.0, 91)
    best = (np.inf, 0.0, 0.0, 0.0)
    for _ in range(6):
        kap = np.concatenate([[0.0], 10.0**logk])
        s, k = np.meshgrid(sig, kap, indexing="ij")
        sse, lam = _sse(n, x, s, k)
        i, j = np.unravel_index(np.argmin(sse), sse.shape)
        if sse[i, j] <= best[0]:
            best = (float(sse[i, j]), float(s[i, j]), float(k[i, j]), float(lam[i, j]))
        s_step = (sig[-1] - sig[0]) / (len(sig) - 1)
        k_step = (logk[-1] - logk[0]) / (len(logk) - 1)
        center_s = best[1]
        center_k = math.log10(best[2]) if best[2] > 0 else logk[0]
        sig = np.clip(np.linspace(center_s - 2 * s_step, center_s + 2 * s_step, 41), 0, 1)
        logk = np.linspace(center_k - 2 * k_step, min(0.0, center_k + 2 * k_step), 41)
    best_sse, sigma, kappa, best_lam = best
    sst = float(((x - x.mean()) ** 2).sum())
    r2 = 1 - best_sse / sst if sst > 0 else 1.0
    return UslFit(sigma=sigma, kappa=kappa, lam=best_lam, r2=r2, levels=len(np.unique(n)))
