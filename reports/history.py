"""``build_history``: a folder of runs -> per-release figures with CIs, change points, a gate.

Runs compare when they share the run kind, the scenario and the target kind
(an external service, or the embedded mock with one profile) of the
reference run: the newest one, or the newest of ``--scenario``. The others
are listed as skipped, with why. Runs are ordered by release (the run's
``--label`` when it reads as a version, else the service's reported
version) when every run has one, by start time otherwise.

Each run contributes the cells of :mod:`analysis.release_changes` (per
operation the percentile set, per concurrency window its throughput, each
with a bootstrap interval), or the figures of summary.json without an
interval when samples.parquet is missing; the change points and the gate are
its statistics too. This module finds, orders and reads the runs, and draws.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import changepoints
from analysis.bootstrap import LEVEL
from analysis.gate_rules import THROUGHPUT, ChangeRule, Inconclusive, parse_changes
from analysis.gates import GateResult, gate_failed
from analysis.release_changes import (
    Change,
    find_changes,
    history_frame,
    history_gate,
    measure,
    measure_summary,
)
from client.metrics import PERCENTILE_NAMES
from reports import plots
from reports.build import write_document
from reports.document import (
    Block,
    Callout,
    Col,
    Document,
    Figure,
    Section,
    Table,
    Text,
    format_cell,
)
from reports.errors import ReportInputError
from reports.gate_view import gate_blocks, headline_text
from results import META, SAMPLES, load_run, read_meta, read_summary
from results.run_folder import write_text
from results.run_format import RunFormatError

OK, FAILED = 0, 1


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
class HistoryPaths:
    directory: Path
    markdown: Path
    html: Path
    csv: Path
    change_csv: Path
    images: tuple[Path, ...]


@dataclass(frozen=True)
class HistoryResult:
    """``exit_code``: 0 fine, 1 the gate failed: the newest run starts a change point past
    a rule, or a gated cell is inconclusive under ``inconclusive="fail"``."""

    exit_code: int
    paths: HistoryPaths
    runs: tuple[HistoryRun, ...]
    skipped: tuple[Skipped, ...]
    changes: tuple[Change, ...]
    order: str
    gates: tuple[GateResult, ...] = ()
    inconclusive: Inconclusive = "fail"

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


def collect(
    runs_dir: Path, *, label_pattern: str | None = None, scenario: str | None = None
) -> tuple[list[HistoryRun], list[Skipped], str]:
    """The comparable runs in history order, the skipped ones, and the order's name."""
    if not runs_dir.is_dir():
        raise ReportInputError(f"{runs_dir}: not a folder of runs (no such directory)")
    found: list[HistoryRun] = []
    skipped: list[Skipped] = []
    for path in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        if not (path / META).exists():
            continue  # a report folder, not a run
        try:
            meta = read_meta(path)
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


def run_cells(run: HistoryRun, seed: int = 0) -> list[dict[str, Any]]:
    """One run's cells (``analysis.release_changes``): from its samples, else from its
    summary.json (without intervals) when samples.parquet is gone."""
    if (run.path / SAMPLES).exists():
        return measure(load_run(run.path), seed)
    try:
        summary = read_summary(run.path)
    except ReportInputError as error:
        raise ReportInputError(f"{run.path}: neither {SAMPLES} nor a summary ({error})") from None
    return measure_summary(str(run.meta.get("kind", "run")), summary)


def run_title(run: HistoryRun) -> str:
    return run.label or run.version or run.started_at[:16].replace("T", " ") or run.name


