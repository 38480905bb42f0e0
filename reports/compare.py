"""Baseline vs candidate: the cells' verdicts (``analysis.verdicts``) and the findings' diff.

The statistics (cells, bootstrap intervals, verdicts, the ``--fail-on``
grammar) are ``analysis.verdicts``'s; this module checks that the two runs
can be compared and says so as the reports' input error when they cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.findings import Finding
from analysis.verdicts import Verdict, compare_cells
from reports.errors import ReportInputError
from reports.report_data import run_findings
from results import Run


def compare(base: Run, cand: Run, seed: int = 0) -> tuple[Verdict, ...]:
    """Every comparable cell of two runs of the same kind, with its verdict."""
    if base.kind != cand.kind:
        raise ReportInputError(
            f"cannot compare a {base.kind!r} run ({base.path}) with a {cand.kind!r} run "
            f"({cand.path}): compare runs of the same kind"
        )
    verdicts = compare_cells(base, cand, seed)
    if not verdicts:
        raise ReportInputError(
            f"{base.path} and {cand.path} share no operation or concurrency level to compare"
        )
    return verdicts


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
