"""The ``seed`` profile still reproduces the seed's two tables, on a shortened real run.

A fresh ``bench.py run`` on the embedded ``seed`` mock (the latency phase with
400 requests per operation, the four throughput levels for 4 s each) must put
every one of the 28 cells within 15% of the seed's figure. A shortened run's
p99 of 400 requests is itself uncertain by about ±10%, so a latency cell fails
only when its 95% bootstrap interval lies wholly outside the ±15% band: a
calibration that drifted that far fails, sampling noise does not. Throughput
over 4 s is steady to a few per cent and is judged on its value.
(``python -m benchmarks.seed_calibration`` checks full runs, BENCHMARKS.md.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.bootstrap import interval, percentile_draws
from analysis.reference import LATENCY_MS, THROUGHPUT_RPS
from results import load_samples, read_summary
from tests._bench import bench, run_dir_from

TOLERANCE = 0.15
SHORT = """name = "seed-calibration"
[latency]
requests = 400
warmup = 10
[throughput]
concurrency = [1, 10, 50, 100]
duration_s = 4.0
warmup_s = 1.0
[data]
accounts = 100
"""


def _off(low: float, high: float, seed: float) -> bool:
    """The interval [low, high] lies wholly outside seed ± TOLERANCE."""
    return high < seed * (1 - TOLERANCE) or low > seed * (1 + TOLERANCE)


def test_a_shortened_run_puts_every_cell_within_15_percent(tmp_path: Path) -> None:
    scenario = tmp_path / "short.toml"
    scenario.write_text(SHORT)
    done = bench(
        "run",
        "--scenario",
        str(scenario),
        "--phases",
        "latency,throughput",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--no-report",
        timeout=420,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    run_dir = run_dir_from(done.stdout)
    samples = load_samples(run_dir)
    latency = samples[(samples["phase"] == "latency") & (samples["error"] == "")]
    rng = np.random.default_rng(16)
    cells, off = 0, []
    for operation, published in LATENCY_MS.items():
        ms = np.sort(latency.loc[latency["operation"] == operation, "latency_ns"].to_numpy() / 1e6)
        assert len(ms) >= 390, operation
        means = rng.choice(ms, size=(2000, len(ms))).mean(axis=1)
        draws = [means] + [percentile_draws(ms, q, rng) for q in (0.5, 0.95, 0.99)]
        for metric, seed, replicates in zip(
            ("avg", "p50", "p95", "p99"), published, draws, strict=True
        ):
            cells += 1
            low, high = interval(replicates)
            if _off(low, high, seed):
                off.append(f"{operation} {metric}: {low:.1f}-{high:.1f} ms vs {seed:g}")
    summary = read_summary(run_dir)
    rates = {row["concurrency"]: row["requests_per_s"] for row in summary["throughput"]}
    for level, (pattern, seed, _) in THROUGHPUT_RPS.items():
        cells += 1
        if abs(rates[level] / seed - 1) > TOLERANCE:
            off.append(f"{pattern}: {rates[level]:.0f} req/s vs {seed:g}")
    assert cells == 28
    assert off == [], off
