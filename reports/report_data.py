"""All numbers of one run report, computed from a loaded run (no rendering here).

``analyse`` is what tests check against numpy on the raw samples; the
builder only turns a ReportData into tables, figures and text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis import pool_pick, tables
from analysis.findings import Diagnosis, RunFacts, findings_for, is_seed_mock
from analysis.reference import seed_latency, seed_other
from analysis.usl import UslFit, fit_usl
from reports.recorded import locust_side_by_side, metadata_table
from results import Run

#: run kind -> (phase of the per-operation latency table, phase of the concurrency windows)
PHASES = {
    "run": ("latency", "throughput"),
    "sweep": ("sweep", "sweep"),
    "locust": ("locust", "locust"),
}


@dataclass(frozen=True)
class ReportData:
    """What a run report shows, computed once: the builder draws it, tests check it."""

    run: Run
    latency_phase: str
    latency: pd.DataFrame
    windows: pd.DataFrame
    throughput: pd.DataFrame
    pooling: pd.DataFrame
    pooling_speedup: float
    batch: pd.DataFrame
    errors: pd.DataFrame
    phases: pd.DataFrame
    open_loop: pd.DataFrame
    timeline: pd.DataFrame
    spectrum: pd.DataFrame
    metadata: pd.DataFrame
    health: pd.DataFrame
    usl: UslFit | None
    usl_by_pool: dict[str, UslFit | None]
    sweep_levels: pd.DataFrame
    recommendation: pool_pick.Recommendation | None
    seed_latency: pd.DataFrame
    seed_other: pd.DataFrame
    locust_stats: pd.DataFrame
    error_share: float
    findings: Diagnosis


def locust_pacing(summary: Mapping[str, Any]) -> tuple[float, tuple[float, float]] | None:
    """(tasks/s per user or 0, (think time low, high)) as the users ran; None if unknown."""
    section = summary.get("locust") or {}
    if "user_wait_s" not in section:
        return None
    low, high = section["user_wait_s"]
    return float(section.get("user_rate") or 0.0), (float(low), float(high))


def compares_to_seed_throughput(run: Run) -> bool:
    """The seed's throughput table is closed loops with no think time at 1, 10, 50, 100:
    ``bench.py run``, or a Locust step-shape run whose users ran back to back."""
    if not is_seed_mock(run.meta):
        return False
    if run.kind == "run":
        return True
    if run.kind != "locust" or (run.meta.get("locust") or {}).get("shape") != "step":
        return False
    return locust_pacing(run.summary) == (0.0, (0.0, 0.0))


def health_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(summary.get("generator_health") or [])


def analyse(run: Run) -> ReportData:
    """Every table of the report for ``run``."""
    samples = run.samples
    op_phase, win_phase = PHASES[run.kind]
    latency = tables.latency_table(samples, op_phase)
    windows = tables.window_table(samples, run.steps, (win_phase,))
    pooling = tables.pooling_table(samples)
    batch = tables.batch_table(samples)
    errors = tables.errors_table(samples)
    error_share = float(tables.is_error(samples).mean()) if len(samples) else 0.0
    in_phase = samples[samples["phase"] == op_phase] if op_phase else samples
    usl_fit = None
    by_pool: dict[str, UslFit | None] = {}
    levels = pd.DataFrame()
    recommendation = None
    if not windows.empty:
        if run.kind == "sweep":
            for pool, group in windows.groupby("pool", sort=True):
                by_pool[str(pool)] = fit_usl(group["concurrency"], group["throughput_rps"])
            levels = pool_pick.per_level(windows)
            recommendation = pool_pick.recommend(windows)
        else:
            usl_fit = fit_usl(windows["concurrency"], windows["throughput_rps"])
    on_seed = is_seed_mock(run.meta)
    return ReportData(
        run=run,
        latency_phase=op_phase,
        latency=latency,
        windows=windows,
        throughput=tables.throughput_table(windows) if run.kind != "sweep" else pd.DataFrame(),
        pooling=pooling,
        pooling_speedup=tables.pooling_speedup(pooling) if not pooling.empty else float("nan"),
        batch=batch,
        errors=errors,
        phases=tables.phase_breakdown(samples) if len(samples) else pd.DataFrame(),
        open_loop=tables.open_loop_table(samples, run.steps),
        timeline=tables.timeline(samples),
        spectrum=tables.spectrum(in_phase) if len(in_phase) else pd.DataFrame(),
        metadata=metadata_table(run.meta, samples),
        health=health_frame(run.summary),
        usl=usl_fit,
        usl_by_pool=by_pool,
        sweep_levels=levels,
        recommendation=recommendation,
        seed_latency=seed_latency(latency) if on_seed and run.kind == "run" else pd.DataFrame(),
        seed_other=seed_other(windows, pooling, batch)
        if compares_to_seed_throughput(run)
        else pd.DataFrame(),
        locust_stats=locust_side_by_side(run.summary) if run.kind == "locust" else pd.DataFrame(),
        error_share=error_share,
        findings=run_findings(run),
    )


def run_findings(run: Run) -> Diagnosis:
    """The run's findings, recomputed from its samples and folder (as summary.json's were)."""
    summary = run.summary
    facts = RunFacts.of(
        run.meta,
        complete=summary.get("complete", True) is not False,
        cut_short=summary.get("cut_short"),
    )
    return findings_for(
        run.samples, run.steps, health=summary.get("generator_health") or (), facts=facts
    )
