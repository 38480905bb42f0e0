"""Connection churn and per-worker fairness per window: computed once, shown alike everywhere."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.summary import summarize
from analysis.tables import CHURN_TAIL_SHARE, UNFAIR_SHARE
from drivers.terminal import print_summary
from reports import build_report, sweep
from reports.analysis import analyse
from reports.load import load_run
from results import load_samples
from tests.reports.factory import PoolWindow, make_pool_run

REL = 1e-9
CHURNY = "lean/pooled/k2/c100"
STARVED = "lean/pooled/k20/c5"
HEALTHY = "lean/pooled/k20/c100"
WINDOWS = (
    PoolWindow(HEALTHY, unknown=30),
    PoolWindow(CHURNY, churn=0.05),
    PoolWindow(STARVED, starved=6, requests=3000),  # six workers sent nothing
)


@pytest.fixture(scope="module")
def pool_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pool_run(tmp_path_factory.mktemp("pool"), WINDOWS, "pool-sweep")


def _raw(path: Path) -> pd.DataFrame:
    frame = load_samples(path)
    for col in ("phase", "step", "pool", "operation", "error"):
        frame[col] = frame[col].astype(str)
    return frame


def _expected(group: pd.DataFrame, concurrency: int) -> dict[str, float]:
    """The window's pool figures with plain numpy."""
    ok = group[group["error"] == ""]
    lat = ok["latency_ns"].to_numpy()
    new = ok["new_connection"].to_numpy()
    tail = lat > np.percentile(lat, 99)
    counts = np.array([(group["worker"] == w).sum() for w in range(1, concurrency + 1)])
    return {
        "new_connections": int((group["new_connection"] == 1).sum()),
        "new_p50_ms": np.percentile(lat[new == 1], 50) / 1e6 if (new == 1).any() else np.nan,
        "new_p99_ms": np.percentile(lat[new == 1], 99) / 1e6 if (new == 1).any() else np.nan,
        "reused_p50_ms": np.percentile(lat[new == 0], 50) / 1e6,
        "reused_p99_ms": np.percentile(lat[new == 0], 99) / 1e6,
        "tail_new_share": float((new[tail] == 1).mean()),
        "connect_share": group["connect_ns"].sum() / group["latency_ns"].sum(),
        "per_worker_min": counts.min(),
        "per_worker_median": np.median(counts),
        "per_worker_max": counts.max(),
    }


def test_churn_and_fairness_columns_match_numpy(pool_run: Path) -> None:
    run = load_run(pool_run)
    frame = _raw(pool_run)
    windows = analyse(run).windows.set_index("pool")
    for step in run.summary["steps"]:
        group = frame[
            (frame["pool"] == step["pool"])
            & (frame["start_ns"] >= step["start_ns"])
            & (frame["start_ns"] < step["end_ns"])
        ]
        row = windows.loc[step["pool"]]
        for key, value in _expected(group, step["concurrency"]).items():
            if np.isnan(value):
                assert np.isnan(row[key]), key
            else:
                assert row[key] == pytest.approx(value, rel=REL), key
    assert windows.loc[HEALTHY, "new_connections"] == 0  # the 30 unknowns count as neither
    assert windows.loc[CHURNY, "new_connections"] == 200
    assert windows.loc[STARVED, "per_worker_min"] == 0  # workers that sent nothing count
    assert windows.loc[CHURNY, "new_p50_ms"] > 4 * windows.loc[CHURNY, "reused_p50_ms"]


def test_summary_terminal_and_report_show_the_same_numbers(pool_run: Path) -> None:
    run = load_run(pool_run)
    summary = summarize(load_samples(pool_run), run.summary["steps"])
    report = analyse(run).windows.set_index("pool")
    keys = ("new_connections", "per_worker_min", "per_worker_median", "per_worker_max")
    for row in summary["windows"]:
        mine = report.loc[row["pool"]]
        for key in keys:
            assert row[key] == mine[key], key
        for key in ("new_p99_ms", "reused_p50_ms", "reused_p99_ms"):
            if row[key] is not None:
                assert row[key] == pytest.approx(mine[key], abs=5e-4), key
        assert row["connect_share"] == pytest.approx(mine["connect_share"], abs=5e-5)
    out = io.StringIO()
    print_summary({**summary, "sweep": summary["windows"]}, out)
    text = out.getvalue()
    churny = next(r for r in summary["windows"] if r["pool"] == CHURNY)
    starved = next(r for r in summary["windows"] if r["pool"] == STARVED)
    assert f"| {churny['new_connections']:>9} |" in text
    pw = starved
    assert f"{pw['per_worker_min']}/{pw['per_worker_median']:g}/{pw['per_worker_max']}" in text
    assert f"!! sweep c=20 ({CHURNY}):" in text and "max_keepalive_connections to 20" in text
    assert f"!! sweep c=20 ({STARVED}): unfair pool" in text
    assert f"({HEALTHY})" not in "".join(line for line in text.splitlines() if "!!" in line)


