"""The pool-settings sweep: one table per metric (pool × concurrency) and a recommendation.

Rule, stated in the report: at each concurrency level, among the pool
settings whose p99 is within 10% of the best p99 at that level, the one
with the highest throughput. The headline names the pick at the highest
concurrency level every setting measured: pool settings matter most under load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

P99_TOLERANCE = 0.10
RULE = (
    "highest throughput whose p99 is within 10% of the best p99 "
    "(applied at each concurrency level; headline at the highest level all settings ran)"
)

#: metric column of the window table -> (title, unit)
METRICS = {
    "throughput_rps": ("Throughput", "req/s"),
    "p95_ms": ("p95 latency", "ms"),
    "p99_ms": ("p99 latency", "ms"),
    "connect_share": ("Connection-wait share of latency", "share"),
}


@dataclass(frozen=True)
class Recommendation:
    pool: str
    concurrency: int
    throughput_rps: float
    p99_ms: float
    best_p99_ms: float

    def sentence(self) -> str:
        return (
            f"Recommended pool settings: {self.pool} — {self.throughput_rps:,.0f} req/s at "
            f"{self.concurrency} workers with p99 {self.p99_ms:.1f} ms (best p99 at that level "
            f"{self.best_p99_ms:.1f} ms). Rule: {RULE}."
        )


def pivot(windows: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Pool settings as rows, concurrency levels as columns."""
    table = windows.pivot_table(
        index="pool", columns="concurrency", values=metric, aggfunc="mean", observed=True
    )
    table.columns = [f"c={c}" for c in table.columns]
    return table.reset_index()


def per_level(windows: pd.DataFrame) -> pd.DataFrame:
    """The rule applied at every concurrency level: the pick and why."""
    rows = []
    for level, group in windows.groupby("concurrency"):
        group = group[np.isfinite(group["p99_ms"])]
        if group.empty:
            continue
        best = float(group["p99_ms"].min())
        eligible = group[group["p99_ms"] <= best * (1 + P99_TOLERANCE)]
        pick = eligible.loc[eligible["throughput_rps"].idxmax()]
        rows.append(
            {
                "concurrency": int(level),
                "pool": pick["pool"],
                "throughput_rps": float(pick["throughput_rps"]),
                "p99_ms": float(pick["p99_ms"]),
                "best_p99_ms": best,
                "eligible": len(eligible),
                "settings": len(group),
            }
        )
    return pd.DataFrame(rows)


def recommend(windows: pd.DataFrame) -> Recommendation | None:
    """The pick at the highest concurrency level every pool setting measured."""
    if windows.empty:
        return None
    pools = windows["pool"].nunique()
    counts = windows.groupby("concurrency")["pool"].nunique()
    shared = counts[counts == pools].index
    levels = per_level(windows)
    if levels.empty:
        return None
    level = int(max(shared)) if len(shared) else int(levels["concurrency"].max())
    row = levels[levels["concurrency"] == level].iloc[0]
    return Recommendation(
        pool=str(row["pool"]),
        concurrency=level,
        throughput_rps=float(row["throughput_rps"]),
        p99_ms=float(row["p99_ms"]),
        best_p99_ms=float(row["best_p99_ms"]),
    )
