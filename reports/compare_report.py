"""``compare_runs``: baseline vs candidate -> compare.md, compare.html, PNGs, compare.csv."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import tables
from analysis.bootstrap import DRAWS, LEVEL
from analysis.gate_rules import FAIL, ChangeRule, Inconclusive, parse_changes
from analysis.gates import GateResult, gate_cells, gate_failed
from analysis.verdicts import IMPROVED, PRACTICAL, REGRESSED, Verdict
from reports import plots
from reports.build import header, write_document
from reports.compare import (
    NO_FINDINGS_CHANGE,
    FindingsDiff,
    compare,
    findings_diff,
    verdict_frame,
)
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
from reports.gate_view import gate_blocks, headline_text
from results import Run, load_run
from results.run_folder import write_text
from workload import operations

OK, FAILED = 0, 1


@dataclass(frozen=True)
class ComparePaths:
    directory: Path
    markdown: Path
    html: Path
    csv: Path
    images: tuple[Path, ...]


@dataclass(frozen=True)
class CompareResult:
    """``exit_code``: 0 the gate passed (or there is none), 1 it failed: a cell broke a
    ``--fail-on`` rule, or was inconclusive under ``inconclusive="fail"``."""

    exit_code: int
    paths: ComparePaths
    verdicts: tuple[Verdict, ...]
    rules: tuple[ChangeRule, ...]
    findings: FindingsDiff = NO_FINDINGS_CHANGE
    gates: tuple[GateResult, ...] = ()
    inconclusive: Inconclusive = "fail"

    @property
    def failures(self) -> tuple[GateResult, ...]:
        return tuple(g for g in self.gates if g.outcome == FAIL)

    def frame(self) -> pd.DataFrame:
        return gated_frame(self.verdicts, self.gates)


def gated_frame(verdicts: tuple[Verdict, ...], gates: tuple[GateResult, ...]) -> pd.DataFrame:
    """The verdicts, with each cell's gate outcome (``gate``, empty: not gated) and ``fails``."""
    frame = verdict_frame(verdicts)
    worst: dict[tuple[str, str], str] = {}
    rank = {"fail": 2, "inconclusive": 1, "pass": 0}
    for g in gates:
        key = (g.key, g.statistic)
        if rank[g.outcome] >= rank.get(worst.get(key, "pass"), 0):
            worst[key] = g.outcome
    if frame.empty:
        return frame.assign(gate=[], fails=[])
    pairs = list(zip(frame["key"], frame["metric"], strict=True))
    frame["gate"] = [worst.get(pair, "") for pair in pairs]
    frame["fails"] = frame["gate"] == FAIL
    return frame


RULE_TEXT = (
    f"Each cell compares baseline and candidate with a {LEVEL:.0%} bootstrap confidence "
    f"interval of the relative change ({DRAWS:,} draws; percentiles: the exact bootstrap "
    "distribution of numpy's linear percentile, drawn through uniform order statistics; "
    "throughput: request counts of the window's 1 s intervals, at least 10 intervals, "
    "resampled). A cell is **regressed** or **improved** only when the interval excludes 0 "
    f"**and** the change exceeds {PRACTICAL:.0%}; otherwise it is **no significant change**. "
    "With many cells, about 1 in 40 can show a spurious change at this level when nothing "
    "changed. The interval covers sampling noise within each run, not run-to-run variation "
    "(machine load, warm-up, CPU placement): repeat a run to learn that noise and set "
    "`--fail-on` thresholds above it."
)

VERDICT_COLS = (
    Col("cell", "Cell"),
    Col("metric", "Metric"),
    Col("baseline_txt", "Baseline"),
    Col("candidate_txt", "Candidate"),
    Col("change", "Change", "change"),
    Col("ci", f"{LEVEL:.0%} CI", "text"),
    Col("verdict", "Verdict"),
)


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["css"] = _row_classes(frame)
    unit = out["unit"].map({"ms": "ms", "req/s": "rps"})

    out["baseline_txt"] = [format_cell(v, k) for v, k in zip(out["baseline"], unit, strict=True)]
    out["candidate_txt"] = [format_cell(v, k) for v, k in zip(out["candidate"], unit, strict=True)]
    out["ci"] = [
        "–" if pd.isna(lo) else f"[{lo:+.1%}, {hi:+.1%}]"
        for lo, hi in zip(out["ci_low"], out["ci_high"], strict=True)
    ]
    out["verdict"] = [
        v + (f" · gate: {g}" if g else "") for v, g in zip(out["verdict"], out["gate"], strict=True)
    ]
    return out


