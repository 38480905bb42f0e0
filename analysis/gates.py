"""Gates: what a release pipeline branches on, in one grammar, each judged with its power.

Two kinds of rule, read by one parser (:func:`parse_rules`):

- a **threshold**, an absolute limit on one run (k6's idea): ``p95<200ms``,
  ``error_rate<1%``, ``throughput>500``, scoped to an operation and/or a
  concurrency level: ``get_account_profile:p99<50ms``, ``c=100:p95<300ms``;
- a **change rule**, a limit on the change between two runs (``compare
  --fail-on``, ``history --fail-on-change``): ``p95:+10%``,
  ``throughput:-5%``, scoped the same way.

Every gate cell gets one of three verdicts. A threshold *passes* when its
whole :data:`~analysis.bootstrap.LEVEL` interval is on the right side of the
limit, *fails* when the whole interval is past it, and is *inconclusive* when
the interval straddles it. A change rule *fails* on a significant regression
past its limit (:mod:`analysis.verdicts`), *passes* when the interval rules
out a regression that large, and is otherwise *inconclusive*, with the
smallest change the comparison could have detected (the interval's half
width). What an inconclusive cell does to the exit code is the caller's
``--inconclusive`` choice (:func:`gate_failed`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

import numpy as np

from analysis import tables
from analysis.bootstrap import LEVEL, interval, percentile_draws, throughput_draws
from analysis.gate_rules import (
    ERROR_RATE,
    FAIL,
    INCONCLUSIVE,
    OUTCOMES,
    PASS,
    THROUGHPUT,
    ChangeRule,
    Inconclusive,
    Outcome,
    Scope,
    Threshold,
)
from analysis.verdicts import REGRESSED, Verdict, Window, rate, window_counts, windows
from results import Run
from results.summary_shape import GateRow
from workload import operations

# -- one gate cell's result ----------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    """One threshold or gated cell: what was measured, the limit, the interval, the verdict."""

    kind: Literal["threshold", "compare", "history"]
    rule: str
    cell: str  # what it judged: "all requests", "Get Profile", "throughput c=10"
    statistic: str
    unit: str
    measured: float
    limit: float  # the threshold, or the allowed change (a fraction)
    ci_low: float
    ci_high: float
    outcome: Outcome
    detail: str = ""
    #: a relative gate's smallest detectable change (a fraction), when it is the reason
    detectable: float | None = field(default=None)
    #: the cell's key (compare: operation name or window key), to join it back to its cell
    key: str = ""

    def as_dict(self) -> GateRow:
        """As summary.json and the gate JSON keep it (a NaN is ``None``)."""
        return cast(GateRow, {k: _plain(v) for k, v in asdict(self).items()})

    def describe(self) -> str:
        """One line: the rule, the measured value and its interval, the verdict."""
        return f"{self.outcome.upper():<12} {self.rule} — {self.cell}: {self.value_text()}"

    def value_text(self) -> str:
        if self.kind == "threshold":
            unit = self.unit
            text = _fmt(self.measured, unit)
            if math.isfinite(self.ci_low) and (self.ci_low, self.ci_high) != (self.measured,) * 2:
                text += f" ({LEVEL:.0%} CI {_fmt(self.ci_low, unit)} .. {_fmt(self.ci_high, unit)})"
            text += f", limit {_fmt(self.limit, unit)}"
        else:
            text = f"change {self.measured:+.1%} "
            text += f"({LEVEL:.0%} CI {self.ci_low:+.1%} .. {self.ci_high:+.1%})"
            text += f", allowed {self.limit * 100:g}%"  # as the rule said it: +0.1% stays
        return text + (f"; {self.detail}" if self.detail else "")


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    if unit == "%":
        return f"{value:.2%}"
    if unit == "ms":
        return f"{value:.3g} ms" if value < 100 else f"{value:,.0f} ms"
    return f"{value:,.1f} {unit}" if abs(value) < 100 else f"{value:,.0f} {unit}"


def gate_failed(results: Iterable[GateResult], inconclusive: Inconclusive) -> bool:
    """Whether the gate fails: a failed cell, or an inconclusive one under ``fail``."""
    return any(
        r.outcome == FAIL or (r.outcome == INCONCLUSIVE and inconclusive == "fail") for r in results
    )


def counts(results: Iterable[GateResult]) -> dict[str, int]:
    """How many cells had each outcome (every outcome present, in OUTCOMES order)."""
    seen = [r.outcome for r in results]
    return {o: seen.count(o) for o in OUTCOMES}


# -- thresholds on one run -------------------------------------------------------------


def _threshold_outcome(rule: Threshold, value: float, low: float, high: float) -> Outcome:
    if not math.isfinite(value):
        return INCONCLUSIVE
    if not (math.isfinite(low) and math.isfinite(high)):
        return PASS if rule.holds(value) else FAIL
    if rule.holds(low) and rule.holds(high):
        return PASS
    if not rule.holds(low) and not rule.holds(high):
        return FAIL
    return INCONCLUSIVE


def _selection(run: Run, scope: Scope) -> tuple[np.ndarray, list[Window], str]:
    """The samples a scope judges (the run's measured phases), the windows in it, its name."""
    samples = run.samples
    latency_phase, window_phase = tables.KIND_PHASES[run.kind]
    chosen = [w for w in windows(run).values() if scope.level in (None, int(w.row["concurrency"]))]
    if scope.level is not None:
        mask = np.zeros(len(samples), bool)
        for window in chosen:
            mask |= window.mask
    else:
        phase = samples["phase"].astype(str).to_numpy()
        mask = (phase == latency_phase) | (phase == window_phase)
    names = []
    if scope.operation is not None:
        mask &= (samples["operation"].astype(str) == scope.operation).to_numpy()
        names.append(operations.label(scope.operation))
    if scope.level is not None:
        names.append(f"c={scope.level}")
    return mask, chosen, " at ".join(names) or "all measured requests"


def judge_threshold(run: Run, rule: Threshold, rng: np.random.Generator) -> GateResult:
    """One threshold over one run, with its interval and verdict."""
    mask, chosen, cell = _selection(run, rule.scope)
    nan = float("nan")
    value = low = high = nan
    detail = ""
    if rule.statistic == THROUGHPUT:
        rates = [(rate(*window_counts(run, w)), w) for w in chosen]
        if rates:
            value, best = max(rates, key=lambda item: item[0])
            counts_, width = window_counts(run, best)
            low, high = interval(throughput_draws(counts_, width, rng))
            cell = best.name if rule.scope.level is not None else f"peak window ({best.name})"
    elif rule.statistic == ERROR_RATE:
        n = int(mask.sum())
        if n:
            k = int(tables.is_error(run.samples)[mask].sum())
            value = k / n
            low, high = _wilson(k, n)
            detail = f"{k:,} of {n:,} requests failed"
    else:
        ok = mask & ~tables.is_error(run.samples)
        values = np.sort(run.samples["latency_ns"].to_numpy()[ok].astype(float) / tables.MS)
        if len(values) >= 2:
            value, low, high = _latency(values, rule.statistic, rng)
            detail = f"{len(values):,} requests"
    if not math.isfinite(value):
        detail = "nothing measured in this scope (the run ended before it?)"
    return GateResult(
        "threshold",
        rule.text,
        cell,
        rule.statistic,
        rule.unit,
        value,
        rule.limit,
        low,
        high,
        _threshold_outcome(rule, value, low, high),
        detail,
    )


def _latency(
    values: np.ndarray, statistic: str, rng: np.random.Generator
) -> tuple[float, float, float]:
    """A latency statistic of sorted values (ms) and its interval (max: none, it is the run's)."""
    if statistic == "max":
        top = float(values[-1])
        return top, top, top
    if statistic == "avg":
        mean = float(values.mean())
        half = 1.96 * float(values.std(ddof=1)) / math.sqrt(len(values))
        return mean, mean - half, mean + half
    q = float(statistic[1:]) / 100
    low, high = interval(percentile_draws(values, q, rng))
    return float(np.quantile(values, q)), low, high


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's score interval of a proportion k/n (sound near 0, where errors live)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def judge_thresholds(
    run: Run, thresholds: Sequence[Threshold], seed: int = 0
) -> tuple[GateResult, ...]:
    rng = np.random.default_rng(seed)
    return tuple(judge_threshold(run, rule, rng) for rule in thresholds)


