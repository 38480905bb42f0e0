"""``build_report``: one run folder -> report.md, report.html, a PNG per figure, a CSV per table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import pool_pick, tables
from analysis.gates import from_rows
from analysis.reference import LATENCY_METRICS
from analysis.usl import UslFit
from client.metrics import PERCENTILE_NAMES
from reports import plots, sweep
from reports.document import (
    Block,
    Callout,
    Col,
    Document,
    Figure,
    Section,
    Table,
    Text,
)
from reports.gate_view import gate_blocks, headline_text
from reports.render_html import render_html
from reports.render_md import render_markdown
from reports.report_data import ReportData, analyse, locust_pacing
from results import load_run
from results.run_folder import write_text

MS_COLS = (
    Col("avg_ms", "Avg", "ms"),
    Col("p50_ms", "P50", "ms"),
    Col("p95_ms", "P95", "ms"),
    Col("p99_ms", "P99", "ms"),
)


#: connection churn and per-worker fairness of a window (``analysis.tables.pool_figures``)
CHURN_COLS = (
    Col("requests", "Requests", "int"),
    Col("new_connections", "New conn.", "int"),
    Col("new_p50_ms", "New P50", "ms"),
    Col("new_p99_ms", "New P99", "ms"),
    Col("reused_p50_ms", "Reused P50", "ms"),
    Col("reused_p99_ms", "Reused P99", "ms"),
    Col("tail_new_share", "New in tail", "share"),
    Col("connect_share", "Conn. wait", "share"),
    Col("per_worker_min", "Min/worker", "int"),
    Col("per_worker_median", "Median/worker", "count"),
    Col("per_worker_max", "Max/worker", "int"),
)
CHURN_CAPTION = (
    "Connections and workers: New conn. counts the requests that opened a connection inside "
    "the window; their P50/P99 beside the reused ones' (successes). New in tail: the share of "
    "the requests slower than the window's P99 that opened one. Min/Median/Max per worker: "
    "requests each closed-loop worker started in the window (workers that started none "
    "included); – where it does not apply (Locust: users are not told apart)."
)


@dataclass(frozen=True)
class ReportPaths:
    """Where a report went: the two documents, then every image and table file."""

    directory: Path
    markdown: Path
    html: Path
    images: tuple[Path, ...]
    tables: tuple[Path, ...]


class _Sections:
    """Collects sections and numbers figure files as they are drawn."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.items: list[Section] = []

    def png(self, name: str) -> Path:
        return self.out / f"{name}.png"

    def add(self, title: str, anchor: str, *blocks: object) -> None:
        kept = tuple(b for b in blocks if b is not None)
        if kept:
            self.items.append(Section(title, anchor, kept))  # type: ignore[arg-type]


def _latency_section(s: _Sections, a: ReportData) -> None:
    if a.latency.empty:
        return
    source = {
        "latency": "sequential, one request at a time",
        "locust": "every request of the Locust run",
        "sweep": "every request of the sweep",
    }
    title = "Single Request Latency" if a.latency_phase == "latency" else "Latency per operation"
    s.add(
        title,
        "latency",
        Text(
            f"From the `{a.latency_phase}` phase ({source[a.latency_phase]}); statistics over "
            "successful requests, percentiles with numpy's linear interpolation."
        ),
        Table(
            "latency",
            a.latency,
            (
                Col("label", "Operation"),
                *MS_COLS,
                Col("requests", "Requests", "int"),
                Col("errors", "Errors", "int"),
            ),
        ),
        Figure(
            plots.latency_bars(
                a.latency, s.png("latency_percentiles"), "Latency percentiles per operation"
            ),
            "Latency percentiles per operation",
        ),
        Figure(
            plots.spectrum_plot(
                a.spectrum,
                "operation",
                s.png("latency_spectrum"),
                "Latency percentile spectrum",
                dict(zip(a.latency["operation"], a.latency["label"], strict=True)),
            ),
            "Latency percentile spectrum (p50 … p99.99; curves stop where the sample count "
            "no longer supports the percentile)",
        )
        if not a.spectrum.empty
        else None,
    )


