"""All numbers of one run report, computed from a loaded run (no rendering here).

``analyse`` is what tests check against numpy on the raw samples; the
builder only turns an Analysis into tables, figures and text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import tables
from analysis.findings import ERROR_SHARE, Finding, findings_for, is_seed_mock
from analysis.reference import seed_latency, seed_other
from analysis.tables import CHURN_TAIL_SHARE, UNFAIR_SHARE, is_unfair, tail_is_churn
from analysis.usl import UslFit, fit_usl
from reports import sweep
from reports.load import Run
from reports.tables import locust_side_by_side, metadata_table

ERROR_WARN_SHARE = ERROR_SHARE

#: run kind -> (phase of the per-operation latency table, phase of the concurrency windows)
PHASES = {
    "run": ("latency", "throughput"),
    "sweep": ("sweep", "sweep"),
    "locust": ("locust", "locust"),
}


@dataclass(frozen=True)
class Warning_:
    kind: str  # insecure, saturated, cut_short, errors, churn, unfair
    text: str


@dataclass(frozen=True)
class Analysis:
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
    recommendation: sweep.Recommendation | None
    seed_latency: pd.DataFrame
    seed_other: pd.DataFrame
    locust_stats: pd.DataFrame
    warnings: tuple[Warning_, ...]
    error_share: float
    findings: tuple[Finding, ...] = ()


def locust_pacing(summary: dict) -> tuple[float, tuple[float, float]] | None:
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


def health_frame(summary: dict) -> pd.DataFrame:
    return pd.DataFrame(summary.get("generator_health") or [])


def _window_name(row: dict) -> str:
    where = f"**{row['phase']} {row['step']}**"
    return f"{where} ({row['pool']})" if row["phase"] == "sweep" and row.get("pool") else where


def _ms_text(value: float) -> str:
    return "n/a" if value != value else f"{value:,.1f} ms"


def window_warnings(windows: pd.DataFrame) -> list[Warning_]:
    """A tail made of new connections, and a closed loop that starved some workers,
    each with the pool setting to change (thresholds: ``analysis.tables``)."""
    out = []
    for row in windows.to_dict("records") if not windows.empty else []:
        workers = int(row["concurrency"])
        if tail_is_churn(row):
            out.append(
                Warning_(
                    "churn",
                    f"Connection churn in {_window_name(row)}: "
                    f"{row['tail_new_share']:.0%} of the requests slower than its p99 opened "
                    f"a new connection (more than {CHURN_TAIL_SHARE:.0%}; "
                    f"{int(row['new_connections']):,} requests opened one in the window); new "
                    f"connections p50 {_ms_text(row['new_p50_ms'])} against "
                    f"{_ms_text(row['reused_p50_ms'])} reused. The tail measures the pool "
                    "reconnecting, not the service: raise `max_keepalive_connections` to at "
                    f"least the concurrency ({workers}), or, if it already is, lengthen "
                    "`keepalive_expiry`.",
                )
            )
        if is_unfair(row):
            out.append(
                Warning_(
                    "unfair",
                    f"Unfair pool in {_window_name(row)}: of {workers} workers, the least "
                    f"served sent {int(row['per_worker_min']):,} requests against a median of "
                    f"{row['per_worker_median']:,g} (max {int(row['per_worker_max']):,}), less "
                    f"than {UNFAIR_SHARE:.0%} of the median, so its tail describes the pool's "
                    "queueing, not the service. Check `max_connections` against the number "
                    "of workers, and whether the engine hands freed connections to waiters "
                    "first come, first served.",
                )
            )
    return out


def find_warnings(
    run: Run, errors: pd.DataFrame, error_share: float, windows: pd.DataFrame | None = None
) -> tuple[Warning_, ...]:
    """Generator saturation, a run cut short, errors above 1%, and the windows' churn and
    fairness (``windows``: the window table)."""
    out = []
    if (run.meta.get("tls") or {}).get("verify") is False:
        out.append(
            Warning_(
                "insecure",
                "TLS certificate verification was **off** (`--insecure`): nothing proves these "
                "figures came from the intended service.",
            )
        )
    for h in run.summary.get("generator_health") or []:
        if h.get("saturated"):
            out.append(
                Warning_(
                    "saturated",
                    f"Load generator saturated during **{h.get('phase')} {h.get('step')}** "
                    f"(CPU {h.get('cpu_percent', '?')}%, loop lag p99 "
                    f"{h.get('loop_lag_p99_ms', '?')} ms): those figures measure the harness, "
                    "not the service.",
                )
            )
    if run.summary and (run.summary.get("complete") is False or run.summary.get("cut_short")):
        reason = run.summary.get("cut_short") or "no reason recorded"
        out.append(
            Warning_("cut_short", f"Run cut short: {reason}. Tables cover the steps that finished.")
        )
    if error_share > ERROR_WARN_SHARE:
        worst = (
            errors.groupby(["phase", "label"])["count"].sum().sort_values(ascending=False).head(3)
        )
        where = ", ".join(f"{p}/{op} ({n:,})" for (p, op), n in worst.items())
        out.append(
            Warning_(
                "errors",
                f"{error_share:.1%} of requests failed (more than "
                f"{ERROR_WARN_SHARE:.0%}); most in {where}.",
            )
        )
    if windows is not None:
        out += window_warnings(windows)
    return tuple(out)


def analyse(run: Run) -> Analysis:
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
            levels = sweep.per_level(windows)
            recommendation = sweep.recommend(windows)
        else:
            usl_fit = fit_usl(windows["concurrency"], windows["throughput_rps"])
    on_seed = is_seed_mock(run.meta)
    return Analysis(
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
        warnings=find_warnings(run, errors, error_share, windows),
        error_share=error_share,
        findings=run_findings(run),
    )


def run_findings(run: Run) -> tuple[Finding, ...]:
    """The run's findings, recomputed from its samples (as summary.json's were)."""
    return findings_for(
        run.samples,
        run.steps,
        health=run.summary.get("generator_health") or (),
        on_seed_mock=is_seed_mock(run.meta),
    )
