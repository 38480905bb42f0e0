"""``build_history``: a folder of runs -> per-release figures with CIs, change points, a gate.

Runs compare when they share the run kind, the scenario and the target kind
(an external service, or the embedded mock with one profile) of the
reference run: the newest one, or the newest of ``--scenario``. The others
are listed as skipped, with why. Runs are ordered by release (the run's
``--label`` when it reads as a version, else the service's reported
version) when every run has one, by start time otherwise.

Each run contributes per-operation p50/p95/p99 and the throughput of each
concurrency level, each with a 95% bootstrap interval (``DRAWS`` draws of
the exact percentile bootstrap of :mod:`reports.bootstrap`: its cost is one
sort per cell, whatever the sample count), or the figures of summary.json
without an interval when samples.parquet is missing. Every series goes
through :func:`analysis.changepoints.detect`.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import changepoints, tables
from reports import plots
from reports.bootstrap import interval_counts, percentile_draws, throughput_draws
from reports.build import write_document
from reports.compare import (
    QUANTILE,
    FailRule,
    operation_phase,
    parse_fail_on,
    split_by,
    window_phase,
)
from reports.document import Callout, Col, Document, Figure, Section, Table, Text, format_cell
from reports.errors import ReportInputError
from reports.load import load_run
from results.run_folder import write_text
from results.run_format import RunFormatError, upgrade_meta
from workload import operations

DRAWS = 200
LEVEL = 0.95
OK, FAILED = 0, 1
LATENCY_METRICS = ("p50", "p95", "p99")


@dataclass(frozen=True)
class HistoryRun:
    """One comparable run: where it is, what it is called, where it sits in the order."""

    path: Path
    meta: dict[str, Any]
    label: str
    version: str
    started_at: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Skipped:
    path: Path
    why: str


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


@dataclass(frozen=True)
class HistoryPaths:
    directory: Path
    markdown: Path
    html: Path
    csv: Path
    change_csv: Path
    images: tuple[Path, ...]


@dataclass(frozen=True)
class HistoryResult:
    """``exit_code``: 0 fine, 1 the newest run starts a change point past a gate rule."""

    exit_code: int
    paths: HistoryPaths
    runs: tuple[HistoryRun, ...]
    skipped: tuple[Skipped, ...]
    changes: tuple[Change, ...]
    order: str

    @property
    def failures(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.fails)


def target_kind(meta: dict[str, Any]) -> str:
    if meta.get("embedded_mock"):
        return f"embedded mock ({meta.get('mock_profile') or '?'})"
    return "external service"


def scenario_name(meta: dict[str, Any]) -> str:
    scenario = meta.get("scenario")
    return str(scenario.get("name") if isinstance(scenario, dict) else scenario or "")


_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-.+]?(.*))?$")


def _release(text: Any) -> tuple[tuple[int, ...], int, str] | None:
    """``v1.4.0`` -> a sort key (numbers, then a release after its pre-releases); else None."""
    match = _VERSION.match(str(text or "").strip())
    if not match:
        return None
    numbers = tuple(int(n) for n in match.group(1).split("."))
    suffix = match.group(2) or ""
    return numbers + (0,) * (4 - len(numbers)), 0 if suffix else 1, suffix


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReportInputError(f"meta.json unreadable ({error})") from None
    if not isinstance(meta, dict):
        raise ReportInputError("meta.json is not a JSON object")
    return upgrade_meta(meta, path)


def collect(
    runs_dir: Path, *, label_pattern: str | None = None, scenario: str | None = None
) -> tuple[list[HistoryRun], list[Skipped], str]:
    """The comparable runs in history order, the skipped ones, and the order's name."""
    if not runs_dir.is_dir():
        raise ReportInputError(f"{runs_dir}: not a folder of runs (no such directory)")
    found: list[HistoryRun] = []
    skipped: list[Skipped] = []
    for path in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        if not (path / "meta.json").exists():
            continue  # a report folder, not a run
        try:
            meta = _read_meta(path)
        except (ReportInputError, RunFormatError) as error:
            skipped.append(Skipped(path, str(error)))
            continue
        label = str(meta.get("label") or "")
        if label_pattern and not fnmatch.fnmatchcase(label or path.name, label_pattern):
            skipped.append(Skipped(path, f"label {label or path.name!r} ≠ {label_pattern!r}"))
            continue
        version = str((meta.get("target_info") or {}).get("version") or "")
        found.append(HistoryRun(path, meta, label, version, str(meta.get("started_at", ""))))
    pool = [r for r in found if scenario is None or scenario_name(r.meta) == scenario]
    if not pool:
        wanted = f" of scenario {scenario!r}" if scenario else ""
        raise ReportInputError(f"{runs_dir}: no run folder{wanted} to build a history from")
    reference = max(pool, key=lambda r: r.started_at)
    key = _comparable_key(reference.meta)
    runs = []
    for run in found:
        theirs = _comparable_key(run.meta)
        if theirs == key:
            runs.append(run)
        else:
            why = [
                f"{what} {b!r} ≠ {a!r}"
                for what, a, b in zip(("kind", "scenario", "target"), key, theirs, strict=True)
                if a != b
            ]
            skipped.append(Skipped(run.path, "; ".join(why)))
    releases = [_release(r.label) or _release(r.version) for r in runs]
    if all(v is not None for v in releases):
        order = "release (run label, else the service's reported version), then start time"
        ranked = sorted(zip(releases, runs, strict=True), key=lambda p: (p[0], p[1].started_at))
        runs = [r for _, r in ranked]
    else:
        order = "start time"
        runs.sort(key=lambda r: r.started_at)
    return runs, skipped, order


