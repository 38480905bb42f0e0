"""What the master leaves in the run folder: ``samples.parquet`` and ``summary.json``.

:func:`write_outputs` is handed a :class:`LocustResult`, plain values the
plugin gathered at quit; it needs neither Locust nor the plugin's state.

``summary.json`` has the shared keys (docs/run-format.md) and a ``locust``
section that shows, per operation, the harness's unrounded figures (merged
histograms and raw rows) beside Locust's own (rounded) statistics, and per
worker the counts that prove the merge was complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from analysis import tables
from analysis.summary import summarize
from client.histogram import LatencyHistogram
from results import RunFolder, Summary
from results.health import HealthReading

#: Locust's statistics as they stood at the end (same columns as ``locust_stats.csv``)
FINAL_CSV = "locust_stats_final.csv"
#: a run that stopped this close to its planned length is complete
COMPLETE_WITHIN_S = 1.5


@dataclass(frozen=True, slots=True)
class Window:
    """A measured stretch with one step label, in ns from the run's origin."""

    step: str
    users: int
    start_ns: int
    end_ns: int
    #: per worker index, what its health sampler saw inside the window
    health: Mapping[int, HealthReading]


@dataclass(frozen=True, slots=True)
class WorkerCounts:
    """The counts that prove a worker's rows all reached the master."""

    worker: int
    requests: int
    rows_reported: int
    rows_received: int


@dataclass(frozen=True, slots=True)
class LocustFigures:
    """Locust's own (rounded) statistics for one name, or for all (its total)."""

    count: int
    failures: int
    avg_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests_per_s: float


@dataclass(frozen=True)
class LocustResult:
    """What a Locust run measured, as plain values: all :func:`write_outputs` needs."""

    #: every row in the ``samples.parquet`` schema, steps and users from the timeline
    samples: pa.Table
    #: the users' pool settings (``PoolSettings.label()``)
    pool: str
    windows: tuple[Window, ...]
    #: per operation, the histogram merged over workers
    histograms: Mapping[str, LatencyHistogram]
    #: (operation, error class) -> count, over workers
    errors: Mapping[tuple[str, str], int]
    workers: tuple[WorkerCounts, ...]
    #: None when Locust's runner was gone (its statistics with it)
    locust_stats: Mapping[str, LocustFigures] | None
    locust_total: LocustFigures | None
    #: Locust's stats table at quit, as ``StatsCSV.requests_csv`` renders it
    locust_csv: str | None
    elapsed_s: float
    planned_s: float | None
    #: how the users loaded, as they resolved it (option, environment or scenario)
    user_wait_s: tuple[float, float]
    user_rate: float | None


def write_outputs(result: LocustResult, run_dir: Path) -> Summary:
    """``samples.parquet``, ``summary.json`` and the final Locust table; returns the summary."""
    folder = RunFolder(Path(run_dir))
    folder.path.mkdir(parents=True, exist_ok=True)
    folder.write_samples(result.samples)
    samples = result.samples.to_pandas()
    steps = [_step(samples, w, result.pool) for w in result.windows]
    planned, elapsed = result.planned_s, result.elapsed_s
    complete = planned is None or elapsed >= planned - COMPLETE_WITHIN_S
    cut_short = None if complete else f"stopped after {elapsed:.1f} s of a planned {planned:.0f} s"
    summary = summarize(
        samples,
        steps,
        extras={
            "generator_health": _health(result.windows),
            "locust": _locust_section(result, samples),
        },
        complete=complete,
        cut_short=cut_short,
    )
    if result.locust_csv is not None:
        folder.write_text(FINAL_CSV, result.locust_csv)
    folder.write_summary(summary)
    return summary


def _step(samples: pd.DataFrame, window: Window, pool: str) -> dict[str, Any]:
    """A measured window in the ``steps`` format (times from the run's origin)."""
    starts = samples["start_ns"].to_numpy()
    mask = (
        (samples["step"] == window.step).to_numpy()
        & (starts >= window.start_ns)
        & (starts < window.end_ns)
    )
    return {
        "phase": "locust",
        "step": window.step,
        "concurrency": window.users,
        "pool": pool,
        "start_ns": window.start_ns,
        "end_ns": window.end_ns,
        "requests": int(mask.sum()),
        "errors": int((samples["error"][mask] != "").sum()),
    }


def _health(windows: tuple[Window, ...]) -> list[dict[str, Any]]:
    """Per step, the worst worker's figures and the verdict on them, then each worker's."""
    rows = []
    for w in windows:
        if not w.health:
            continue
        readings = [reading for _, reading in sorted(w.health.items())]
        worst = HealthReading.worst(readings, phase="locust", step=w.step)
        rows.append(
            {
                **worst.to_dict(),
                "workers": [
                    {"worker": index, **reading.to_dict()}
                    for index, reading in sorted(w.health.items())
                ],
            }
        )
    return rows


def _locust_section(result: LocustResult, samples: pd.DataFrame) -> dict[str, Any]:
    """Per operation: merged histograms, raw rows and Locust's own figures side by side."""
    harness = tables.histogram_table(result.histograms)
    rows = tables.operation_percentiles(samples).set_index("operation")
    operations = []
    for figures in harness.to_dict("records"):
        op = figures.pop("operation")
        row: dict[str, Any] = {
            "operation": op,
            "harness": {k: int(v) if k == "count" else round(v, 3) for k, v in figures.items()},
            "samples": (
                {k: round(float(rows.at[op, k]), 3) for k in ("p50_ms", "p95_ms", "p99_ms")}
                if op in rows.index
                else {}
            ),
        }
        theirs = (result.locust_stats or {}).get(op)
        if theirs is not None:
            row["locust"] = _locust_figures(theirs)
        operations.append(row)
    total = result.locust_total
    return {
        "merged_requests": sum(h.count for h in result.histograms.values()),
        "locust_requests": total.count if total is not None else None,
        "locust_failures": total.failures if total is not None else None,
        "elapsed_s": round(result.elapsed_s, 3),
        "planned_s": result.planned_s,
        "user_wait_s": list(result.user_wait_s),
        "user_rate": result.user_rate or None,
        "workers": [
            {
                "worker": w.worker,
                "requests": w.requests,
                "rows_reported": w.rows_reported,
                "rows_received": w.rows_received,
            }
            for w in result.workers
        ],
        "operations": operations,
        "errors": [
            {"operation": op, "error": err, "count": n}
            for (op, err), n in sorted(result.errors.items())
        ],
    }


def _locust_figures(f: LocustFigures) -> dict[str, Any]:
    return {
        "count": f.count,
        "failures": f.failures,
        "avg_ms": round(f.avg_ms, 3),
        "p50_ms": f.p50_ms,
        "p95_ms": f.p95_ms,
        "p99_ms": f.p99_ms,
        "max_ms": f.max_ms,
        "requests_per_s": round(f.requests_per_s, 1),
    }
