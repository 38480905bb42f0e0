from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from reports import ReportInputError, ReportPaths, build_report
from tests._run_factory import Spec, make_run


def test_run_report_files(run_report: ReportPaths) -> None:
    for path in (run_report.markdown, run_report.html, *run_report.images, *run_report.tables):
        assert path.exists() and path.stat().st_size > 0
    names = {p.name for p in run_report.images}
    assert {
        "latency_percentiles.png",
        "latency_spectrum.png",
        "concurrency.png",
        "capacity_usl.png",
        "timeline.png",
    } <= names
    tables = {p.stem for p in run_report.tables}
    assert {
        "latency",
        "throughput",
        "concurrency",
        "pooling",
        "batch",
        "errors",
        "phases",
        "metadata",
        "seed_latency",
        "seed_other",
        "capacity_usl",
        "open_loop",
    } <= tables
    with (run_report.directory / "latency.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["label"] == "Get Profile" and float(rows[0]["p95_ms"]) > 0


def test_run_report_markdown(run_report: ReportPaths) -> None:
    text = run_report.markdown.read_text()
    for heading in (
        "## Single Request Latency",
        "## Throughput (requests/second)",
        "## Latency at each concurrency",
        "## Capacity",
        "## Seed comparison",
        "## Connection pooling",
        "## Batch: sequential vs asyncio.gather",
        "## Errors",
        "## Where the time goes",
        "## Run metadata",
    ):
        assert heading in text
    assert "| Operation | Avg | P50 | P95 | P99 |" in text
    assert "| Pattern | Throughput | Notes |" in text
    assert "| Sequential (blocking) |" in text and "| Parallel (10 workers) |" in text
    assert "The load generator was the limit" in text and "of requests failed" in text
    assert "](latency_percentiles.png)" in text
    html = run_report.html.read_text()
    assert "data:image/png;base64," in html and 'src="latency' not in html


def test_sweep_report(sweep_report: ReportPaths) -> None:
    text = sweep_report.markdown.read_text()
    assert "Recommended pool settings: aiohttp/pooled/k20/c100" in text
    assert "within 10% of the best p99" in text
    names = {p.name for p in sweep_report.images}
    assert {
        "sweep_throughput.png",
        "sweep_p95.png",
        "sweep_p99.png",
        "sweep_connect_share.png",
    } <= names
    assert "| Pool settings | c=1 | c=10 | c=50 | c=100 |" in text


def test_locust_report(locust_report: ReportPaths) -> None:
    text = locust_report.markdown.read_text()
    assert "## Locust stages" in text and "## Latency per operation" in text
    assert "Seed comparison" not in text  # profile fast
    assert "users" in text


def test_cut_short_and_few_levels(tmp_path: Path) -> None:
    run = make_run(tmp_path, Spec(levels=(1, 10), complete=False), "short")
    out = build_report(run, out_dir=tmp_path / "out")
    text = out.markdown.read_text()
    assert out.directory == tmp_path / "out"
    assert "The run was cut short" in text
    assert "only 2 concurrency levels ran" in text and "needs at least 3" in text


def test_missing_summary_infers_windows(tmp_path: Path) -> None:
    run = make_run(tmp_path, Spec(), "nosummary")
    (run / "summary.json").unlink()
    text = build_report(run).markdown.read_text()
    assert "inferred from the samples" in text


def test_unusable_run_folder(tmp_path: Path) -> None:
    with pytest.raises(ReportInputError):
        build_report(tmp_path / "nope")
    (tmp_path / "meta.json").write_text("{}")
    with pytest.raises(ReportInputError) as info:
        build_report(tmp_path)
    assert "samples.parquet" in str(info.value)


@pytest.mark.parametrize(
    ("shape", "wait", "rate", "compared"),
    [
        ("step", [0.0, 0.0], None, True),  # the seed's closed loops, under Locust
        ("step", [0.5, 2.0], None, False),  # think time: not the seed's pattern
        ("step", [0.0, 0.0], 5.0, False),  # paced: throughput is set by the pace
        (None, [0.0, 0.0], None, False),  # one user count: not the table's levels
    ],
)
def test_seed_throughput_only_for_back_to_back_step_runs(
    tmp_path: Path, shape: str | None, wait: list[float], rate: float | None, compared: bool
) -> None:
    run = make_run(tmp_path, Spec(kind="locust", profile="seed"), "locust-seed")
    meta_file, summary_file = run / "meta.json", run / "summary.json"
    meta_data = json.loads(meta_file.read_text())
    meta_data["locust"] = {"users": 100, "processes": 1, "shape": shape}
    meta_file.write_text(json.dumps(meta_data))
    summary = json.loads(summary_file.read_text())
    summary["locust"] = {"user_wait_s": wait, "user_rate": rate, "operations": []}
    summary_file.write_text(json.dumps(summary))
    text = build_report(run).markdown.read_text()
    assert ("## Seed comparison" in text) is compared
    load = "step shape, " + (
        "paced at 5 tasks/s per user" if rate else "0.5-2 s think time" if wait[1] else "back to"
    )
    assert (load in text) is (shape == "step")
