"""A real sweep: a keep-alive limit below the workers churns connections, and the results say so."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reports.report_data import analyse
from results import load_run, load_samples
from tests._bench import bench, run_dir_from

WORKERS = 20


def test_small_keepalive_pool_churns_and_every_worker_is_recorded(tmp_path) -> None:
    result = bench(
        "sweep",
        "--profile",
        "fast",
        "--pool-grid",
        "max_keepalive=2,20",
        "--concurrency",
        str(WORKERS),
        "--duration",
        "1",
        "--warmup",
        "0.5",
        "--runs-dir",
        str(tmp_path),
        "--no-report",
        "--no-pin",
        "--threshold",
        f"c={WORKERS}:throughput>1",
        "--threshold",
        "p99<10s",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = run_dir_from(result.stdout)
    summary = json.loads((run_dir / "summary.json").read_text())
    # a sweep's level threshold judges its best cell at that level; latency, all cells
    gate = {r["rule"]: r for r in summary["gate"]["results"]}
    assert {r["outcome"] for r in gate.values()} == {"pass"}
    best = max(summary["sweep"], key=lambda row: row["requests_per_s"])
    assert gate[f"c={WORKERS}:throughput>1"]["measured"] == pytest.approx(
        best["requests_per_s"], rel=0.01
    )
    rows = {row["pool"].split("/")[2]: row for row in summary["sweep"]}
    small, large = rows["k2"], rows["k20"]
    # 20 workers, 2 idle connections kept: whenever more than 2 are idle at once, the pool
    # closes the rest and the next requests reopen them; with 20 kept, the warm-up's last
    large_limit = max(1, 0.01 * large["requests"])
    assert small["new_connections"] > large["new_connections"] and small["new_connections"] > 0
    assert large["new_connections"] <= large_limit
    samples = load_samples(run_dir)
    for row in (small, large):
        cell = samples[(samples["phase"] == "sweep") & (samples["pool"] == row["pool"])]
        assert row["new_connections"] == int((cell["new_connection"] == 1).sum())
        assert set(cell["worker"]) == set(range(1, WORKERS + 1))
        counts = np.bincount(cell["worker"], minlength=WORKERS + 1)[1:]
        assert (row["per_worker_min"], row["per_worker_max"]) == (counts.min(), counts.max())
        assert row["per_worker_median"] == np.median(counts)
    ok = samples[(samples["pool"] == small["pool"]) & (samples["error"] == "")]
    reused = ok.loc[ok["new_connection"] == 0, "latency_ns"] / 1e6
    assert small["reused_p50_ms"] == round(float(np.percentile(reused, 50)), 3)
    # the report recomputes the same figures from the samples
    report = analyse(load_run(run_dir)).windows.set_index("pool")
    for row in (small, large):
        assert report.loc[row["pool"], "new_connections"] == row["new_connections"]
        assert report.loc[row["pool"], "per_worker_min"] == row["per_worker_min"]
    header = next(line for line in result.stdout.splitlines() if line.startswith("Pool setting"))
    assert "New conn." in header and "Per worker min/med/max" in header