def _throughput_sections(s: _Sections, a: ReportData) -> None:
    if a.windows.empty or a.run.kind == "sweep":
        return
    w = a.windows.sort_values("concurrency")
    if a.run.kind == "run":
        s.add(
            "Throughput (requests/second)",
            "throughput",
            Text(
                "Closed loop, the scenario's weighted operation mix: requests that *started* "
                "inside each measured window, divided by the window's length."
            ),
            Table(
                "throughput",
                a.throughput,
                (
                    Col("pattern", "Pattern"),
                    Col("throughput_rps", "Throughput", "rps"),
                    Col("notes", "Notes"),
                ),
            ),
        )
        level_title, level_col = "Latency at each concurrency", Col("concurrency", "Workers", "int")
    else:
        level_title, level_col = "Locust stages", Col("concurrency", "Users", "int")
    cols = [
        Col("step", "Step"),
        level_col,
        Col("requests", "Requests", "int"),
        Col("throughput_rps", "Throughput", "rps"),
        *MS_COLS,
        Col("error_rate", "Errors", "share"),
        Col("connect_share", "Conn. wait", "share"),
        Col("new_connections", "New conn.", "int"),
    ]
    s.add(
        level_title,
        "concurrency",
        Table(
            "concurrency",
            w,
            tuple(cols),
            caption="Conn. wait: sum of connection-wait time over sum of latency in the window. "
            "New conn.: requests that opened a connection inside the window.",
        ),
        Table(
            "connections",
            w,
            (Col("step", "Step"), level_col, *CHURN_COLS),
            caption=CHURN_CAPTION,
        ),
        Figure(
            plots.concurrency_plot(
                w,
                s.png("concurrency"),
                "users" if a.run.kind == "locust" else "concurrency (workers)",
            ),
            "Throughput and latency against concurrency",
        ),
    )
    _capacity_section(s, a.usl, w)


def _usl_rows(fits: dict[str, UslFit | None]) -> pd.DataFrame:
    rows = []
    for name, fit in fits.items():
        if fit is None:
            continue
        rows.append(
            {
                "setting": name,
                "sigma": fit.sigma,
                "kappa": fit.kappa,
                "lam": fit.lam,
                "peak_n": fit.peak_concurrency,
                "peak_rps": fit.peak_throughput,
                "r2": fit.r2,
                "levels": fit.levels,
            }
        )
    return pd.DataFrame(rows)


USL_COLS = (
    Col("sigma", "σ (contention)", "num"),
    Col("kappa", "κ (coherency)", "num"),
    Col("lam", "λ (req/s at N=1)", "rps_plain"),
    Col("peak_n", "Peak N*", "rps_plain"),
    Col("peak_rps", "Peak throughput", "rps"),
    Col("r2", "R²", "num"),
    Col("levels", "Levels", "int"),
)
USL_TEXT = (
    "Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)), least squares on "
    "throughput against concurrency. σ is the serialised share of the work, κ the cost of "
    "coordination; the predicted peak is at N* = √((1−σ)/κ)."
)


def _capacity_section(s: _Sections, fit: UslFit | None, windows: pd.DataFrame) -> None:
    if fit is None:
        s.add(
            "Capacity",
            "capacity",
            Callout(
                f"The USL fit needs at least 3 concurrency levels; this run has "
                f"{windows['concurrency'].nunique()}.",
                "note",
            ),
        )
        return
    notes = []
    if fit.levels == 3:
        notes.append(
            Callout(
                "Three levels and three coefficients: the curve passes through "
                "every point, so R² says nothing here; measure more levels.",
                "note",
            )
        )
    if fit.kappa == 0:
        notes.append(
            Callout(
                "κ = 0: no retrograde region in the measured range; throughput approaches λ/σ.",
                "note",
            )
        )
    peak = fit.peak_concurrency
    summary = (
        f"Predicted peak: **{fit.peak_throughput:,.0f} req/s at about {peak:,.0f} "
        "concurrent requests**"
        if math.isfinite(peak)
        else f"Predicted ceiling: **{fit.peak_throughput:,.0f} req/s**"
    )
    s.add(
        "Capacity",
        "capacity",
        Text(USL_TEXT),
        Text(
            f"{summary}; contention σ = {fit.sigma:.4g}, coherency κ = {fit.kappa:.3g}, "
            f"λ = {fit.lam:,.1f} req/s, R² = {fit.r2:.3f}."
        ),
        *notes,
        Table("capacity_usl", _usl_rows({"measured": fit}), USL_COLS),
        Figure(
            plots.usl_plot(windows, fit, s.png("capacity_usl")),
            "Measured throughput and the fitted USL curve",
        ),
    )