def test_warnings_fire_on_churn_and_starvation_only(pool_run: Path) -> None:
    warnings = analyse(load_run(pool_run)).warnings
    churn = [w.text for w in warnings if w.kind == "churn"]
    unfair = [w.text for w in warnings if w.kind == "unfair"]
    assert len(churn) == 1 and CHURNY in churn[0]
    assert "`max_keepalive_connections` to at least the concurrency (20)" in churn[0]
    assert f"more than {CHURN_TAIL_SHARE:.0%}" in churn[0]
    assert len(unfair) == 1 and STARVED in unfair[0]
    assert "least served sent 0 requests" in unfair[0] and "`max_connections`" in unfair[0]
    assert f"than {UNFAIR_SHARE:.0%} of the median" in unfair[0]


def test_healthy_windows_raise_no_pool_warning(tmp_path: Path) -> None:
    healthy = (
        PoolWindow(HEALTHY, churn=0.002),  # a few reconnects, not the tail
        PoolWindow("lean/pooled/k20/c50", starved=2, starved_requests=120),  # 120 vs ~210
        PoolWindow("lean/pooled/k20/c10", concurrency=100, requests=300, starved=10),  # 3/worker
    )
    run = make_pool_run(tmp_path, healthy, "healthy")
    analysis = analyse(load_run(run))
    assert not [w for w in analysis.warnings if w.kind in ("churn", "unfair")]
    windows = analysis.windows.set_index("pool")
    assert windows.loc[HEALTHY, "new_connections"] == 8


def test_fairness_only_for_closed_loops_with_worker_ids(locust_dir: Path, run: object) -> None:
    locust = analyse(load_run(locust_dir)).windows
    assert locust["per_worker_min"].isna().all()  # Locust users are not told apart
    assert locust["new_connections"].notna().all()
    throughput = analyse(run).windows  # the factory's closed loops take turns
    assert (throughput["per_worker_max"] - throughput["per_worker_min"] <= 1).all()


def _cells(rows: list[tuple[str, float, float, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "pool": pool,
                "concurrency": 100,
                "throughput_rps": rps,
                "p99_ms": p99,
                "new_connections": new,
                "connect_share": wait,
            }
            for pool, rps, p99, new, wait in rows
        ]
    )


def test_recommendation_names_runner_up_and_reasons() -> None:
    by_throughput = sweep.recommend(
        _cells(
            [
                ("c10", 400.0, 4000.0, 0, 0.9),  # starved: p99 far outside the tolerance
                ("c100", 830.0, 290.0, 0, 0.001),
                ("c50", 700.0, 280.0, 0, 0.01),
            ]
        )
    )
    assert by_throughput is not None and by_throughput.pool == "c100"
    assert by_throughput.runner_up is not None and by_throughput.runner_up.pool == "c50"
    text = by_throughput.sentence()
    assert "Runner-up: c50 — 700 req/s, p99 280.0 ms, 0 new connections" in text
    assert "lower throughput (700 vs 830 req/s)" in text
    assert "the highest throughput of the 2 settings within 10% of the best p99" in text
    assert sweep.RULE in text
    by_churn = sweep.recommend(
        _cells(
            [
                ("k20", 835.0, 300.0, 80, 0.02),
                ("k100", 830.0, 290.0, 0, 0.001),
                ("k2", 900.0, 600.0, 5000, 0.05),
            ]
        )
    )
    assert by_churn is not None and by_churn.pool == "k100"
    assert by_churn.runner_up is not None and by_churn.runner_up.pool == "k20"
    text = by_churn.sentence()
    assert "fewest new connections (0)" in text
    assert "more new connections (80 vs 0)" in text
    levels = sweep.per_level(_cells([("a", 100.0, 10.0, 0, 0.0), ("b", 90.0, 10.5, 0, 0.0)]))
    assert list(levels[["pool", "runner_up"]].iloc[0]) == ["a", "b"]
    assert levels["runner_up_lost"].iloc[0].startswith("lower throughput")


def test_pool_report_shows_churn_fairness_and_reasons(pool_run: Path, tmp_path: Path) -> None:
    text = build_report(pool_run, out_dir=tmp_path).markdown.read_text()
    assert "Connection churn in **sweep c=20** (lean/pooled/k2/c100)" in text
    assert "Unfair pool in **sweep c=20** (lean/pooled/k20/c5)" in text
    assert "| New conn. | New P50 | New P99 | Reused P50 | Reused P99 |" in text
    assert "| Min/worker | Median/worker | Max/worker |" in text
    assert "Runner-up:" in text and "Not picked because" in text
    assert (tmp_path / "sweep_new_connections.png").exists()