def _comparable_key(meta: dict[str, Any]) -> tuple[str, str, str]:
    return (str(meta.get("kind", "run")), scenario_name(meta), target_kind(meta))


def _interval(draws: np.ndarray) -> tuple[float, float]:
    alpha = (1 - LEVEL) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return float(low), float(high)


def _window_name(kind: str, phase: str, step: str, pool: str, concurrency: int) -> str:
    if kind == "sweep":
        return f"{pool} · {tables.pattern(concurrency)}"
    if kind == "locust":
        return f"{step} ({concurrency} users)"
    return tables.pattern(concurrency)


def measure(path: Path, seed: int = 0) -> list[dict[str, Any]]:
    """One run's cells: per operation p50/p95/p99 and throughput per level, with 95% CIs."""
    if not (path / "samples.parquet").exists():
        return _from_summary(path)
    run = load_run(path)
    rng = np.random.default_rng(seed)
    rows = []
    ops = split_by(
        run.samples, (run.samples["phase"] == operation_phase(run)).to_numpy(), "operation"
    )
    for op in operations.table_order(ops):
        values = np.sort(ops[op])
        if len(values) < 2:
            continue
        for metric, q in QUANTILE.items():
            low, high = _interval(percentile_draws(values, q, rng, DRAWS))
            rows.append(
                _row(
                    "operation",
                    operations.label(op),
                    metric,
                    float(np.quantile(values, q)),
                    low,
                    high,
                    len(values),
                    tables.MS,
                )
            )
    steps = run.steps[run.steps["phase"] == window_phase(run)].reset_index(drop=True)
    starts = run.samples["start_ns"].to_numpy()
    for row, mask in zip(
        steps.itertuples(index=False), tables.window_masks(run.samples, steps), strict=True
    ):
        counts, width = interval_counts(starts[mask], row.start_ns, row.end_ns)
        rate = counts.sum() / (len(counts) * width)
        low, high = _interval(throughput_draws(counts, width, rng, DRAWS))
        name = _window_name(run.kind, row.phase, row.step, row.pool, int(row.concurrency))
        rows.append(_row("concurrency", name, "throughput", rate, low, high, int(counts.sum())))
    return rows


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


