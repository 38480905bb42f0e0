"""summary.json from samples: the seed's tables as machine-readable rows.

Drivers and the Locust runner both call :func:`summarize`, so every run
kind carries the same keys (see docs/run-format.md). :func:`pool_figures`
(connection churn, connection wait, per-worker fairness of one window) and
the verdicts on them are also what the report and the terminal show, so the
three never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workload import operations


def pattern_name(concurrency: int) -> str:
    return "Sequential (blocking)" if concurrency == 1 else f"Parallel ({concurrency} workers)"


#: phases whose windows are closed loops: ``concurrency`` workers, numbered 1..concurrency in
#: the samples' ``worker`` column (0: not recorded, as in runs made before it was)
CLOSED_LOOP_PHASES = ("throughput", "sweep")
#: phases whose windows are load levels, judged for churn and fairness (the pooling and
#: batch phases open connections on purpose)
LOAD_PHASES = (*CLOSED_LOOP_PHASES, "locust")

#: a window's tail is made of new connections when more than this share of the requests
#: above its p99 opened one ...
CHURN_TAIL_SHARE = 0.5
#: ... and that tail holds at least this many requests (a p99 of 100 requests is one draw)
CHURN_TAIL_MIN_REQUESTS = 5
#: a closed-loop window was unfair when its least-served worker sent fewer than this share of
#: the median worker's requests (or the median worker sent none) ...
UNFAIR_SHARE = 0.25
#: ... judged only when the workers sent at least this many requests each on average
#: (below that, whether a request started inside the window is chance)
FAIRNESS_MIN_MEAN = 8.0


def _ms(values: np.ndarray, q: float) -> float:
    return round(float(np.percentile(values, q)) / 1e6, 3) if len(values) else 0.0


def _pct_ms(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) / 1e6 if len(values) else None


def pool_figures(
    samples: pd.DataFrame,
    mask: np.ndarray,
    *,
    phase: str,
    concurrency: int,
    failed: np.ndarray | None = None,
) -> dict[str, Any]:
    """What the pool did in one window (the rows ``mask`` selects), unrounded.

    ``connect_share``: connection-wait time over latency, summed over the window's
    requests. ``new_connections``: requests whose last attempt opened a connection;
    their p50/p99 beside the reused ones' (ms, successes only; None when there are
    none). ``tail_new_share``: the share of the successful requests slower than the
    window's p99 that opened a connection. ``per_worker_*``: requests each closed-loop
    worker started in the window, workers that started none included (None for other
    phases, or when worker ids were not recorded). ``failed`` (per sample, optional)
    saves recomputing the error mask for every window.
    """
    latency = samples["latency_ns"].to_numpy()[mask]
    connect = samples["connect_ns"].to_numpy()[mask]
    new = samples["new_connection"].to_numpy()[mask]
    if failed is None:
        failed = (samples["error"] != "").to_numpy()
    ok = ~failed[mask]
    total = int(latency.sum())
    good = latency[ok]
    opened, reused = good[new[ok] == 1], good[new[ok] == 0]
    tail_new_share = None
    tail_requests = 0
    if len(good):
        tail = good > np.percentile(good, 99)
        tail_requests = int(tail.sum())
        if tail_requests:
            tail_new_share = float((new[ok][tail] == 1).mean())
    figures: dict[str, Any] = {
        "connect_share": float(connect.sum()) / total if total else 0.0,
        "new_connections": int((new == 1).sum()),
        "new_p50_ms": _pct_ms(opened, 50),
        "new_p99_ms": _pct_ms(opened, 99),
        "reused_p50_ms": _pct_ms(reused, 50),
        "reused_p99_ms": _pct_ms(reused, 99),
        "tail_requests": tail_requests,
        "tail_new_share": tail_new_share,
        "per_worker_min": None,
        "per_worker_median": None,
        "per_worker_max": None,
    }
    if phase in CLOSED_LOOP_PHASES and concurrency > 0:
        worker = samples["worker"].to_numpy()[mask].astype(np.int64)
        if len(worker) and worker.max() > 0:
            counts = np.bincount(worker, minlength=concurrency + 1)[1:]
            figures["per_worker_min"] = int(counts.min())
            figures["per_worker_median"] = float(np.median(counts))
            figures["per_worker_max"] = int(counts.max())
    return figures


def tail_is_churn(row: Mapping[str, Any]) -> bool:
    """Whether a window's tail is mostly requests that opened a connection (see thresholds)."""
    share = row.get("tail_new_share")
    return (
        share is not None
        and share == share  # not NaN
        and share > CHURN_TAIL_SHARE
        and (row.get("tail_requests") or 0) >= CHURN_TAIL_MIN_REQUESTS
    )


def is_unfair(row: Mapping[str, Any]) -> bool:
    """Whether a closed-loop window starved some workers (see thresholds)."""
    low, median = row.get("per_worker_min"), row.get("per_worker_median")
    if low is None or median is None or low != low or median != median:  # NaN: not recorded
        return False
    concurrency = int(row.get("concurrency") or 0)
    if concurrency < 2 or row.get("requests", 0) < FAIRNESS_MIN_MEAN * concurrency:
        return False
    return median == 0 or low < UNFAIR_SHARE * median


def latency_rows(samples: pd.DataFrame) -> list[dict[str, Any]]:
    """The "Single Request Latency" table: one row per operation of the latency phase."""
    rows = []
    frame = samples[samples["phase"] == "latency"]
    ops = list(frame["operation"].astype(str).unique())
    for op in operations.table_order(ops):
        group = frame[frame["operation"] == op]
        ok = group[group["error"] == ""]["latency_ns"].to_numpy()
        rows.append(
            {
                "operation": op,
                "label": operations.label(op),
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
    failed = (samples["error"] != "").to_numpy()
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
        pool = pool_figures(
            samples,
            mask,
            phase=step["phase"],
            concurrency=int(step["concurrency"]),
            failed=failed,
        )
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
                **_rounded(pool),
            }
        )
    return rows


def _rounded(figures: dict[str, Any]) -> dict[str, Any]:
    """summary.json's precision: ms to the microsecond, shares to 4 places."""
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, float):
            value = round(value, 3 if key.endswith("_ms") else 4)
        out[key] = value
    return out


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
