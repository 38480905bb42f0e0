"""Cells and their verdicts: whether a change of a cell between two runs is real and matters.

A cell is an operation (its latency percentiles) or a concurrency window (its
throughput and latency percentiles). ``bench.py compare`` judges baseline
against candidate cell by cell; ``bench.py history`` measures the same cells
run by run and gates with the same rules. A cell is *regressed* or *improved*
only when the :data:`~analysis.bootstrap.LEVEL` bootstrap interval of the
relative change excludes 0 **and** the change itself exceeds ``PRACTICAL``
(2%): a change inside the noise, or too small to matter, is "no significant
change".

Everything here takes loaded runs (``results.Run``) and reads no file itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis import tables
from analysis.bootstrap import (
    DRAWS,
    change_interval,
    interval_counts,
    percentile_draws,
    throughput_draws,
)
from analysis.gate_rules import CHANGE_METRICS, THROUGHPUT
from client.metrics import PERCENTILE_NAMES, PERCENTILES
from results import Run
from workload import operations

#: a change smaller than this (a fraction) is "no significant change", whatever its interval
PRACTICAL = 0.02
#: a cell's metrics: the percentile set (``p50`` ...), then throughput
METRICS = CHANGE_METRICS
#: latency metric -> the quantile (0..1) it takes
QUANTILE: Mapping[str, float] = {
    name: p / 100 for name, p in zip(PERCENTILE_NAMES, PERCENTILES, strict=True)
}
REGRESSED, IMPROVED, SAME, TOO_FEW = (
    "regressed",
    "improved",
    "no significant change",
    "too few samples",
)


@dataclass(frozen=True)
class Verdict:
    """One cell and metric: the values, the relative change and its interval (fractions)."""

    group: str  # "operation" or "concurrency"
    cell: str  # display name: "Get Profile", "throughput c=10"
    key: str  # operation name or window key (:func:`window_key`)
    metric: str
    unit: str
    baseline: float
    candidate: float
    delta: float
    change: float
    ci_low: float
    ci_high: float
    verdict: str
    n_baseline: int
    n_candidate: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_by(frame: pd.DataFrame, mask: np.ndarray, column: str) -> dict[str, np.ndarray]:
    """Successful latencies under ``mask``, split by a categorical column (one sort)."""
    mask = mask & ~tables.is_error(frame)
    codes = frame[column].cat.codes.to_numpy()[mask]
    values = frame["latency_ns"].to_numpy()[mask]
    order = np.argsort(codes, kind="stable")
    codes, values = codes[order], values[order]
    cuts = np.flatnonzero(np.diff(codes)) + 1
    names = frame[column].cat.categories
    return {
        str(names[part[0]]): vals
        for part, vals in zip(np.split(codes, cuts), np.split(values, cuts), strict=True)
        if len(part)
    }


def operation_latencies(run: Run) -> dict[str, np.ndarray]:
    """Successful latencies (ns) of the run's per-operation phase, by operation, table order."""
    phase = tables.KIND_PHASES[run.kind][0]
    groups = split_by(run.samples, (run.samples["phase"] == phase).to_numpy(), "operation")
    return {op: groups[op] for op in operations.table_order(groups)}


def window_key(row: Mapping[str, Any]) -> str:
    """The window a cell follows from run to run: ``phase/step/pool``, the pool only in a
    sweep (elsewhere every window of a run has the same pool, which may change)."""
    pool = str(row.get("pool") or "") if row["phase"] == "sweep" else ""
    return "/".join((str(row["phase"]), str(row["step"]), pool))


@dataclass(frozen=True)
class Window:
    """One measured window of a run: its step row and the samples that started inside it."""

    row: Mapping[str, Any]
    mask: np.ndarray

    @property
    def name(self) -> str:
        return tables.window_name(self.row)


def windows(run: Run) -> dict[str, Window]:
    """The run's concurrency windows by :func:`window_key`."""
    phase = tables.KIND_PHASES[run.kind][1]
    steps = run.steps[run.steps["phase"] == phase].reset_index(drop=True)
    masks = tables.window_masks(run.samples, steps)
    return {
        window_key(row): Window(row, mask)
        for row, mask in zip(steps.to_dict("records"), masks, strict=True)
    }