CHANGE_TEXT = (
    "Change points come from E-divisive means (Matteson & James 2014; as used by MongoDB, "
    "Daly et al. 2020, and Apache Otava) on each series of run values, with a permutation "
    f"test ({changepoints.PERMUTATIONS} shuffles, kept at p ≤ {changepoints.ALPHA}); a step "
    "in the newest run alone is tested against the runs since the last change point with a "
    "Student-t prediction interval. The step is the mean after vs the mean before, each up to "
    f"the neighbouring change point. Intervals per run are {LEVEL:.0%} bootstrap intervals of that "
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
    kind = "rps_plain" if metric == THROUGHPUT else "ms_plain"
    cells = list(dict.fromkeys(part["cell"]))
    out = pd.DataFrame({"run": [run_title(r) for r in runs]})
    for i, cell in enumerate(cells):
        texts = {
            int(r["index"]): _value_text(r, kind) for _, r in part[part["cell"] == cell].iterrows()
        }
        out[f"c{i}"] = [texts.get(j, "–") for j in range(len(runs))]
    unit = "req/s" if metric == THROUGHPUT else "ms"
    cols = (Col("run", "Run"), *(Col(f"c{i}", c) for i, c in enumerate(cells)))
    caption = f"{metric} ({unit}), {LEVEL:.0%} CI in brackets"
    return Table(f"history_{metric}", out, cols, caption=caption)


def _figures(
    frame: pd.DataFrame, runs: list[HistoryRun], changes: list[Change], out: Path
) -> list[Figure]:
    figures = []
    ticks = [run_title(r) for r in runs]
    for metric in (*PERCENTILE_NAMES, THROUGHPUT):
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
        unit = "req/s" if metric == THROUGHPUT else "ms"
        path = plots.history_plot(
            series, marks, ticks, out / f"history_{metric}.png", f"{metric} across runs", unit
        )
        caption = f"{metric} per run with its {LEVEL:.0%} CI; red lines: change points"
        figures.append(Figure(path, caption))
    return figures


def history_document(
    runs: list[HistoryRun],
    skipped: list[Skipped],
    order: str,
    frame: pd.DataFrame,
    changes: list[Change],
    rules: tuple[ChangeRule, ...],
    out: Path,
    gates: tuple[GateResult, ...] = (),
    inconclusive: Inconclusive = "fail",
) -> Document:
    warnings: list[Callout] = []
    if rules and not gates:
        gate = ", ".join(str(r) for r in rules)
        warnings.append(
            Callout(
                f"Gate `--fail-on-change {gate}`: no cell to judge (fewer than 2 runs).", "note"
            )
        )
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
    sections = []
    newest = read_summary(runs[-1].path) if runs else {}
    first: list[Block] = []
    if newest.get("headline"):  # the verdict first: the newest run in one sentence
        severities = [f["severity"] for f in newest.get("findings") or []]
        text = headline_text(newest["headline"], severities)
        first.append(Text(f"**newest run** ({runs[-1].name}): {text}"))
    what = "Gate --fail-on-change (the newest run)"
    first += gate_blocks(gates, inconclusive, what)
    if first:
        sections.append(Section("Gate", "gate", tuple(first)))
    sections.append(Section("Change points", "changes", tuple(blocks)))
    latency = tuple(t for m in PERCENTILE_NAMES if (t := _wide(frame, runs, m)) is not None)
    if latency:
        sections.append(Section("Latency per operation", "latency", latency))
    tput = _wide(frame, runs, THROUGHPUT)
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


def build_history(
    runs_dir: Path,
    *,
    label_pattern: str | None = None,
    scenario: str | None = None,
    fail_on_change: str | None = None,
    out_dir: Path | None = None,
    seed: int = 0,
    inconclusive: Inconclusive = "fail",
) -> HistoryResult:
    """Write history.md/.html/.csv, change_points.csv and PNGs; raises ReportInputError."""
    rules = parse_changes(fail_on_change, "--fail-on-change")
    runs_dir = Path(runs_dir)
    runs, skipped, order = collect(runs_dir, label_pattern=label_pattern, scenario=scenario)
    frame = history_frame([(run, run_cells(run, seed)) for run in runs])
    if frame.empty:
        raise ReportInputError("none of the comparable runs has an operation or level to follow")
    changes = find_changes(frame, [run.name for run in runs], rules, seed)
    gates = history_gate(frame, changes, rules, len(runs) - 1)
    out = Path(out_dir) if out_dir is not None else runs_dir / "history"
    out.mkdir(parents=True, exist_ok=True)
    doc = history_document(runs, skipped, order, frame, changes, rules, out, gates, inconclusive)
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
    code = FAILED if gate_failed(gates, inconclusive) else OK
    return HistoryResult(
        code, paths, tuple(runs), tuple(skipped), tuple(changes), order, gates, inconclusive
    )


__all__ = ["HistoryPaths", "HistoryResult", "build_history", "collect", "run_cells"]
