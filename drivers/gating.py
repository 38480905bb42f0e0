"""After a run: judge its thresholds and keep the verdicts in its summary.json.

The thresholds are the scenario's ``[thresholds]`` plus every ``--threshold``,
parsed before any load (a rule that does not read, or a scope the run will
not measure, stops the run at start); the verdicts are
:mod:`analysis.gates`'s, judged on the run folder as written, so a run cut
short is judged on the cells that ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from analysis.gate_rules import Inconclusive, Threshold, parse_threshold
from analysis.gates import GateResult, gate_failed, judge_thresholds, summary_rows
from results import RunFolder, load_run
from workload.operations import OPERATIONS
from workload.scenario import Scenario


def thresholds_of(scenario: Scenario, flags: Sequence[str]) -> tuple[Threshold, ...]:
    """The scenario file's thresholds, then the flags' (which add to them)."""
    from_file = [parse_threshold(text, "[thresholds]") for text in scenario.thresholds]
    return (*from_file, *(parse_threshold(text) for text in flags))


def measured_operations(scenario: Scenario, latency_phase: bool) -> tuple[str, ...]:
    """The operations a run of ``scenario`` measures: the mix's, and the latency table's."""
    weights = scenario.weight_map
    return tuple(
        name
        for name, op in OPERATIONS.items()
        if weights.get(name, 0) > 0 or (latency_phase and op.in_latency_table)
    )


def judge_run(
    run_dir: Path, thresholds: Sequence[Threshold], inconclusive: Inconclusive
) -> tuple[GateResult, ...]:
    """Judge the run folder's thresholds and record them in its summary.json (``gate``)."""
    if not thresholds:
        return ()
    run = load_run(run_dir)
    results = judge_thresholds(run, thresholds)
    summary = dict(run.summary)
    summary["gate"] = {
        "inconclusive": inconclusive,
        "failed": gate_failed(results, inconclusive),
        "results": summary_rows(results),
    }
    RunFolder(run_dir).write_summary(summary)  # type: ignore[arg-type]
    return results
