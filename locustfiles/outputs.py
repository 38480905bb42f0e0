"""What the master leaves in the run folder: ``samples.parquet`` and ``summary.json``.

``summary.json`` has the shared keys (docs/run-format.md) and a ``locust``
section that shows, per operation, the harness's unrounded figures (merged
histograms and raw rows) beside Locust's own (rounded) statistics, and per
worker the counts that prove the merge was complete.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

from locustfiles.aggregate import TableSamples
from locustfiles.health import flags
from results.run_folder import RunFolder
from results.summary import summarize

if TYPE_CHECKING:
    from locustfiles.plugin import Measurement


#: Locust's statistics as they stood at the end (same columns as ``locust_stats.csv``)
FINAL_CSV = "locust_stats_final.csv"


def _ms(ns: float) -> float:
    return round(ns / 1e6, 3)


def write_outputs(m: Measurement, run_dir: Path) -> dict[str, Any]:
    folder = RunFolder(Path(run_dir))
    folder.path.mkdir(parents=True, exist_ok=True)
    pool_label = m.settings.pool.label()
    table = m.aggregate.table(m.origin_wall_ns, m.timeline, pool_label)
    folder.write_samples(TableSamples(table))
    samples = table.to_pandas()
    steps = [
        _step(samples, label, users, pool_label, start - m.origin_wall_ns, end - m.origin_wall_ns)
        for label, start, end, users in m.timeline.windows()
    ]
    health = _health(m, steps)
    planned = m.planned_seconds()
    elapsed = m.elapsed_seconds()
    complete = planned is None or elapsed >= planned - 1.5
    cut_short = None if complete else f"stopped after {elapsed:.1f} s of a planned {planned:.0f} s"
    summary = summarize(
        samples,
        steps,
        extras={
            "generator_health": health,
            "locust": _locust_section(m, samples, elapsed, planned),
        },
        complete=complete,
        cut_short=cut_short,
    )
    _final_locust_csv(m, folder.path / FINAL_CSV)
    folder.write_json("summary.json", summary)
    return summary


def _final_locust_csv(m: Measurement, path: Path) -> None:
    """Locust's stats table at quit: its own ``locust_stats.csv`` is a 1 s snapshot."""
    if m.environment is None or m.environment.runner is None:
        return
    with path.open("w", newline="") as f:
        StatsCSV(m.environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(f))


def _step(
    samples: pd.DataFrame, label: str, users: int, pool: str, start_ns: int, end_ns: int
) -> dict[str, Any]:
    """A measured window in the ``steps`` format (times from the run's origin)."""
    starts = samples["start_ns"].to_numpy()
    mask = (samples["step"] == label).to_numpy() & (starts >= start_ns) & (starts < end_ns)
    return {
        "phase": "locust",
        "step": label,
        "concurrency": users,
        "pool": pool,
        "start_ns": start_ns,
        "end_ns": end_ns,
        "requests": int(mask.sum()),
        "errors": int((samples["error"][mask] != "").sum()),
    }


def _health(m: Measurement, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per step, the worst worker's CPU% and greenlet lag p99, and the harness's verdict."""
    rows = []
    for w in steps:
        start, end = w["start_ns"] + m.origin_wall_ns, w["end_ns"] + m.origin_wall_ns
        per_worker = []
        for index, state in sorted(m.aggregate.workers.items()):
            figures = state.health.window(start, end)
            per_worker.append({"worker": index, **figures})
        if not per_worker:
            continue
        cpu = max((p["cpu_percent"] or 0.0) for p in per_worker)
        lag = max((p["loop_lag_p99_ms"] or 0.0) for p in per_worker)
        rows.append(
            {
                "phase": "locust",
                "step": w["step"],
                "cpu_percent": cpu,
                "loop_lag_p99_ms": lag,
                "saturated": flags(cpu, lag),
                "workers": per_worker,
            }
        )
    return rows


def _locust_section(
    m: Measurement, samples: pd.DataFrame, elapsed: float, planned: float | None
) -> dict[str, Any]:
    """Per operation: merged histograms, raw rows and Locust's own figures side by side."""
    merged = m.aggregate.merged()
    operation = samples["operation"].astype(str).to_numpy()
    latency = samples["latency_ns"].to_numpy()
    stats = m.environment.runner.stats if m.environment and m.environment.runner else None
    operations = []
    for op, hist in sorted(merged.items()):
        p50, p95, p99 = hist.percentiles((50, 95, 99))
        row: dict[str, Any] = {
            "operation": op,
            "harness": {
                "count": hist.count,
                "avg_ms": _ms(hist.mean),
                "p50_ms": _ms(p50),
                "p95_ms": _ms(p95),
                "p99_ms": _ms(p99),
                "max_ms": _ms(hist.max),
            },
            "samples": _sample_figures(latency[operation == op]),
        }
        entry = _locust_entry(stats, op)
        if entry is not None:
            row["locust"] = {
                "count": entry.num_requests,
                "failures": entry.num_failures,
                "avg_ms": round(entry.avg_response_time, 3),
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "p99_ms": entry.get_response_time_percentile(0.99),
                "max_ms": entry.max_response_time,
                "requests_per_s": round(entry.total_rps, 1),
            }
        operations.append(row)
    total = stats.total if stats is not None else None
    return {
        "merged_requests": sum(h.count for h in merged.values()),
        "locust_requests": total.num_requests if total is not None else None,
        "locust_failures": total.num_failures if total is not None else None,
        "elapsed_s": round(elapsed, 3),
        "planned_s": planned,
        # as the users resolved them (option, environment or scenario): how they loaded
        "user_wait_s": list(m.settings.wait),
        "user_rate": m.settings.rate or None,
        "workers": [
            {
                "worker": index,
                "requests": state.requests,
                "rows_reported": state.rows_reported,
                "rows_received": state.rows_received,
            }
            for index, state in sorted(m.aggregate.workers.items())
        ],
        "operations": operations,
        "errors": [
            {"operation": op, "error": err, "count": n}
            for (op, err), n in sorted(m.aggregate.merged_errors().items())
        ],
    }


def _sample_figures(values: np.ndarray) -> dict[str, float]:
    """Linear-interpolated percentiles of the raw rows (the summary's convention)."""
    if not len(values):
        return {}
    p50, p95, p99 = np.percentile(values, (50, 95, 99))
    return {"p50_ms": _ms(p50), "p95_ms": _ms(p95), "p99_ms": _ms(p99)}


def _locust_entry(stats: Any, name: str) -> Any:
    if stats is None:
        return None
    for (entry_name, _method), entry in stats.entries.items():
        if entry_name == name:
            return entry
    return None