# -- relative gates (compare, history) ---------------------------------------------------


def judge_change(
    kind: Literal["compare", "history"],
    rule: ChangeRule,
    cell: str,
    metric: str,
    change: float,
    ci_low: float,
    ci_high: float,
    regressed: bool,
    key: str = "",
) -> GateResult:
    """A gated cell: fail on a significant regression past the rule, pass when the interval
    rules out one that large, else inconclusive with the smallest detectable change."""
    worse_is_up = metric != THROUGHPUT
    worst = ci_high if worse_is_up else -ci_low  # the largest regression the interval allows
    detectable = (
        (ci_high - ci_low) / 2 if math.isfinite(ci_low) and math.isfinite(ci_high) else None
    )
    if regressed and rule.broken_by(metric, change):
        outcome: Outcome = FAIL
        detail = ""
    elif math.isfinite(worst) and worst <= rule.threshold:
        outcome, detail = PASS, ""
    else:
        outcome = INCONCLUSIVE
        detail = (
            f"the interval does not rule it out; the smallest change this comparison "
            f"could detect is about ±{detectable:.1%}"
            if detectable is not None
            else "no interval (no samples)"
        )
    return GateResult(
        kind,
        rule.text,
        cell,
        metric,
        "%",
        change,
        rule.threshold,
        ci_low,
        ci_high,
        outcome,
        detail,
        detectable,
        key,
    )


def gate_cells(verdicts: Iterable[Verdict], rules: Sequence[ChangeRule]) -> tuple[GateResult, ...]:
    """compare's gate: every cell and metric a rule applies to, judged by each such rule."""
    out = []
    for v in verdicts:
        for rule in rules_for(rules, v.metric, v.key, v.group):
            cell = (v.cell, v.metric, v.change, v.ci_low, v.ci_high, v.verdict == REGRESSED)
            out.append(judge_change("compare", rule, *cell, key=v.key))
    return tuple(out)


def rules_for(rules: Iterable[ChangeRule], metric: str, key: str, group: str) -> list[ChangeRule]:
    return [r for r in rules if r.applies(metric, key, group)]


def summary_rows(results: Iterable[GateResult]) -> list[GateRow]:
    """The gate results as summary.json keeps them (``gates``)."""
    return [r.as_dict() for r in results]


def from_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[GateResult, ...]:
    """Gate results back from summary.json's ``gates`` (None: not a number)."""
    nan = float("nan")
    out = []
    for row in rows:
        values: dict[str, Any] = {
            k: nan if v is None and k in _FLOATS else v for k, v in row.items()
        }
        out.append(GateResult(**values))
    return tuple(out)


_FLOATS = frozenset({"measured", "limit", "ci_low", "ci_high"})
