"""Baseline vs candidate: per cell deltas, 95% bootstrap CIs, verdicts and the --fail-on gate.

Cells are the operations (latency percentiles) and the concurrency levels
(throughput and latency percentiles) both runs measured. A cell is
*regressed* or *improved* only when the 95% CI of the relative change
excludes 0 **and** the change itself exceeds ``PRACTICAL`` (2%): a change
inside the noise, or too small to matter, is "no significant change".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis import tables
from analysis.findings import Finding
from reports.analysis import run_findings
from reports.bootstrap import DRAWS, interval_counts, percentile_draws, throughput_draws
from reports.errors import ReportInputError
from reports.load import Run
from workload import operations

PRACTICAL = 0.02
LEVEL = 0.95
METRICS = ("p50", "p95", "p99", "throughput")
QUANTILE = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
FAIL_ON_FORM = '"p95:+10%,throughput:-5%"'
REGRESSED, IMPROVED, SAME, TOO_FEW = (
    "regressed",
    "improved",
    "no significant change",
    "too few samples",
)
_RULE = re.compile(r"^(p50|p95|p99|throughput):([+-]?)(\d+(?:\.\d+)?)%$")


@dataclass(frozen=True)
class FailRule:
    """Fail when ``metric`` regressed (significantly) by more than ``threshold`` (a fraction)."""

    metric: str
    threshold: float

    def __str__(self) -> str:
        sign = "-" if self.metric == "throughput" else "+"
        return f"{self.metric}:{sign}{self.threshold:.0%}"


def parse_fail_on(text: str | None) -> tuple[FailRule, ...]:
    """``"p95:+10%,throughput:-5%"`` -> rules; raises ReportInputError naming the form."""
    if text is None or not text.strip():
        return ()
    rules = []
    for item in text.split(","):
        match = _RULE.match(item.strip().replace(" ", ""))
        if not match:
            raise ReportInputError(
                f"--fail-on: cannot read {item.strip()!r}; expected METRIC:±N% items such as "
                f"{FAIL_ON_FORM} (metrics: {', '.join(METRICS)})"
            )
        metric, sign, number = match.groups()
        wrong = "+" if metric == "throughput" else "-"
        if sign == wrong:
            direction = "a drop (-N%)" if metric == "throughput" else "a rise (+N%)"
            raise ReportInputError(
                f"--fail-on: {item.strip()!r}: a {metric} regression is {direction}; "
                f"expected a form such as {FAIL_ON_FORM}"
            )
        rules.append(FailRule(metric, float(number) / 100))
    return tuple(rules)


@dataclass(frozen=True)
class Verdict:
    """One cell and metric: the values, the relative change and its 95% CI (fractions)."""

    group: str  # "operation" or "concurrency"
    cell: str  # display name: "Get Profile", "Parallel (10 workers)"
    key: str  # operation name or "phase/step/pool"
    metric: str
    unit: str
    baseline: float
    candidate: float
    delta: float
    change: float
    ci_low: float
    ci_high: float
    verdict: str
    fails: bool
    n_baseline: int
    n_candidate: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _verdict(change: float, low: float, high: float, higher_is_worse: bool) -> str:
    if not np.isfinite(change):
        return TOO_FEW
    if abs(change) <= PRACTICAL:
        return SAME
    if (change > 0 and low > 0) or (change < 0 and high < 0):
        return REGRESSED if (change > 0) == higher_is_worse else IMPROVED
    return SAME


def _ratio_ci(base: np.ndarray, cand: np.ndarray) -> tuple[float, float]:
    rel = cand / base - 1
    alpha = (1 - LEVEL) / 2
    low, high = np.quantile(rel[np.isfinite(rel)], [alpha, 1 - alpha])
    return float(low), float(high)


def _cell_percentiles(
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
            low, high = _ratio_ci(
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


def _ok_latency(samples: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    return samples["latency_ns"].to_numpy()[mask & ~tables.is_error(samples)]


def operation_phase(run: Run) -> str:
    """The phase whose per-operation latencies a comparison uses."""
    return {"run": "latency", "sweep": "sweep", "locust": "locust"}[run.kind]


def window_phase(run: Run) -> str:
    return {"run": "throughput", "sweep": "sweep", "locust": "locust"}[run.kind]


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


def _operation_cells(base: Run, cand: Run, rng: np.random.Generator) -> list[dict[str, Any]]:
    phase = operation_phase(base)
    b_groups, c_groups = (
        split_by(run.samples, (run.samples["phase"] == phase).to_numpy(), "operation")
        for run in (base, cand)
    )
    rows = []
    for op in operations.table_order(set(b_groups) & set(c_groups)):
        rows += _cell_percentiles(
            b_groups[op], c_groups[op], rng, group="operation", cell=operations.label(op), key=op
        )
    return rows


def _window_key(row: Any, kind: str) -> tuple[str, str, str]:
    return (row.phase, row.step, row.pool if kind == "sweep" else "")


def _window_cells(base: Run, cand: Run, rng: np.random.Generator) -> list[dict[str, Any]]:
    phase = window_phase(base)
    found = []
    for run in (base, cand):
        steps = run.steps[run.steps["phase"] == phase].reset_index(drop=True)
        masks = tables.window_masks(run.samples, steps)
        found.append(
            {
                _window_key(row, run.kind): (row, mask)
                for row, mask in zip(steps.itertuples(index=False), masks, strict=True)
            }
        )
    rows = []
    starts = (base.samples["start_ns"].to_numpy(), cand.samples["start_ns"].to_numpy())
    for key in [k for k in found[0] if k in found[1]]:
        (brow, bmask), (crow, cmask) = found[0][key], found[1][key]
        name = tables.pattern(int(brow.concurrency))
        if base.kind == "sweep":
            name = f"{brow.pool} · {name}"
        elif base.kind == "locust":
            name = f"{brow.step} ({int(brow.concurrency)} users)"
        cell = {"group": "concurrency", "cell": name, "key": "/".join(key)}
        bc, bw = interval_counts(starts[0][bmask], brow.start_ns, brow.end_ns)
        cc, cw = interval_counts(starts[1][cmask], crow.start_ns, crow.end_ns)
        b_rate, c_rate = bc.sum() / (len(bc) * bw), cc.sum() / (len(cc) * cw)
        change = c_rate / b_rate - 1 if b_rate > 0 else float("nan")
        low, high = _ratio_ci(throughput_draws(bc, bw, rng), throughput_draws(cc, cw, rng))
        rows.append(
            {
                **cell,
                "metric": "throughput",
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
        )
        rows += _cell_percentiles(
            _ok_latency(base.samples, bmask), _ok_latency(cand.samples, cmask), rng, **cell
        )
    return rows


def compare(
    base: Run, cand: Run, rules: tuple[FailRule, ...] = (), seed: int = 0
) -> tuple[Verdict, ...]:
    """Every comparable cell of two runs of the same kind, with its verdict and gate result."""
    if base.kind != cand.kind:
        raise ReportInputError(
            f"cannot compare a {base.kind!r} run ({base.path}) with a {cand.kind!r} run "
            f"({cand.path}): compare runs of the same kind"
        )
    rng = np.random.default_rng(seed)
    rows = _operation_cells(base, cand, rng) + _window_cells(base, cand, rng)
    if not rows:
        raise ReportInputError(
            f"{base.path} and {cand.path} share no operation or concurrency level to compare"
        )
    out = []
    for row in rows:
        fails = any(
            rule.metric == row["metric"]
            and row["verdict"] == REGRESSED
            and abs(row["change"]) > rule.threshold
            for rule in rules
        )
        out.append(Verdict(**row, fails=fails))
    return tuple(out)


def verdict_frame(verdicts: tuple[Verdict, ...]) -> pd.DataFrame:
    return pd.DataFrame([v.as_dict() for v in verdicts])


@dataclass(frozen=True)
class FindingsDiff:
    """Findings (by ``id``) the candidate has and the baseline had not, and the reverse."""

    appeared: tuple[Finding, ...]
    disappeared: tuple[Finding, ...]


NO_FINDINGS_CHANGE = FindingsDiff((), ())


def findings_diff(base: Run, cand: Run) -> FindingsDiff:
    before, after = run_findings(base), run_findings(cand)
    old, new = {f.id for f in before}, {f.id for f in after}
    return FindingsDiff(
        appeared=tuple(f for f in after if f.id not in old),
        disappeared=tuple(f for f in before if f.id not in new),
    )