def _row_classes(frame: pd.DataFrame) -> tuple[str, ...]:
    return tuple(
        " ".join(c for c in (v if v in (REGRESSED, IMPROVED) else "", "fails" if f else "") if c)
        for v, f in zip(frame["verdict"], frame["fails"], strict=True)
    )


def _figures(base: Run, cand: Run, frame: pd.DataFrame, out: Path) -> list[Figure]:
    figures = []
    phase = tables.KIND_PHASES[base.kind][0]
    groups = []
    for run in (base, cand):
        points = tables.spectrum(run.samples[run.samples["phase"] == phase])
        groups.append(
            {
                str(op): group[["nines", "latency_ms"]].reset_index(drop=True)
                for op, group in (points.groupby("operation") if len(points) else ())
                if len(group) >= 2
            }
        )
    keys = [k for k in operations.table_order(groups[0]) if k in groups[1]]
    if keys:
        path = plots.compare_spectra(
            {k: groups[0][k] for k in keys},
            {k: groups[1][k] for k in keys},
            {k: operations.label(k) for k in keys},
            out / "compare_spectra.png",
        )
        figures.append(
            Figure(path, "Percentile spectra per operation: baseline (grey) vs candidate (blue)")
        )
    ops = frame[(frame["group"] == "operation") & (frame["metric"] == "p95")]
    if not ops.empty:
        figures.append(
            Figure(
                plots.paired_bars(ops, out / "compare_p95.png", "p95 latency per operation", "ms"),
                "p95 per operation (candidate bar red: regressed, green: improved)",
            )
        )
    tput = frame[frame["metric"] == "throughput"]
    if not tput.empty:
        figures.append(
            Figure(
                plots.paired_bars(
                    tput,
                    out / "compare_throughput.png",
                    "Throughput per concurrency level",
                    "req/s",
                ),
                "Throughput per concurrency level",
            )
        )
    return figures


def _findings_section(diff: FindingsDiff) -> Section:
    """Findings (``analysis.findings``) the candidate gained or lost against the baseline."""
    rows = [
        {"change": change, "severity": f.severity, "title": f.title, "evidence": f.evidence.text}
        for change, found in (("appeared", diff.appeared), ("disappeared", diff.disappeared))
        for f in found
    ]
    if not rows:
        return Section(
            "Findings", "findings", (Callout("Both runs have the same findings.", "ok"),)
        )
    frame = pd.DataFrame(rows)
    return Section(
        "Findings",
        "findings",
        (
            Table(
                "compare_findings",
                frame,
                (
                    Col("change", "Change"),
                    Col("severity", "Severity"),
                    Col("title", "Finding"),
                    Col("evidence", "Evidence (the run that has it)"),
                ),
                row_classes=tuple(
                    "regressed" if c == "appeared" else "improved" for c in frame["change"]
                ),
            ),
        ),
    )


def _verdict_section(
    base: Run, cand: Run, gates: tuple[GateResult, ...], inconclusive: Inconclusive
) -> Section:
    """The verdict first: each run in one sentence, then the gate, cell by cell."""
    blocks: list[Block] = []
    for role, run in (("baseline", base), ("candidate", cand)):
        figures = tables.headline(run.samples, run.summary.get("windows") or [])
        severities = [f["severity"] for f in run.summary.get("findings") or []]
        blocks.append(Text(f"**{role}** ({run.path.name}): {headline_text(figures, severities)}"))
    blocks += gate_blocks(gates, inconclusive, "Gate --fail-on")
    if not gates:
        blocks.append(Text("No gate: `--fail-on` sets one (e.g. `p95:+10%,throughput:-5%`)."))
    return Section("Gate", "gate", tuple(blocks))


