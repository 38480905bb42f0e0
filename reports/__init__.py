"""Reports: run folders -> Markdown/HTML reports with tables, plots, USL capacity and comparisons.

``build_report(run_dir)`` writes report.md, report.html (self-contained),
PNGs and CSVs into the run folder; ``compare_runs(baseline, candidate)``
compares two runs cell by cell with bootstrap confidence intervals and
gates on ``--fail-on`` thresholds. Both read only the run folder's files.
"""

from analysis.gate_rules import ChangeRule, parse_changes
from analysis.verdicts import Verdict
from reports.build import ReportPaths, build_report
from reports.compare_report import ComparePaths, CompareResult, compare_runs
from reports.errors import ReportInputError

__all__ = [
    "ChangeRule",
    "ComparePaths",
    "CompareResult",
    "ReportInputError",
    "ReportPaths",
    "Verdict",
    "build_report",
    "compare_runs",
    "parse_changes",
]