def _seed_section(s: _Sections, a: ReportData) -> None:
    if a.seed_latency.empty and a.seed_other.empty:
        return
    blocks: list[object] = [
        Text(
            "The target was the embedded mock with the `seed` profile, "
            "calibrated to the seed README: its published figures beside "
            "the measured ones. Ratio = measured / seed."
        )
    ]
    if not a.seed_latency.empty:
        wide = a.seed_latency.pivot(
            index="label", columns="metric", values=["seed_ms", "measured_ms", "ratio"]
        )
        order = list(dict.fromkeys(a.seed_latency["label"]))
        frame = pd.DataFrame({"label": order})
        cols: list[Col] = [Col("label", "Operation")]
        for m in LATENCY_METRICS:
            frame[f"{m}_seed"] = wide[("seed_ms", m)].loc[order].to_numpy()
            frame[f"{m}_measured"] = wide[("measured_ms", m)].loc[order].to_numpy()
            frame[f"{m}_ratio"] = wide[("ratio", m)].loc[order].to_numpy()
            cols += [
                Col(f"{m}_seed", f"{m.upper()} seed", "ms_plain"),
                Col(f"{m}_measured", f"{m.upper()} meas.", "ms_plain"),
                Col(f"{m}_ratio", "×", "ratio"),
            ]
        blocks.append(
            Table(
                "seed_latency",
                frame,
                tuple(cols),
                caption="Single Request Latency (ms): seed vs measured",
            )
        )
    if not a.seed_other.empty:
        blocks.append(
            Table(
                "seed_other",
                a.seed_other,
                (
                    Col("group", "Table"),
                    Col("item", "Pattern"),
                    Col("unit", "Unit"),
                    Col("seed", "Seed", "num"),
                    Col("measured", "Measured", "num"),
                    Col("ratio", "×", "ratio"),
                ),
                caption="Throughput, pooling and batch: seed vs "
                "measured (100+ workers: the highest level ≥ 100)",
            )
        )
    s.add("Seed comparison", "seed", *blocks)


def _pooling_batch(s: _Sections, a: ReportData) -> None:
    if not a.pooling.empty:
        s.add(
            "Connection pooling",
            "pooling",
            Text(
                "A request that opens a connection (the mean over every one in this phase: "
                "the pooled client's first, and every request of the two anti-patterns) "
                f"against a pooled one: **{a.pooling_speedup:.1f}x** (the seed says 3.3x). The "
                "pooled row's averages leave its first request out; the other modes keep all "
                "of theirs. A new client per request costs what a new connection costs plus "
                "building the client: little for the lean engine, ~30-50 ms of CPU for a new "
                "`httpx.AsyncClient`, most of it building its TLS context (see BENCHMARKS.md)."
            ),
            Table(
                "pooling",
                a.pooling,
                (
                    Col("mode", "Mode"),
                    Col("requests", "Requests", "int"),
                    Col("first_ms", "First request", "ms"),
                    Col("avg_ms", "Avg", "ms"),
                    Col("p50_ms", "P50", "ms"),
                    Col("p95_ms", "P95", "ms"),
                    Col("vs_pooled", "Avg vs pooled", "ratio"),
                    Col("new_connections", "New connections", "int"),
                    Col("new_connection_ms", "Avg on a new connection", "ms"),
                ),
            ),
        )
    if not a.batch.empty:
        s.add(
            "Batch: sequential vs asyncio.gather",
            "batch",
            Text("Wall time from the first request's start to the last one's end."),
            Table(
                "batch",
                a.batch,
                (
                    Col("mode", "Mode"),
                    Col("requests", "Requests", "int"),
                    Col("wall_s", "Wall time", "s"),
                    Col("throughput_rps", "Throughput", "rps"),
                    Col("avg_ms", "Avg latency", "ms"),
                    Col("speedup", "Speed-up", "ratio"),
                ),
            ),
        )
    if not a.open_loop.empty:
        s.add(
            "Open loop",
            "open-loop",
            Text(
                "Requests sent on a fixed schedule. Response time counts from the *intended* "
                "send time (no coordinated omission); service time from the actual send. "
                "Late: sent more than 1 ms behind schedule."
            ),
            Table(
                "open_loop",
                a.open_loop,
                (
                    Col("step", "Step"),
                    Col("sent", "Sent", "int"),
                    Col("achieved_rps", "Achieved", "rps"),
                    Col("late_share", "Late", "share"),
                    Col("response_p50_ms", "Response P50", "ms"),
                    Col("response_p99_ms", "Response P99", "ms"),
                    Col("service_p50_ms", "Service P50", "ms"),
                    Col("service_p99_ms", "Service P99", "ms"),
                ),
            ),
        )


