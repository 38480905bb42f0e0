from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.usl import fit_usl, predict
from tests._run_factory import usl


@pytest.mark.parametrize(
    ("sigma", "kappa", "lam"),
    [(0.05, 0.0002, 55.0), (0.02, 0.00005, 120.0), (0.3, 0.001, 10.0), (0.1, 0.0, 40.0)],
)
def test_fit_recovers_known_coefficients(sigma: float, kappa: float, lam: float) -> None:
    rng = np.random.default_rng(7)
    n = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
    x = usl(n, sigma, kappa, lam) * (1 + 0.01 * rng.standard_normal(len(n)))
    fit = fit_usl(n, x)
    assert fit is not None
    assert fit.lam == pytest.approx(lam, rel=0.03)
    assert fit.sigma == pytest.approx(sigma, rel=0.15, abs=0.005)
    assert fit.kappa == pytest.approx(kappa, rel=0.2, abs=2e-5)
    assert fit.r2 > 0.99
    if kappa:
        assert fit.peak_concurrency == pytest.approx(math.sqrt((1 - sigma) / kappa), rel=0.15)
        assert fit.peak_throughput == pytest.approx(float(predict(fit, fit.peak_concurrency)))
    else:
        assert fit.kappa < 2e-5


def test_fit_needs_three_levels() -> None:
    assert fit_usl(np.array([1, 10, 10]), np.array([50.0, 400.0, 410.0])) is None
    assert fit_usl(np.array([1, 10, 50]), np.array([50.0, 400.0, 800.0])) is not None