def window_counts(run: Run, window: Window) -> tuple[np.ndarray, float]:
    """Requests started in each interval of the window, and the interval in s (its rate's
    bootstrap unit, :func:`analysis.bootstrap.interval_counts`)."""
    starts = run.samples["start_ns"].to_numpy()[window.mask]
    return interval_counts(starts, int(window.row["start_ns"]), int(window.row["end_ns"]))


def window_latencies(run: Run, window: Window) -> np.ndarray:
    """The successful latencies (ns) of the requests that started inside the window."""
    return run.samples["latency_ns"].to_numpy()[window.mask & ~tables.is_error(run.samples)]


def rate(counts: np.ndarray, interval_s: float) -> float:
    """A window's throughput from its interval counts (req/s)."""
    return float(counts.sum() / (len(counts) * interval_s))


def _verdict(change: float, low: float, high: float, higher_is_worse: bool) -> str:
    if not np.isfinite(change):
        return TOO_FEW
    if abs(change) <= PRACTICAL:
        return SAME
    if (change > 0 and low > 0) or (change < 0 and high < 0):
        return REGRESSED if (change > 0) == higher_is_worse else IMPROVED
    return SAME


def _percentile_cells(
    base: np.ndarray, cand: np.ndarray, rng: np.random.Generator, **cell: Any
) -> list[dict[str, Any]]:
    out = []
    base, cand = np.sort(base), np.sort(cand)
    for metric, q in QUANTILE.items():
        if len(base) < 2 or len(cand) < 2:
            b = c = change = low = high = float("nan")
        else:
            b, c = float(np.quantile(base, q)), float(np.quantile(cand, q))
            change = c / b - 1 if b > 0 else float("nan")
            low, high = change_interval(
                percentile_draws(base, q, rng, DRAWS), percentile_draws(cand, q, rng, DRAWS)
            )
        out.append(
            {
                **cell,
                "metric": metric,
                "unit": "ms",
                "baseline": b / tables.MS,
                "candidate": c / tables.MS,
                "delta": (c - b) / tables.MS,
                "change": change,
                "ci_low": low,
                "ci_high": high,
                "verdict": _verdict(change, low, high, higher_is_worse=True),
                "n_baseline": len(base),
                "n_candidate": len(cand),
            }
        )
    return out


def _throughput_cell(
    base: tuple[np.ndarray, float],
    cand: tuple[np.ndarray, float],
    rng: np.random.Generator,
    **cell: Any,
) -> dict[str, Any]:
    (bc, bw), (cc, cw) = base, cand
    b_rate, c_rate = rate(bc, bw), rate(cc, cw)
    change = c_rate / b_rate - 1 if b_rate > 0 else float("nan")
    low, high = change_interval(throughput_draws(bc, bw, rng), throughput_draws(cc, cw, rng))
    return {
        **cell,
        "metric": THROUGHPUT,
        "unit": "req/s",
        "baseline": b_rate,
        "candidate": c_rate,
        "delta": c_rate - b_rate,
        "change": change,
        "ci_low": low,
        "ci_high": high,
        "verdict": _verdict(change, low, high, higher_is_worse=False),
        "n_baseline": int(bc.sum()),
        "n_candidate": int(cc.sum()),
    }


def compare_cells(base: Run, cand: Run, seed: int = 0) -> tuple[Verdict, ...]:
    """Every cell both runs (of one kind) measured, with its verdict; empty when they share
    none (:func:`analysis.gates.gate_cells` judges them against the rules)."""
    rng = np.random.default_rng(seed)
    b_ops, c_ops = operation_latencies(base), operation_latencies(cand)
    rows = []
    for op in [op for op in b_ops if op in c_ops]:
        cell = {"group": "operation", "cell": operations.label(op), "key": op}
        rows += _percentile_cells(b_ops[op], c_ops[op], rng, **cell)
    b_windows, c_windows = windows(base), windows(cand)
    for key in [k for k in b_windows if k in c_windows]:
        bw, cw = b_windows[key], c_windows[key]
        cell = {"group": "concurrency", "cell": bw.name, "key": key}
        rows.append(_throughput_cell(window_counts(base, bw), window_counts(cand, cw), rng, **cell))
        rows += _percentile_cells(
            window_latencies(base, bw), window_latencies(cand, cw), rng, **cell
        )
    return tuple(Verdict(**row) for row in rows)
