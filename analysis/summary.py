"""summary.json: the analysis's tables as machine-readable rows, rounded once, here.

Drivers and the Locust runner both call :func:`summarize` with what they
recorded (samples, steps and a few timings), so every run kind carries the
same keys (see docs/run-format.md). Every figure comes from
``analysis.tables``, the functions the report and the terminal use too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd

from analysis import tables
from analysis.findings import RunFacts, cut_short_notice, findings_for
from results.summary_shape import FindingRow, Summary

#: pool figures that are counts (a DataFrame holding a missing one stores them as floats)
_COUNTS = frozenset(
    {"requests", "errors", "count", "new_connections", "tail_requests", "per_worker_min"}
    | {"per_worker_max", "concurrency", "sent"}
)


def _json(key: str, value: Any, *, missing: Any = None) -> Any:
    """summary.json's precision: ms to the microsecond, shares to 4 places; NaN -> ``missing``."""
    if isinstance(value, float) and math.isnan(value):
        return missing
    if key in _COUNTS:
        return int(value)
    if isinstance(value, float):
        return round(value, 3 if key.endswith("_ms") else 4)
    return value


def latency_rows(samples: pd.DataFrame) -> list[dict[str, Any]]:
    """The "Single Request Latency" table: one row per operation of the latency phase."""
    frame = tables.latency_table(samples)
    return [
        {
            "operation": row.operation,
            "label": row.label,
            "count": int(row.requests),
            **{k: _json(k, getattr(row, k), missing=0.0) for k in _LATENCY},
            "errors": int(row.errors),
        }
        for row in frame.itertuples(index=False)
    ]


_LATENCY = tables.LATENCY_COLUMNS
_POOL = tables.POOL_COLUMNS


