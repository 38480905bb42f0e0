"""``summary.json`` for a Locust run, in the shared format of docs/run-format.md.

A stand-in until ``results/summary.py`` (shared with ``bench.py run``) exists:
:func:`build_summary` is the one place to swap. Percentiles use numpy's
default (linear) interpolation on ``latency_ns`` of the rows concerned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

LABELS = {
    "get_account_profile": "Get Profile",
    "get_account_by_email": "Get By Email",
    "ensure_account": "Ensure Account",
    "update_account_profile": "Update Profile",
    "update_account_preferences": "Update Preferences",
    "list_accounts": "List Accounts",
    "search_accounts": "Search Accounts",
    "change_account_status": "Change Status",
    "delete_account": "Delete Account",
    "get_service_stats": "Service Stats",
    "health_check": "Health Check",
}


@dataclass(frozen=True, slots=True)
class StepWindow:
    """A measured window: ``start_ns``/``end_ns`` count from the run's origin."""

    step: str
    concurrency: int
    start_ns: int
    end_ns: int


def _ms(values: np.ndarray, q: float) -> float:
    return round(float(np.percentile(values, q)) / 1e6, 3) if values.size else 0.0


def build_summary(
    samples: pd.DataFrame,
    windows: Sequence[StepWindow],
    *,
    pool: str,
    health: Sequence[dict[str, Any]] = (),
    complete: bool = True,
    cut_short: str | None = None,
) -> dict[str, Any]:
    """The summary keys every run has; a Locust run fills latency, throughput, steps."""
    latency_ns = samples["latency_ns"].to_numpy()
    is_error = (samples["error"].astype(str) != "").to_numpy()
    operation = samples["operation"].astype(str).to_numpy()
    start_ns = samples["start_ns"].to_numpy()

    latency = []
    for op in sorted(set(operation)):
        mask = operation == op
        values = latency_ns[mask]
        latency.append(
            {
                "operation": op,
                "label": LABELS.get(op, op.replace("_", " ").title()),
                "count": int(mask.sum()),
                "avg_ms": round(float(values.mean()) / 1e6, 3),
                "p50_ms": _ms(values, 50),
                "p95_ms": _ms(values, 95),
                "p99_ms": _ms(values, 99),
                "errors": int(is_error[mask].sum()),
            }
        )

    throughput, steps = [], []
    for w in windows:
        mask = (start_ns >= w.start_ns) & (start_ns < w.end_ns)
        values = latency_ns[mask]
        duration = (w.end_ns - w.start_ns) / 1e9
        requests, errors = int(mask.sum()), int(is_error[mask].sum())
        throughput.append(
            {
                "pattern": f"Locust ({w.concurrency} users)",
                "step": w.step,
                "concurrency": w.concurrency,
                "requests_per_s": round(requests / duration, 1) if duration > 0 else 0.0,
                "p50_ms": _ms(values, 50),
                "p95_ms": _ms(values, 95),
                "p99_ms": _ms(values, 99),
                "error_rate": round(errors / requests, 5) if requests else 0.0,
                "duration_s": round(duration, 3),
                "requests": requests,
            }
        )
        steps.append(
            {
                "phase": "locust",
                "step": w.step,
                "concurrency": w.concurrency,
                "pool": pool,
                "start_ns": w.start_ns,
                "end_ns": w.end_ns,
                "requests": requests,
                "errors": errors,
            }
        )

    errors_table = (
        samples[is_error]
        .groupby(["operation", "error"], observed=True)
        .size()
        .reset_index(name="count")
    )
    return {
        "complete": complete,
        "cut_short": cut_short,
        "latency": latency,
        "throughput": throughput,
        "pooling": [],
        "pooling_speedup": None,
        "batch": None,
        "open_loop": [],
        "steps": steps,
        "generator_health": list(health),
        "errors": [
            {"operation": str(r.operation), "error": str(r.error), "count": int(r.count)}
            for r in errors_table.itertuples()
        ],
    }
