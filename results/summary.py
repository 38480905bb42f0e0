"""summary.json from samples: the seed's tables as machine-readable rows.

Drivers and the Locust runner both call :func:`summarize`, so every run
kind carries the same keys (see docs/run-format.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

#: the seed's operation names, for tables in its layout
SEED_LABELS = {
    "get_account_profile": "Get Profile",
    "ensure_account": "Ensure Account",
    "update_account_profile": "Update Profile",
    "update_account_preferences": "Update Preferences",
    "list_accounts": "List Accounts (page=50)",
    "search_accounts": "Search Accounts",
    "get_account_by_email": "Get Profile by Email",
    "change_account_status": "Change Status",
    "delete_account": "Delete Account",
    "get_service_stats": "Service Stats",
    "health_check": "Health Check",
}
SEED_ORDER = list(SEED_LABELS)


def pattern_name(concurrency: int) -> str:
    return "Sequential (blocking)" if concurrency == 1 else f"Parallel ({concurrency} workers)"


def _ms(values: np.ndarray, q: float) -> float:
    return round(float(np.percentile(values, q)) / 1e6, 3) if len(values) else 0.0


def latency_rows(samples: pd.DataFrame) -> list[dict[str, Any]]:
    """The "Single Request Latency" table: one row per operation of the latency phase."""
    rows = []
    frame = samples[samples["phase"] == "latency"]
    ops = list(frame["operation"].astype(str).unique())
    for op in sorted(ops, key=lambda o: SEED_ORDER.index(o) if o in SEED_ORDER else 99):
        group = frame[frame["operation"] == op]
        ok = group[group["error"] == ""]["latency_ns"].to_numpy()
        rows.append(
            {
                "operation": op,
                "label": SEED_LABELS.get(op, op),
                "count": len(group),
                "avg_ms": round(float(ok.mean()) / 1e6, 3) if len(ok) else 0.0,
                "p50_ms": _ms(ok, 50),
                "p95_ms": _ms(ok, 95),
                "p99_ms": _ms(ok, 99),
                "errors": int((group["error"] != "").sum()),
            }
        )
    return rows


def window_rows(samples: pd.DataFrame, steps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rate and latency of each measured window (requests that *started* inside it)."""
    rows = []
    starts = samples["start_ns"].to_numpy()
    for step in steps:
        mask = (
            (samples["phase"] == step["phase"]).to_numpy()
            & (samples["step"] == step["step"]).to_numpy()
            & (starts >= step["start_ns"])
            & (starts < step["end_ns"])
        )
        if "pool" in step:
            mask &= (samples["pool"] == step["pool"]).to_numpy()
        group = samples[mask]
        ok = group[group["error"] == ""]["latency_ns"].to_numpy()
        duration = (step["end_ns"] - step["start_ns"]) / 1e9
        rows.append(
            {
                "phase": step["phase"],
                "step": step["step"],
                "pattern": pattern_name(int(step["concurrency"])),
                "concurrency": int(step["concurrency"]),
                "pool": step.get("pool", ""),
                "requests": len(group),
                "duration_s": round(duration, 3),
                "requests_per_s": round(len(group) / duration, 2) if duration > 0 else 0.0,
                "p50_ms": _ms(ok, 50),
                "p95_ms": _ms(ok, 95),
                "p99_ms": _ms(ok, 99),
                "error_rate": round(float((group["error"] != "").mean()), 5) if len(group) else 0.0,
            }
        )
    return rows


def error_rows(samples: pd.DataFrame) -> list[dict[str, Any]]:
    failed = samples[samples["error"] != ""]
    if failed.empty:
        return []
    counts = failed.groupby(["phase", "operation", "error"], observed=True).size()
    return [
        {"phase": str(phase), "operation": str(op), "error": str(err), "count": int(n)}
        for (phase, op, err), n in counts.items()
    ]


def summarize(
    samples: pd.DataFrame,
    steps: list[dict[str, Any]],
    *,
    extras: Mapping[str, Any] | None = None,
    complete: bool = True,
    cut_short: str | None = None,
) -> dict[str, Any]:
    """Everything ``summary.json`` holds; ``extras`` adds pooling, batch, health..."""
    windows = window_rows(samples, steps)
    return {
        "complete": complete,
        "cut_short": cut_short,
        "requests": len(samples),
        "latency": latency_rows(samples),
        "throughput": [row for row in windows if row["phase"] == "throughput"],
        "windows": windows,
        "steps": steps,
        "errors": error_rows(samples),
        **(extras or {}),
    }