def window_rows(samples: pd.DataFrame, steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rate and latency of each measured window (requests that *started* inside it)."""
    frame = tables.window_table(samples, tables.steps_table(steps), phases=_phases(steps))
    return [
        {
            "phase": row["phase"],
            "step": row["step"],
            "pattern": row["pattern"],
            "concurrency": int(row["concurrency"]),
            "pool": row["pool"],
            "requests": int(row["requests"]),
            "duration_s": round(row["duration_s"], 3),
            "requests_per_s": (
                0.0 if math.isnan(row["throughput_rps"]) else round(row["throughput_rps"], 2)
            ),
            **{k: _json(k, row[k], missing=0.0) for k in ("p50_ms", "p95_ms", "p99_ms")},
            "error_rate": round(row["error_rate"], 5),
            **{k: _json(k, row[k]) for k in _POOL},
        }
        for row in frame.to_dict("records")
    ]


def _phases(steps: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(step["phase"] for step in steps))


def error_rows(samples: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"phase": r.phase, "operation": r.operation, "error": r.error, "count": int(r.count)}
        for r in tables.error_counts(samples).itertuples(index=False)
    ]


def pooling_section(samples: pd.DataFrame) -> dict[str, Any]:
    """The pooling phase's rows and the seed's "first request" and speed-up (when it ran)."""
    frame = tables.pooling_table(samples)
    if frame.empty:
        return {}
    keys = ("requests", "first_ms", "avg_ms", "p50_ms", "new_connections", "new_connection_ms")
    section: dict[str, Any] = {
        "pooling": [
            {"mode": row["mode"], **{k: _json(k, row[k]) for k in keys}}
            for row in frame.to_dict("records")
        ]
    }
    first, speedup = tables.first_request_ms(frame), tables.pooling_speedup(frame)
    if not math.isnan(first) and not math.isnan(speedup):
        section["pooling_first_request_ms"] = round(first, 3)
        section["pooling_speedup"] = round(speedup, 2)
    return section


def batch_section(samples: pd.DataFrame, timings: Mapping[str, Any]) -> dict[str, Any]:
    """The batch phase's wall times (as the driver timed them), speed-up and reconnections."""
    sequential, gathered = timings["sequential_s"], timings["gather_s"]
    gather = (samples["phase"] == "batch") & (samples["step"] == "gather")
    return {
        "count": timings["count"],
        "sequential_s": round(sequential, 4),
        "gather_s": round(gathered, 4),
        "speedup": round(sequential / gathered, 2) if gathered > 0 else None,
        # a burst larger than max_keepalive_connections reconnects the excess
        "gather_new_connections": int((samples.loc[gather, "new_connection"] == 1).sum()),
    }


_OPEN_LOOP = ("response_p50_ms", "response_p99_ms", "service_p50_ms", "service_p99_ms")


def open_loop_rows(
    samples: pd.DataFrame, steps: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each open-loop run as the driver counted it, with its window's figures."""
    frame = tables.open_loop_table(samples, tables.steps_table(steps)).set_index("step")
    rows = []
    for run in runs:
        figures = frame.loc[run["step"]] if run["step"] in frame.index else None
        rate = None if figures is None else _json("achieved_rps", figures["achieved_rps"])
        rows.append(
            {
                **run,
                "achieved_rate": None if rate is None else round(rate, 2),
                **{k: None if figures is None else _json(k, figures[k]) for k in _OPEN_LOOP},
                "errors": 0 if figures is None else int(figures["errors"]),
            }
        )
    return rows


def summarize(
    samples: pd.DataFrame,
    steps: list[dict[str, Any]],
    *,
    extras: Mapping[str, Any] | None = None,
    complete: bool = True,
    cut_short: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Summary:
    """Everything ``summary.json`` holds.

    ``extras`` is what the driver recorded beside the samples and is copied
    through (health, data, ...), except two entries the analysis completes:
    ``batch`` (the driver's wall times: count, sequential_s, gather_s) and
    ``open_loop_runs`` (each open-loop run's schedule counts), which become
    ``batch`` and ``open_loop``. ``findings`` and ``not_judged`` are
    ``analysis.findings``'s diagnosis (``meta``: the run's meta.json, when known, tells
    the rules where it ran).
    """
    recorded = dict(extras or {})
    timings = recorded.pop("batch", None)
    runs = recorded.pop("open_loop_runs", None)
    windows = window_rows(samples, steps)
    summary: dict[str, Any] = {
        "complete": complete,
        "cut_short": cut_short,
        "requests": len(samples),
        "latency": latency_rows(samples),
        "throughput": [row for row in windows if row["phase"] == "throughput"],
        "windows": windows,
        "steps": steps,
        "errors": error_rows(samples),
        **pooling_section(samples),
    }
    if timings is not None:
        summary["batch"] = batch_section(samples, timings)
    summary.update(recorded)
    if runs is not None:
        summary["open_loop"] = open_loop_rows(samples, steps, runs)
    if any(step["phase"] == "sweep" for step in steps):
        summary["sweep"] = [row for row in windows if row["phase"] == "sweep"]
    facts = RunFacts.of(meta, complete=complete, cut_short=cut_short)
    diagnosis = findings_for(
        samples, steps, health=summary.get("generator_health") or (), facts=facts
    )
    summary.update(diagnosis.as_summary())
    summary["headline"] = tables.headline(samples, windows)
    return cast("Summary", summary)  # the keys above are Summary's


def mark_cut_short(summary: Summary, reason: str) -> None:
    """A summary written before its run was cut short (Locust's, at test stop): now it says
    so, in ``cut_short`` and as its findings' notice, as one summarized late would."""
    earlier = summary.get("cut_short")
    why = f"{reason}; {earlier}" if earlier else reason
    summary["complete"] = False
    summary["cut_short"] = why
    notice = cast("FindingRow", cut_short_notice(why).as_dict())
    others = [f for f in summary.get("findings") or [] if f["id"] != notice["id"]]
    critical = [f for f in others if f["severity"] == "critical"]
    summary["findings"] = [*critical, notice, *(f for f in others if f not in critical)]
