"""The sweep's decision rule: which pool setting is recommended, the runner-up, and why."""

from __future__ import annotations

import pandas as pd

from analysis import pool_pick


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
    by_throughput = pool_pick.recommend(
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
    assert pool_pick.RULE in text
    by_churn = pool_pick.recommend(
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
    levels = pool_pick.per_level(_cells([("a", 100.0, 10.0, 0, 0.0), ("b", 90.0, 10.5, 0, 0.0)]))
    assert list(levels[["pool", "runner_up"]].iloc[0]) == ["a", "b"]
    assert levels["runner_up_lost"].iloc[0].startswith("lower throughput")
