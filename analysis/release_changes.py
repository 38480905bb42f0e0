"""History's statistics: each run's cells with intervals, and the change points across runs.

Each run contributes the cells of :mod:`analysis.verdicts` (per operation the
percentile set, per concurrency window its throughput), each with a
:data:`~analysis.bootstrap.LEVEL` bootstrap interval of the run's samples, or
summary.json's figures without an interval when the samples are gone. Every
series (cell and metric, in history order) goes through
:func:`analysis.changepoints.detect`; the gate takes ``--fail-on``'s rules.
Finding, ordering and reading the runs is ``reports.history``'s job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from analysis import changepoints, tables
from analysis.bootstrap import DRAWS, interval, percentile_draws, throughput_draws
from analysis.gate_rules import FAIL, THROUGHPUT, ChangeRule
from analysis.gates import GateResult, judge_change, rules_for
from analysis.verdicts import (
    QUANTILE,
    operation_latencies,
    rate,
    window_counts,
    windows,
)
from client.metrics import PERCENTILE_NAMES
from results import Run
from workload import operations


class Release(Protocol):
    """One run of a history, as its rows name it."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def started_at(self) -> str: ...


@dataclass(frozen=True)
class Change:
    """A change point of one series, at run ``index`` (0-based, in history order)."""

    group: str  # "operation" or "concurrency"
    cell: str
    metric: str
    index: int
    run: str
    before: float
    after: float
    change: float
    p_value: float
    method: str
    regression: bool
    fails: bool


def _row(
    group: str,
    cell: str,
    metric: str,
    value: float,
    low: float,
    high: float,
    n: int,
    scale: float = 1.0,
) -> dict[str, Any]:
    return {
        "group": group,
        "cell": cell,
        "metric": metric,
        "value": value / scale,
        "ci_low": low / scale,
        "ci_high": high / scale,
        "n": n,
    }


def measure(run: Run, seed: int = 0) -> list[dict[str, Any]]:
    """One run's cells: per operation the percentile set, per window its throughput, each
    with its interval (``DRAWS`` draws, as compare's)."""
    rng = np.random.default_rng(seed)
    rows = []
    for op, latencies in operation_latencies(run).items():
        values = np.sort(latencies)
        if len(values) < 2:
            continue
        for metric, q in QUANTILE.items():
            low, high = interval(percentile_draws(values, q, rng, DRAWS))
            value = float(np.quantile(values, q))
            cell = operations.label(op)
            rows.append(_row("operation", cell, metric, value, low, high, len(values), tables.MS))
    for window in windows(run).values():
        counts, width = window_counts(run, window)
        low, high = interval(throughput_draws(counts, width, rng, DRAWS))
        value = rate(counts, width)
        rows.append(
            _row("concurrency", window.name, THROUGHPUT, value, low, high, int(counts.sum()))
        )
    return rows


def measure_summary(kind: str, summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """summary.json's figures as the same cells, without intervals (a run whose samples
    are gone)."""
    nan = float("nan")
    rows = []
    if kind == "run":
        for item in summary.get("latency") or []:
            label = operations.label(str(item.get("operation")))
            count = int(item.get("count", 0))
            for metric in PERCENTILE_NAMES:
                value = float(item[f"{metric}_ms"])
                rows.append(_row("operation", label, metric, value, nan, nan, count))
    phase = tables.KIND_PHASES.get(kind, (kind, kind))[1]
    for item in summary.get("windows") or []:
        if item.get("phase") != phase:
            continue
        value, count = float(item["requests_per_s"]), int(item.get("requests", 0))
        name = tables.window_name(item)
        rows.append(_row("concurrency", name, THROUGHPUT, value, nan, nan, count))
    return rows


def history_frame(measured: Sequence[tuple[Release, list[dict[str, Any]]]]) -> pd.DataFrame:
    """Every run's cells, one row per (run, cell, metric), in history order (the order of
    ``measured``); empty when no run had a cell."""
    frames = []
    for index, (run, cells) in enumerate(measured):
        rows = pd.DataFrame(cells)
        if rows.empty:
            continue
        rows.insert(0, "index", index)
        rows.insert(1, "run", run.name)
        rows.insert(2, "label", run.label)
        rows.insert(3, "version", run.version)
        rows.insert(4, "started_at", run.started_at)
        frames.append(rows)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def find_changes(
    frame: pd.DataFrame, runs: Sequence[str], rules: Sequence[ChangeRule], seed: int = 0
) -> list[Change]:
    """Change points of every series (``runs``: the run names in history order); ``fails``
    when the newest run starts a regression past a rule."""
    newest = len(runs) - 1
    found = []
    for (group, cell, metric), series in frame.groupby(["group", "cell", "metric"], sort=False):
        series = series.sort_values("index")
        idx = series["index"].to_numpy()
        for point in changepoints.detect(series["value"].to_numpy(), seed=seed):
            at = int(idx[point.index])
            change = point.change
            regression = (change < 0) if metric == THROUGHPUT else (change > 0)
            fails = (
                at == newest
                and regression
                and any(
                    rule.broken_by(str(metric), change)
                    for rule in rules_for(rules, str(metric), str(cell), str(group))
                )
            )
            found.append(
                Change(
                    str(group),
                    str(cell),
                    str(metric),
                    at,
                    runs[at],
                    point.before,
                    point.after,
                    change,
                    point.p_value,
                    point.method,
                    regression,
                    fails,
                )
            )
    return found


def history_gate(
    frame: pd.DataFrame, changes: Sequence[Change], rules: Sequence[ChangeRule], newest: int
) -> tuple[GateResult, ...]:
    """``--fail-on-change`` cell by cell: the newest run against the one before it.

    A cell fails when the newest run starts a change point past its rule; otherwise it
    passes when the newest run's interval, relative to the run before, rules out a
    regression that large, and is inconclusive (with the change it could detect) when not.
    """
    if not rules or newest < 1 or frame.empty:
        return ()
    failing = {(c.group, c.cell, c.metric) for c in changes if c.fails}
    out = []
    for (group, cell, metric), series in frame.groupby(["group", "cell", "metric"], sort=False):
        applying = rules_for(rules, str(metric), str(cell), str(group))
        rows = series.set_index("index")
        if not applying or newest not in rows.index or newest - 1 not in rows.index:
            continue
        now, before = rows.loc[newest], float(rows.loc[newest - 1, "value"])
        if not before > 0:
            continue
        change = float(now["value"]) / before - 1
        low, high = float(now["ci_low"]) / before - 1, float(now["ci_high"]) / before - 1
        failed = (str(group), str(cell), str(metric)) in failing
        for rule in applying:
            # only a change point fails: the series test weighs run-to-run noise, which this
            # one step's interval (the newest run's, against a point) does not
            cell_ = (str(cell), str(metric), change, low, high, False)
            result = judge_change("history", rule, *cell_)
            if failed:  # the change point is the evidence, whatever this one step shows
                result = replace(
                    result, outcome=FAIL, detail="the newest run starts a change point"
                )
            out.append(result)
    return tuple(out)
