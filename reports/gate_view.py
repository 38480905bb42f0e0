"""The gate as a report shows it first: each threshold or gated cell, its value and verdict.

One section for every report (run, sweep, Locust, compare, history): a
callout that says whether the gate passed (red when it failed, not amber),
then one row per cell. The verdicts are :mod:`analysis.gates`'s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.bootstrap import LEVEL
from analysis.findings import SEVERITIES
from analysis.gate_rules import FAIL, INCONCLUSIVE, PASS, Inconclusive
from analysis.gates import GateResult, counts, gate_failed
from client.metrics import PERCENTILE_NAMES
from reports.document import Block, Callout, Col, Table, format_cell

GATE_COLS = (
    Col("outcome", "Verdict"),
    Col("rule", "Rule"),
    Col("cell", "Cell"),
    Col("value", "Measured"),
    Col("detail", "Why"),
)


_FIRST = (FAIL, INCONCLUSIVE, PASS)

_CAPTIONS = {
    "threshold": (
        f"A threshold passes when its whole {LEVEL:.0%} interval is within the limit, fails "
        "when the whole interval is past it, and is inconclusive when the interval straddles "
        "it (a longer run narrows the interval)."
    ),
    "change": (
        "A cell fails when it regressed significantly past the allowed change, passes when "
        f"its {LEVEL:.0%} interval rules out a regression that large, and is inconclusive "
        "otherwise: the row then says the smallest change the comparison could detect."
    ),
}


def gate_frame(results: Sequence[GateResult]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "outcome": r.outcome,
                "rule": r.rule,
                "cell": r.cell,
                "value": r.value_text().split("; ")[0],
                "detail": r.detail,
            }
            for r in results
        ],
        columns=[c.key for c in GATE_COLS],
    )


def headline_text(figures: Mapping[str, Any], severities: Sequence[str]) -> str:
    """A run in one sentence (``summary.json``'s ``headline``): peak throughput, the
    percentile set, errors, and its findings by severity."""
    parts = []
    if figures.get("peak_rps") is not None:
        parts.append(f"peak **{figures['peak_rps']:,.0f} req/s** ({figures['peak_window']})")
    latency = [
        f"{name} **{format_cell(figures.get(f'{name}_ms'), 'ms')}**" for name in PERCENTILE_NAMES
    ]
    parts.append(" · ".join(latency))
    if figures.get("error_rate") is not None:
        parts.append(
            f"errors **{figures['error_rate']:.2%}** of {figures['requests']:,} measured requests"
        )
    by_severity = Counter(severities)
    found = ", ".join(f"{n} {sev}" for sev in SEVERITIES if (n := by_severity.get(sev)))
    parts.append(f"findings: {found or 'none'}")
    return "; ".join(parts) + "."


def verdict_line(results: Sequence[GateResult], inconclusive: Inconclusive, what: str) -> str:
    """``Gate failed: 1 fail, 2 pass, 0 inconclusive`` and what inconclusive counts as."""
    tally = counts(results)
    state = "failed" if gate_failed(results, inconclusive) else "passed"
    listed = ", ".join(f"{n} {outcome}" for outcome, n in tally.items())
    rule = f"inconclusive counts as {inconclusive}"
    return f"{what} {state}: {listed} ({rule})"


def gate_blocks(
    results: Sequence[GateResult], inconclusive: Inconclusive, what: str = "Gate"
) -> tuple[Block, ...]:
    """The callout and the table; nothing when there is no gate."""
    if not results:
        return ()
    results = sorted(results, key=lambda r: _FIRST.index(r.outcome))  # what failed, first
    failed = gate_failed(results, inconclusive)
    level = "bad" if failed else ("warning" if counts(results)[INCONCLUSIVE] else "ok")
    frame = gate_frame(results)
    return (
        Callout(f"**{verdict_line(results, inconclusive, what)}**", level),
        Table(
            "gate",
            frame,
            GATE_COLS,
            caption=_CAPTIONS["threshold" if results[0].kind == "threshold" else "change"],
            row_classes=tuple(f"gate-{o}" for o in frame["outcome"]),
        ),
    )