def _sweep_section(s: _Sections, a: ReportData) -> None:
    if a.run.kind != "sweep" or a.windows.empty:
        return
    blocks: list[object] = []
    if a.recommendation is not None:
        blocks.append(Callout(a.recommendation.sentence(), "ok"))
    blocks.append(
        Table(
            "sweep_recommendation",
            a.sweep_levels,
            (
                Col("concurrency", "Workers", "int"),
                Col("pool", "Pick"),
                Col("throughput_rps", "Throughput", "rps"),
                Col("p99_ms", "P99", "ms"),
                Col("best_p99_ms", "Best P99", "ms"),
                Col("new_connections", "New conn.", "int"),
                Col("connect_share", "Conn. wait", "share"),
                Col("eligible", f"Within {pool_pick.P99_TOLERANCE:.0%}", "int"),
                Col("settings", "Settings", "int"),
                Col("why", "Why"),
                Col("runner_up", "Runner-up"),
                Col("runner_up_lost", "Not picked because"),
            ),
            caption=f"The rule at each level: {pool_pick.RULE}.",
        )
    )
    cells = a.windows.sort_values(["pool", "concurrency"], kind="stable")
    blocks.append(
        Table(
            "sweep_connections",
            cells,
            (
                Col("pool", "Pool settings"),
                Col("concurrency", "Workers", "int"),
                Col("throughput_rps", "Throughput", "rps"),
                Col("p99_ms", "P99", "ms"),
                *CHURN_COLS,
            ),
            caption=CHURN_CAPTION,
        )
    )
    for metric, (title, unit) in sweep.METRICS.items():
        table = sweep.pivot(a.windows, metric)
        kind = {"req/s": "rps", "ms": "ms", "share": "share", "requests": "int"}[unit]
        cols = (Col("pool", "Pool settings"), *(Col(c, c, kind) for c in table.columns[1:]))
        slug = metric.removesuffix("_ms").removesuffix("_rps")
        blocks.append(Table(f"sweep_{slug}", table, cols, caption=f"{title} ({unit})"))
        blocks.append(
            Figure(
                plots.sweep_plot(a.windows, metric, title, unit, s.png(f"sweep_{slug}")),
                f"{title} by pool setting",
            )
        )
    s.add("Pool settings sweep", "sweep", *blocks)
    fits = _usl_rows(a.usl_by_pool)
    if not fits.empty:
        s.add(
            "Capacity by pool setting",
            "capacity",
            Text(USL_TEXT),
            Table("capacity_usl", fits, (Col("setting", "Pool settings"), *USL_COLS)),
        )


def _locust_section(s: _Sections, a: ReportData) -> None:
    if a.locust_stats.empty:
        return
    section = a.run.summary.get("locust")
    merged = section.get("merged_requests") if section else None
    counted = section.get("locust_requests") if section else None
    cols = [Col("label", "Operation"), Col("count", "Requests", "int")]
    cols.append(Col("locust_count", "Locust", "int"))
    for q in PERCENTILE_NAMES:
        cols += [Col(f"{q}_ms", q.upper(), "ms"), Col(f"locust_{q}_ms", "Locust", "ms")]
    s.add(
        "Harness and Locust",
        "locust",
        Text(
            "Every table of this report is computed from the harness's own unrounded "
            "samples. Locust rounds response times above 100 ms to 2 significant digits and "
            "takes its percentiles from those rounded values; its figures (from its own "
            "statistics) stand beside the harness's for each operation. "
            f"Requests merged from the workers: {merged:,}; counted by Locust: {counted:,}."
            if merged is not None and counted is not None
            else "Locust's own figures beside the harness's for each operation."
        ),
        Table("locust_vs_harness", a.locust_stats, tuple(cols)),
    )