def _from_summary(path: Path) -> list[dict[str, Any]]:
    """summary.json's figures, without intervals, for a run whose samples are gone."""
    meta = _read_meta(path)
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReportInputError(
            f"{path}: neither samples.parquet nor summary.json ({error})"
        ) from None
    nan = float("nan")
    kind = str(meta.get("kind", "run"))
    rows = []
    if kind == "run":
        for item in summary.get("latency") or []:
            label = operations.label(str(item.get("operation")))
            for metric in LATENCY_METRICS:
                rows.append(
                    _row(
                        "operation",
                        label,
                        metric,
                        float(item[f"{metric}_ms"]),
                        nan,
                        nan,
                        int(item.get("count", 0)),
                    )
                )
    phase = {"run": "throughput", "sweep": "sweep", "locust": "locust"}.get(kind, kind)
    for item in summary.get("windows") or []:
        if item.get("phase") != phase:
            continue
        name = _window_name(
            kind, phase, str(item["step"]), str(item.get("pool") or ""), int(item["concurrency"])
        )
        rows.append(
            _row(
                "concurrency",
                name,
                "throughput",
                float(item["requests_per_s"]),
                nan,
                nan,
                int(item.get("requests", 0)),
            )
        )
    return rows


def history_frame(runs: list[HistoryRun], seed: int = 0) -> pd.DataFrame:
    """Every run's cells, one row per (run, cell, metric), in history order."""
    frames = []
    for index, run in enumerate(runs):
        rows = pd.DataFrame(measure(run.path, seed))
        if rows.empty:
            continue
        rows.insert(0, "index", index)
        rows.insert(1, "run", run.name)
        rows.insert(2, "label", run.label)
        rows.insert(3, "version", run.version)
        rows.insert(4, "started_at", run.started_at)
        frames.append(rows)
    if not frames:
        raise ReportInputError("none of the comparable runs has an operation or level to follow")
    return pd.concat(frames, ignore_index=True)


