"""E-divisive change points and the newest-point test, on series with known steps."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.changepoints import detect, e_divisive, newest_point, t_two_sided

NOISE = 0.04  # run-to-run relative noise of a p95, as the synthetic runs show


def _series(rng: np.random.Generator, n: int, step_at: int | None, step: float) -> np.ndarray:
    values = 100 * (1 + NOISE * rng.standard_normal(n))
    if step_at is not None:
        values[step_at:] *= 1 + step
    return values


@pytest.mark.parametrize(("n", "k", "step"), [(20, 10, 0.25), (30, 7, -0.2), (16, 12, 0.3)])
def test_a_planted_step_is_found_at_its_run_with_its_size(n: int, k: int, step: float) -> None:
    rng = np.random.default_rng(k)
    values = _series(rng, n, k, step)
    points = e_divisive(values, seed=1)
    assert [p.index for p in points] == [k]
    (point,) = points
    noise = NOISE * np.sqrt(1 / k + 1 / (n - k)) * (1 + abs(step))
    assert abs(point.change - step) < 3 * noise
    assert point.p_value <= 0.01


def test_twenty_series_without_a_step_give_at_most_one_false_change() -> None:
    # over 400 such series about 1.25% show a false change (alpha 0.01 plus the bisection's
    # second looks), so 20 expect 0.25; the seed fixes which 20
    rng = np.random.default_rng(1)
    false = sum(len(detect(_series(rng, 24, None, 0.0), seed=s)) for s in range(20))
    assert false <= 1


def test_two_steps_are_both_found() -> None:
    rng = np.random.default_rng(5)
    values = _series(rng, 30, 10, 0.3)
    values[20:] *= 0.7
    assert [p.index for p in e_divisive(values, seed=0)] == [10, 20]


def test_a_flat_or_short_series_has_no_change() -> None:
    assert detect(np.full(12, 5.0)) == []
    assert detect([1.0, 2.0, 3.0]) == []


def test_a_step_in_the_newest_value_alone_is_caught_by_the_t_test() -> None:
    rng = np.random.default_rng(9)
    values = _series(rng, 12, 11, 0.3)
    assert e_divisive(values) == []  # a segment of one run is too short to bisect
    point = newest_point(values)
    assert point is not None and point.index == 11
    assert point.change == pytest.approx(0.3, abs=0.1)
    assert newest_point(_series(rng, 12, None, 0.0)) is None


def test_student_t_tail_matches_the_published_table() -> None:
    # two-sided critical values: t(10) = 2.228 at 5%, t(3) = 5.841 at 1%, t(30) = 2.042 at 5%
    assert t_two_sided(2.228, 10) == pytest.approx(0.05, abs=5e-4)
    assert t_two_sided(5.841, 3) == pytest.approx(0.01, abs=1e-4)
    assert t_two_sided(2.042, 30) == pytest.approx(0.05, abs=5e-4)
    assert t_two_sided(0.0, 5) == pytest.approx(1.0)