def _timeline_section(s: _Sections, a: ReportData) -> None:
    if a.timeline.empty:
        return
    locust = a.run.kind == "locust"
    s.add(
        "Over time",
        "timeline",
        Figure(
            plots.timeline_plot(a.timeline, s.png("timeline"), users=locust),
            "Request rate, p95" + (" and users" if locust else "") + " per second",
        ),
    )


def _errors_phases(s: _Sections, a: ReportData) -> None:
    if a.errors.empty:
        s.add("Errors", "errors", Callout("No request failed.", "ok"))
    else:
        s.add(
            "Errors",
            "errors",
            Text(f"{a.error_share:.2%} of all requests failed, by class and operation:"),
            Table(
                "errors",
                a.errors,
                (
                    Col("phase", "Phase"),
                    Col("label", "Operation"),
                    Col("error", "Error"),
                    Col("count", "Count", "int"),
                    Col("requests", "Requests", "int"),
                    Col("share", "Share", "share"),
                ),
            ),
        )
    if not a.phases.empty:
        cols = [
            Col("label", "Operation"),
            Col("requests", "Requests", "int"),
            Col("latency_ms", "Mean", "ms"),
        ]
        for part, title in (
            ("connect", "Conn. wait"),
            ("send", "Send"),
            ("wait", "Wait (TTFB)"),
            ("receive", "Receive"),
            ("other", "Other"),
        ):
            cols += [Col(f"{part}_ms", title, "ms"), Col(f"{part}_share", "%", "share")]
        cols.append(Col("new_connection_share", "New conn.", "share"))
        s.add(
            "Where the time goes",
            "phases",
            Text(
                "Mean per phase of the last attempt, over every recorded request: waiting for a "
                "pooled connection or connecting, sending, waiting for the first byte, receiving. "
                "Other: the rest of the service time (client overhead, earlier attempts, back-off)."
            ),
            Table("phases", a.phases, tuple(cols)),
        )


def _meta_section(s: _Sections, a: ReportData) -> None:
    blocks: list[object] = [
        Table("metadata", a.metadata, (Col("item", "Item"), Col("value", "Value")))
    ]
    if not a.health.empty and {"phase", "step", "cpu_percent"} <= set(a.health.columns):
        cols = [Col("phase", "Phase"), Col("step", "Step"), Col("cpu_percent", "CPU %", "num")]
        if "loop_lag_p99_ms" in a.health:
            cols.append(Col("loop_lag_p99_ms", "Loop lag p99 (ms)", "num"))
        if "saturated" in a.health:
            cols.append(Col("saturated", "Saturated"))
        blocks.append(
            Table(
                "generator_health",
                a.health,
                tuple(cols),
                caption="Load generator health per measured step",
            )
        )
    s.add("Run metadata", "metadata", *blocks)


def header(
    meta: Mapping[str, Any], samples: int, summary: Mapping[str, Any] | None = None
) -> tuple[tuple[str, str], ...]:
    profile = meta.get("mock_profile") if meta.get("embedded_mock") else "external service"
    items = [
        ("target", str(meta.get("target", "?"))),
        ("profile", str(profile or "?")),
        ("kind", str(meta.get("kind", "run"))),
        ("date", str(meta.get("started_at", "?"))[:19].replace("T", " ")),
        ("requests", f"{samples:,}"),
    ]
    service = meta.get("target_info") or {}
    if service.get("service") or service.get("version"):
        reported = f"{service.get('service') or '?'} {service.get('version') or '(no version)'}"
        items.append(("service", reported))
    tls = meta.get("tls")
    if tls:
        items.append(("TLS", tls_text(tls)))
    pool = (meta.get("pool") or {}).get("label")
    if pool:
        items.append(("pool", str(pool)))
    if meta.get("kind") == "locust" and meta.get("locust"):
        items.append(("load", locust_load(meta, summary or {})))
    return tuple(items)


def tls_text(tls: dict) -> str:
    """How the run trusted an https target, in a few words."""
    if not tls.get("verify", True):
        return "certificate NOT verified (--insecure)"
    trust = "a throwaway test CA" if tls.get("throwaway_ca") else tls.get("ca_cert") or "system CAs"
    mutual = ", client certificate" if tls.get("client_certificate") else ""
    return f"verified against {trust}{mutual}"