def find_changes(
    frame: pd.DataFrame, runs: list[HistoryRun], rules: tuple[FailRule, ...], seed: int = 0
) -> list[Change]:
    """Change points of every series; ``fails`` when the newest run starts one past a rule."""
    newest = len(runs) - 1
    found = []
    for (group, cell, metric), series in frame.groupby(["group", "cell", "metric"], sort=False):
        series = series.sort_values("index")
        idx = series["index"].to_numpy()
        for point in changepoints.detect(series["value"].to_numpy(), seed=seed):
            at = int(idx[point.index])
            change = point.change
            regression = (change < 0) if metric == "throughput" else (change > 0)
            fails = (
                at == newest
                and regression
                and any(r.metric == metric and abs(change) > r.threshold for r in rules)
            )
            found.append(
                Change(
                    group,
                    str(cell),
                    str(metric),
                    at,
                    runs[at].name,
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


def run_title(run: HistoryRun) -> str:
    return run.label or run.version or run.started_at[:16].replace("T", " ") or run.name


CHANGE_TEXT = (
    "Change points come from E-divisive means (Matteson & James 2014; as used by MongoDB, "
    "Daly et al. 2020, and Apache Otava) on each series of run values, with a permutation "
    f"test ({changepoints.PERMUTATIONS} shuffles, kept at p ≤ {changepoints.ALPHA}); a step "
    "in the newest run alone is tested against the runs since the last change point with a "
    "Student-t prediction interval. The step is the mean after vs the mean before, each up to "
    "the neighbouring change point. Intervals per run are 95% bootstrap intervals of that "
    "run's samples: they show sampling noise, not run-to-run variation."
)


def _value_text(row: pd.Series, kind: str) -> str:
    text = format_cell(row["value"], kind)
    if math.isnan(row["ci_low"]):
        return text
    return f"{text} ({format_cell(row['ci_low'], kind)}–{format_cell(row['ci_high'], kind)})"


def _wide(frame: pd.DataFrame, runs: list[HistoryRun], metric: str) -> Table | None:
    part = frame[frame["metric"] == metric]
    if part.empty:
        return None
    kind = "rps_plain" if metric == "throughput" else "ms_plain"
    cells = list(dict.fromkeys(part["cell"]))
    out = pd.DataFrame({"run": [run_title(r) for r in runs]})
    for i, cell in enumerate(cells):
        texts = {
            int(r["index"]): _value_text(r, kind) for _, r in part[part["cell"] == cell].iterrows()
        }
        out[f"c{i}"] = [texts.get(j, "–") for j in range(len(runs))]
    unit = "req/s" if metric == "throughput" else "ms"
    cols = (Col("run", "Run"), *(Col(f"c{i}", c) for i, c in enumerate(cells)))
    return Table(f"history_{metric}", out, cols, caption=f"{metric} ({unit}), 95% CI in brackets")


def _figures(
    frame: pd.DataFrame, runs: list[HistoryRun], changes: list[Change], out: Path
) -> list[Figure]:
    figures = []
    ticks = [run_title(r) for r in runs]
    for metric in (*LATENCY_METRICS, "throughput"):
        part = frame[frame["metric"] == metric]
        if part.empty:
            continue
        series = {
            str(cell): group[["index", "value", "ci_low", "ci_high"]].reset_index(drop=True)
            for cell, group in part.groupby("cell", sort=False)
        }
        marks = {
            cell: [(c.index, c.change) for c in changes if c.metric == metric and c.cell == cell]
            for cell in series
        }
        unit = "req/s" if metric == "throughput" else "ms"
        path = plots.history_plot(
            series, marks, ticks, out / f"history_{metric}.png", f"{metric} across runs", unit
        )
        figures.append(Figure(path, f"{metric} per run with its 95% CI; red lines: change points"))
    return figures


def history_document(
    runs: list[HistoryRun],
    skipped: list[Skipped],
    order: str,
    frame: pd.DataFrame,
    changes: list[Change],
    rules: tuple[FailRule, ...],
    out: Path,
) -> Document:
    warnings = []
    if rules:
        gate = ", ".join(str(r) for r in rules)
        failing = [c for c in changes if c.fails]
        if failing:
            text = "; ".join(f"{c.cell} {c.metric} {c.change:+.1%}" for c in failing[:5])
            warnings.append(
                Callout(f"Gate `--fail-on-change {gate}`: **failed** ({text}).", "warning")
            )
        else:
            warnings.append(Callout(f"Gate `--fail-on-change {gate}`: passed.", "ok"))
    cp = pd.DataFrame(
        [
            {
                "cell": c.cell,
                "metric": c.metric,
                "run": run_title(runs[c.index]),
                "before": c.before,
                "after": c.after,
                "change": c.change,
                "p": c.p_value,
                "kind": ("regression" if c.regression else "improvement")
                + (" ✗ fails gate" if c.fails else ""),
                "method": c.method,
            }
            for c in changes
        ],
        columns=["cell", "metric", "run", "before", "after", "change", "p", "kind", "method"],
    )
    summary = (
        f"{len(changes)} change point(s) in {frame.groupby(['cell', 'metric']).ngroups} series "
        f"over {len(runs)} runs (ordered by {order})."
    )
    blocks: list[Any] = [Text(summary), Text(CHANGE_TEXT)]
    if len(cp):
        blocks.append(
            Table(
                "history_changes",
                cp,
                (
                    Col("cell", "Cell"),
                    Col("metric", "Metric"),
                    Col("run", "Starts at run"),
                    Col("before", "Before", "num"),
                    Col("after", "After", "num"),
                    Col("change", "Step", "change"),
                    Col("p", "p", "num"),
                    Col("kind", "Kind"),
                    Col("method", "Test"),
                ),
            )
        )
    sections = [Section("Change points", "changes", tuple(blocks))]
    latency = tuple(t for m in LATENCY_METRICS if (t := _wide(frame, runs, m)) is not None)
    if latency:
        sections.append(Section("Latency per operation", "latency", latency))
    tput = _wide(frame, runs, "throughput")
    if tput is not None:
        sections.append(Section("Throughput per concurrency level", "throughput", (tput,)))
    figures = _figures(frame, runs, changes, out)
    if figures:
        sections.append(Section("Figures", "figures", tuple(figures)))
    inputs = pd.DataFrame(
        [
            (i + 1, r.name, r.label, r.version, r.started_at[:19].replace("T", " "))
            for i, r in enumerate(runs)
        ],
        columns=["n", "folder", "label", "version", "started"],
    )
    run_blocks: list[Any] = [
        Table(
            "history_runs",
            inputs,
            (
                Col("n", "#", "int"),
                Col("folder", "Folder"),
                Col("label", "Label"),
                Col("version", "Service version"),
                Col("started", "Started"),
            ),
        )
    ]
    if skipped:
        frame_skipped = pd.DataFrame(
            [(s.path.name, s.why) for s in skipped], columns=["folder", "why"]
        )
        run_blocks.append(
            Table(
                "history_skipped",
                frame_skipped,
                (Col("folder", "Folder"), Col("why", "Why")),
                caption="Skipped: not comparable with the newest run",
            )
        )
    sections.append(Section("Runs", "runs", tuple(run_blocks)))
    ref = runs[-1].meta
    head = (
        ("runs", str(len(runs))),
        ("scenario", scenario_name(ref) or "?"),
        ("kind", str(ref.get("kind", "run"))),
        ("target", target_kind(ref)),
        ("order", order.split(" (")[0]),
    )
    return Document(
        title="History across runs",
        header=head,
        warnings=tuple(warnings),
        sections=tuple(sections),
        footer="Built by reports.history.build_history from the run folders.",
    )


def parse_gate(text: str | None) -> tuple[FailRule, ...]:
    """--fail-on-change rules, in --fail-on's grammar; the error names this flag."""
    try:
        return parse_fail_on(text)
    except ReportInputError as error:
        raise ReportInputError(str(error).replace("--fail-on:", "--fail-on-change:", 1)) from None


def build_history(
    runs_dir: Path,
    *,
    label_pattern: str | None = None,
    scenario: str | None = None,
    fail_on_change: str | None = None,
    out_dir: Path | None = None,
    seed: int = 0,
) -> HistoryResult:
    """Write history.md/.html/.csv, change_points.csv and PNGs; raises ReportInputError."""
    rules = parse_gate(fail_on_change)
    runs_dir = Path(runs_dir)
    runs, skipped, order = collect(runs_dir, label_pattern=label_pattern, scenario=scenario)
    frame = history_frame(runs, seed)
    changes = find_changes(frame, runs, rules, seed)
    out = Path(out_dir) if out_dir is not None else runs_dir / "history"
    out.mkdir(parents=True, exist_ok=True)
    doc = history_document(runs, skipped, order, frame, changes, rules, out)
    md, page, _ = write_document(doc, out, "history")
    for table in doc.tables():  # the figures live unformatted in history.csv
        (out / f"{table.name}.csv").unlink(missing_ok=True)
    csv = out / "history.csv"
    write_text(csv, frame.to_csv(index=False))
    change_csv = out / "change_points.csv"
    columns = list(Change.__dataclass_fields__)
    write_text(
        change_csv, pd.DataFrame([c.__dict__ for c in changes], columns=columns).to_csv(index=False)
    )
    paths = HistoryPaths(out, md, page, csv, change_csv, tuple(f.path for f in doc.figures()))
    code = FAILED if any(c.fails for c in changes) else OK
    return HistoryResult(code, paths, tuple(runs), tuple(skipped), tuple(changes), order)


__all__ = ["HistoryPaths", "HistoryResult", "build_history", "collect", "measure"]
