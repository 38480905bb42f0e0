"""The seed README's published figures, as data, and a run's figures set beside them.

Source: account-client-examples-README.md, "Performance Benchmarks" and
"Performance Optimizations". Values are in ms (latency) and req/s.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis import tables
from client.metrics import PERCENTILE_NAMES
from workload.operations import OPERATIONS

#: operation -> (avg, p50, p95, p99) in ms: the "Single Request Latency" table, kept with
#: each operation in the registry
#: the seed's latency table's columns: the mean, then the percentile set
LATENCY_METRICS: tuple[str, ...] = ("avg", *PERCENTILE_NAMES)
LATENCY_MS = MappingProxyType(
    {name: op.seed.as_tuple() for name, op in OPERATIONS.items() if op.seed is not None}
)

#: concurrency -> (pattern, req/s, the seed's note); 100 stands for "100+ workers"
THROUGHPUT_RPS = MappingProxyType(
    {
        1: ("Sequential (blocking)", 50.0, "Not recommended"),
        10: ("Parallel (10 workers)", 400.0, "Good for batch ops"),
        50: ("Parallel (50 workers)", 800.0, "Near optimal"),
        100: ("Parallel (100+ workers)", 900.0, "Diminishing returns"),
    }
)

#: connection pooling: first request ~50 ms, pooled ~15 ms, "3.3x faster"
POOLING_FIRST_MS = 50.0
POOLING_POOLED_MS = 15.0
POOLING_SPEEDUP = 3.3

#: 100 requests: sequential 2 s, asyncio.gather 0.2 s, "10x improvement"
BATCH_SEQUENTIAL_S = 2.0
BATCH_GATHER_S = 0.2
BATCH_SPEEDUP = 10.0


def seed_latency(latency: pd.DataFrame) -> pd.DataFrame:
    """Long form: operation, metric, seed value, measured value, measured/"""
    rows = []
    for row in latency.itertuples(index=False):
        ref = LATENCY_MS.get(row.operation)
        if ref is None:
            continue
        for metric, published in zip(LATENCY_METRICS, ref, strict=True):
            measured = float(getattr(row, f"{metric}_ms"))
            rows.append(
                {
                    "operation": row.operation,
                    "label": row.label,
                    "metric": metric,
                    "seed_ms": published,
                    "measured_ms": measured,
                    "ratio": measured / published,
                }
            )
    return pd.DataFrame(rows)


def seed_other(windows: pd.DataFrame, pooling: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """Throughput patterns, pooling and batch figures beside the seed's."""
    rows = []
    by_level = (
        dict(zip(windows.get("concurrency", []), windows.get("throughput_rps", []), strict=True))
        if not windows.empty
        else {}
    )
    for seed_level, (name, published, _) in THROUGHPUT_RPS.items():
        level: int | None = seed_level
        if seed_level == 100:
            candidates = [c for c in by_level if c >= 100]
            level = max(candidates) if candidates else None
        value = by_level.get(level) if level is not None else None
        if value is not None:
            rows.append(_seed_row("Throughput", name, "req/s", published, float(value)))
    pooled = pooling[pooling["mode"] == "pooled"] if not pooling.empty else pooling
    if not pooled.empty:
        first, rest = tables.first_request_ms(pooling), float(pooled["avg_ms"].iloc[0])
        rows.append(_seed_row("Pooling", "First request", "ms", POOLING_FIRST_MS, first))
        rows.append(_seed_row("Pooling", "Pooled requests (avg)", "ms", POOLING_POOLED_MS, rest))
        rows.append(_seed_row("Pooling", "Speed-up", "x", POOLING_SPEEDUP, first / rest))
    if not batch.empty and set(batch["mode"]) >= {"sequential", "gather"}:
        wall = dict(zip(batch["mode"], batch["wall_s"], strict=True))
        n = int(batch["requests"].iloc[0])
        rows.append(
            _seed_row(
                "Batch",
                f"Sequential ({n} requests)",
                "s",
                BATCH_SEQUENTIAL_S,
                float(wall["sequential"]),
            )
        )
        rows.append(
            _seed_row(
                "Batch",
                f"asyncio.gather ({n} requests)",
                "s",
                BATCH_GATHER_S,
                float(wall["gather"]),
            )
        )
        rows.append(
            _seed_row(
                "Batch",
                "Speed-up",
                "x",
                BATCH_SPEEDUP,
                float(wall["sequential"] / wall["gather"]),
            )
        )
    return pd.DataFrame(rows)


def _seed_row(
    group: str, item: str, unit: str, published: float, measured: float
) -> dict[str, Any]:
    return {
        "group": group,
        "item": item,
        "unit": unit,
        "seed": published,
        "measured": measured,
        "ratio": measured / published if published else np.nan,
    }