def locust_load(meta: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    """How a Locust run loaded the service: users, processes, and back to back, wait or pace."""
    locust = meta["locust"]
    users = f"{locust['shape']} shape" if locust.get("shape") else f"{locust.get('users')} users"
    processes = locust.get("processes") or 1
    where = f", {processes} worker processes" if processes > 1 else ""
    pacing = locust_pacing(summary)
    if pacing is None:
        return f"{users}{where}"
    rate, (low, high) = pacing
    if rate:
        how = f"paced at {rate:g} tasks/s per user"
    elif high:
        how = f"{low:g}-{high:g} s think time" if high != low else f"{low:g} s think time"
    else:
        how = "back to back (no think time)"
    return f"{users}{where}, {how}"


def _findings_section(s: _Sections, a: ReportData) -> None:
    """The run's findings (``analysis.findings``) as the report's first section, one callout
    each: what was found, the numbers, the section that shows them, what to try."""
    titles = {section.anchor: section.title for section in s.items}
    blocks: list[Callout | Text] = []
    for f in a.findings:
        where = titles.get(f.evidence.anchor)
        text = f"**{f.title}** ({f.severity}). {f.evidence.text}"
        if where:
            text += f" See **{where}**."
        if f.advice:
            text += f" What to try: {f.advice}"
        blocks.append(Callout(text, "note" if f.severity == "info" else "warning"))
    if not blocks:
        blocks.append(
            Callout("No findings: every rule that could judge the run found it healthy.", "ok")
        )
    not_judged = a.findings.not_judged
    if not_judged:
        reasons = "; ".join(f"**{n.rule.replace('_', ' ')}** ({n.reason})" for n in not_judged)
        blocks.append(Text(f"Not judged: {reasons}."))
    s.items.insert(0, Section("Findings", "findings", tuple(blocks)))


def _verdict_section(s: _Sections, a: ReportData) -> None:
    """The verdict first: the headline figures and every threshold with its verdict."""
    figures = tables.headline(a.run.samples, a.run.summary.get("windows") or [])
    severities = [f.severity for f in a.findings]
    blocks: list[Block] = [Text(headline_text(figures, severities))]
    gate = a.run.summary.get("gate")
    if gate:
        blocks += gate_blocks(from_rows(gate["results"]), gate["inconclusive"], "Thresholds")
    s.items.insert(0, Section("Verdict", "verdict", tuple(blocks)))


def document(a: ReportData, out: Path) -> Document:
    s = _Sections(out)
    _sweep_section(s, a)
    _latency_section(s, a)
    _throughput_sections(s, a)
    _seed_section(s, a)
    _pooling_batch(s, a)
    _locust_section(s, a)
    _timeline_section(s, a)
    _errors_phases(s, a)
    _meta_section(s, a)
    _findings_section(s, a)
    _verdict_section(s, a)
    return Document(
        title=f"Performance report — {a.run.name}",
        header=header(a.run.meta, len(a.run.samples), a.run.summary),
        warnings=(),
        sections=tuple(s.items),
        footer=f"Built from `{a.run.path.name}` (samples.parquet, meta.json, summary.json) by "
        "reports.build_report. Tables are recomputed from the samples.",
    )


def write_document(doc: Document, out: Path, stem: str) -> tuple[Path, Path, tuple[Path, ...]]:
    """report.md, report.html and a CSV per table; returns their paths."""
    csvs = []
    for table in doc.tables():
        path = out / f"{table.name}.csv"
        write_text(path, table.frame.to_csv(index=False))
        csvs.append(path)
    md = out / f"{stem}.md"
    write_text(md, render_markdown(doc, out))
    page = out / f"{stem}.html"
    write_text(page, render_html(doc))
    return md, page, tuple(csvs)


def build_report(run_dir: Path, *, out_dir: Path | None = None) -> ReportPaths:
    """Build the run's report into the run folder (or ``out_dir``); see module docstring."""
    run = load_run(run_dir)
    out = Path(out_dir) if out_dir is not None else run.path
    out.mkdir(parents=True, exist_ok=True)
    doc = document(analyse(run), out)
    md, page, csvs = write_document(doc, out, "report")
    return ReportPaths(out, md, page, tuple(f.path for f in doc.figures()), csvs)