def compare_document(
    base: Run,
    cand: Run,
    verdicts: tuple[Verdict, ...],
    gates: tuple[GateResult, ...],
    inconclusive: Inconclusive,
    out: Path,
    findings: FindingsDiff | None = None,
) -> Document:
    frame = gated_frame(verdicts, gates)
    counts = frame["verdict"].value_counts()
    shown = _display(frame)
    warnings: list[Callout] = []
    worse, better = int(counts.get(REGRESSED, 0)), int(counts.get(IMPROVED, 0))
    summary = (
        f"{worse} regressed, {better} improved, {len(frame) - worse - better} without a "
        f"significant change (of {len(frame)} cells)."
    )
    sections = [_verdict_section(base, cand, gates, inconclusive)]
    sections.append(Section("Verdicts", "verdicts", (Text(summary), Text(RULE_TEXT))))
    if findings is not None:
        sections.append(_findings_section(findings))
    for group, title, anchor in (
        ("operation", "Per operation", "operations"),
        ("concurrency", "Per concurrency level", "concurrency"),
    ):
        mask = (shown["group"] == group).to_numpy()
        if mask.any():
            part = shown[mask].reset_index(drop=True)
            sections.append(
                Section(
                    title,
                    anchor,
                    (
                        Table(
                            f"compare_{anchor}", part, VERDICT_COLS, row_classes=tuple(part["css"])
                        ),
                    ),
                )
            )
    figures = _figures(base, cand, frame, out)
    if figures:
        sections.append(Section("Figures", "figures", tuple(figures)))
    inputs = pd.DataFrame(
        [
            (
                name,
                str(run.path),
                run.meta.get("mock_profile") or "",
                run.meta.get("target", ""),
                str(run.meta.get("started_at", "")),
                f"{len(run.samples):,}",
            )
            for name, run in (("baseline", base), ("candidate", cand))
        ],
        columns=["role", "path", "profile", "target", "started", "requests"],
    )
    sections.append(
        Section(
            "Inputs",
            "inputs",
            (
                Table(
                    "compare_inputs",
                    inputs,
                    (
                        Col("role", "Run"),
                        Col("path", "Folder"),
                        Col("profile", "Profile"),
                        Col("target", "Target"),
                        Col("started", "Started"),
                        Col("requests", "Requests"),
                    ),
                ),
            ),
        )
    )
    head = (
        ("baseline", base.name),
        ("candidate", cand.name),
        *header(cand.meta, len(cand.samples))[1:3],
    )
    return Document(
        title="Comparison: baseline vs candidate",
        header=head,
        warnings=tuple(warnings),
        sections=tuple(sections),
        footer="Built by reports.compare_runs from both run folders' samples.",
    )


def compare_runs(
    baseline: Path,
    candidate: Path,
    *,
    fail_on: str | None = None,
    out_dir: Path | None = None,
    seed: int = 0,
    inconclusive: Inconclusive = "fail",
) -> CompareResult:
    """Compare two run folders; see analysis.verdicts for the rule and analysis.gates for the
    gate. Raises ReportInputError."""
    rules = parse_changes(fail_on)
    base, cand = load_run(baseline), load_run(candidate)
    verdicts = compare(base, cand, seed=seed)
    gates = gate_cells(verdicts, rules)
    out = Path(out_dir) if out_dir is not None else cand.path / f"compare-{base.name}"
    out.mkdir(parents=True, exist_ok=True)
    diff = findings_diff(base, cand)
    doc = compare_document(base, cand, verdicts, gates, inconclusive, out, diff)
    md, page, _ = write_document(doc, out, "compare")
    csv = out / "compare.csv"
    write_text(csv, gated_frame(verdicts, gates).to_csv(index=False))
    for table in doc.tables():  # the verdict rows live in compare.csv, unformatted
        (out / f"{table.name}.csv").unlink(missing_ok=True)
    paths = ComparePaths(out, md, page, csv, tuple(f.path for f in doc.figures()))
    code = FAILED if gate_failed(gates, inconclusive) else OK
    return CompareResult(code, paths, verdicts, rules, diff, gates, inconclusive)


__all__ = ["ComparePaths", "CompareResult", "compare_runs"]
