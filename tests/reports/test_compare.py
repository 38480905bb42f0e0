from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.bootstrap import percentile_draws
from analysis.gate_rules import FAIL, INCONCLUSIVE, PASS
from analysis.verdicts import IMPROVED, REGRESSED, SAME
from reports import ReportInputError, compare_runs, parse_changes
from tests._run_factory import Spec, make_run

BIG = Spec(latency_requests=150_000, duration_s=60.0, pooling_requests=10)


@pytest.fixture(scope="module")
def big_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("compare")
    return {
        "base": make_run(root, BIG, "base"),
        "same": make_run(root, Spec(**{**BIG.__dict__, "seed": 2}), "same"),
        "slow": make_run(root, Spec(**{**BIG.__dict__, "seed": 3, "slowdown": 1.3}), "slow"),
    }


def test_same_distribution_shows_no_significant_change(big_runs: dict[str, Path]) -> None:
    result = compare_runs(big_runs["base"], big_runs["same"], fail_on="p95:+10%,throughput:-5%")
    frame = result.frame()
    assert set(frame["verdict"]) == {SAME}, frame[frame["verdict"] != SAME]
    assert result.exit_code == 0
    # 150k requests a cell: the intervals rule out the regressions the rules forbid
    assert {g.outcome for g in result.gates} == {PASS}
    assert len(result.gates) == 7 + 4 + 4  # p95 of each operation and level, throughput
    assert len(frame) == 7 * 3 + 4 * 4  # operations x p50/p95/p99, levels x (rate + 3)
    assert result.paths.markdown.exists() and result.paths.html.exists()
    assert result.paths.csv.exists()


def test_planted_slowdown_is_a_regression(big_runs: dict[str, Path], tmp_path: Path) -> None:
    result = compare_runs(big_runs["base"], big_runs["slow"], fail_on="p95:+10%", out_dir=tmp_path)
    frame = result.frame()
    assert set(frame["verdict"]) == {REGRESSED}
    p95 = frame[frame["metric"] == "p95"]
    assert p95["change"].between(0.2, 0.4).all()  # latencies x 1.3
    assert (p95["ci_low"] > 0).all() and p95["fails"].all()
    tput = frame[frame["metric"] == "throughput"]
    assert np.allclose(tput["change"], 1 / 1.3 - 1, atol=0.01)
    assert result.exit_code == 1
    assert not frame[frame["metric"] != "p95"]["fails"].any()
    assert {g.outcome for g in result.gates} == {FAIL} and len(result.failures) == 11
    assert {p.name for p in result.paths.images} == {
        "compare_spectra.png",
        "compare_p95.png",
        "compare_throughput.png",
    }
    text = result.paths.markdown.read_text()
    assert "**Gate --fail-on failed: 0 pass, 11 fail" in text and "regressed" in text


def test_reverse_is_an_improvement_and_passes_the_gate(big_runs: dict[str, Path]) -> None:
    result = compare_runs(big_runs["slow"], big_runs["base"], fail_on="p99:+5%")
    assert set(result.frame()["verdict"]) == {IMPROVED}
    assert result.exit_code == 0


def test_a_gate_that_could_not_fail_says_so(tmp_path: Path) -> None:
    """Small runs of one distribution: their p95 intervals are wider than +5%, so the cells
    are inconclusive, each with the smallest change it could have detected, not a pass."""
    base = make_run(tmp_path, Spec(seed=4), "base")
    cand = make_run(tmp_path, Spec(seed=5), "cand")
    result = compare_runs(base, cand, fail_on="p95:+5%", inconclusive="fail")
    inconclusive = [g for g in result.gates if g.outcome == INCONCLUSIVE]
    assert inconclusive, [g.describe() for g in result.gates]
    for g in inconclusive:
        assert g.detectable is not None and g.detectable > 0.05
        assert g.detectable == pytest.approx((g.ci_high - g.ci_low) / 2)
        assert "smallest" in g.detail
    assert result.exit_code == 1
    lenient = compare_runs(base, cand, fail_on="p95:+5%", inconclusive="pass")
    assert lenient.exit_code == (1 if lenient.failures else 0)


@pytest.mark.parametrize(
    "text",
    ["p95", "p95:10", "p95:+10", "latency:+10%", "p95:-10%", "throughput:+5%", "p95:+x%", ","],
)
def test_bad_fail_on(text: str) -> None:
    with pytest.raises(ReportInputError) as info:
        parse_changes(text)
    assert "'p95:+10%', 'throughput:-5%'" in str(info.value)
    assert "\n" not in str(info.value)


def test_fail_on_parses() -> None:
    rules = parse_changes("p95:+10%, throughput:-5%,p50:2.5%")
    assert [r.text for r in rules] == ["p95:+10%", "throughput:-5%", "p50:2.5%"]
    assert [(r.metric, r.threshold) for r in rules] == [
        ("p95", 0.10),
        ("throughput", 0.05),
        ("p50", 0.025),
    ]


def test_unusable_inputs(run_dir: Path, sweep_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportInputError):
        compare_runs(run_dir, sweep_dir)  # different kinds
    with pytest.raises(ReportInputError):
        compare_runs(run_dir, tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportInputError):
        compare_runs(run_dir, tmp_path / "empty")
    with pytest.raises(ReportInputError):
        compare_runs(run_dir, run_dir, fail_on="p95>10%")


def test_exact_bootstrap_matches_resampling() -> None:
    """The order-statistic draws have the same distribution as brute-force resampling."""
    rng = np.random.default_rng(0)
    values = np.sort(rng.lognormal(0, 0.5, 300))
    for q in (0.5, 0.95, 0.99):
        fast = percentile_draws(values, q, np.random.default_rng(1), 20_000)
        picks = np.random.default_rng(2).integers(0, len(values), (20_000, len(values)))
        slow = np.quantile(values[picks], q, axis=1)
        for p in (5, 25, 50, 75, 95):
            assert np.percentile(fast, p) == pytest.approx(np.percentile(slow, p), rel=0.02)
