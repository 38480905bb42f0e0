"""Findings: each rule fires on a run built to show its case, stays silent on a healthy run,
and says why it could not judge below its minimum (a footnote, not a finding); one cause is
said once; summary.json, the report, the terminal and compare carry them; real runs against
a capacity-1 mock are found serialised, and with slow new connections, churning."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import findings
from analysis.findings import Diagnosis, Finding, RunFacts, findings_for
from analysis.summary import summarize
from drivers.terminal import print_findings
from mock_service import create_app
from reports import build_report, compare_runs
from results import Run, load_run
from tests._bench import bench, run_dir_from
from tests._live_server import LiveServer
from tests._run_factory import PoolWindow, Spec, make_pool_run, make_run
from tests._slow_accept import SlowAcceptProxy

#: a run whose throughput follows the seed's table (50, 400, 800 req/s at 1, 10, 50 workers)
HEALTHY = Spec(levels=(1, 10, 50), usl=(0.0239, 0.00039, 50.0))


def _diagnose(run: Run, samples: pd.DataFrame | None = None, **facts) -> Diagnosis:
    return findings_for(
        run.samples if samples is None else samples,
        run.steps,
        health=run.summary.get("generator_health") or (),
        facts=RunFacts(**{"on_seed_mock": True, **facts}),
    )


def _find(run: Run, samples: pd.DataFrame | None = None, **facts) -> dict[str, Finding]:
    return {f.id: f for f in _diagnose(run, samples, **facts)}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("findings")


@pytest.fixture(scope="module")
def healthy(root: Path) -> Run:
    return load_run(make_run(root, HEALTHY, "healthy"))


def _in_window(run: Run, step: str) -> np.ndarray:
    return ((run.samples["phase"] == "throughput") & (run.samples["step"] == step)).to_numpy()


def test_a_healthy_run_has_no_findings(healthy: Run) -> None:
    assert _find(healthy) == {}


def test_every_rule_is_in_the_one_list_with_its_minimum() -> None:
    names = {rule.__name__ for rule in findings.RULES}
    assert names == set(findings.MIN_SAMPLES)
    assert {"scaling", "littles_law", "tail", "connections", "errors"} <= names
    assert {"reference", "generator"} <= names


def test_a_service_that_handles_one_request_at_a_time(root: Path) -> None:
    run = load_run(make_run(root, Spec(usl=(1.0, 0.0, 55.0), seed=2), "serial"))
    found = _find(run)
    serial = found["scaling.serialised"]
    assert serial.severity == "critical"
    assert "one at a time" in serial.title
    figures = dict(serial.evidence.figures)
    assert figures["sigma"] > 0.9
    assert 0.8 < figures["parallelism"] < 1.5
    assert "global lock" in serial.advice and "event loop" in serial.advice
    assert serial.evidence.anchor == "capacity"
    assert "scaling.limit" not in found


def test_the_level_past_which_throughput_stops_growing(root: Path) -> None:
    # default USL: 55, 375, 698, 694 req/s at 1, 10, 50, 100 workers
    run = load_run(make_run(root, Spec(seed=3), "knee"))
    limit = _find(run)["scaling.limit"]
    figures = dict(limit.evidence.figures)
    assert figures["knee"] == 50
    assert 50 < figures["peak"] < 100  # N* = sqrt(0.95 / 0.0002) ≈ 69
    assert limit.severity == "info"


def test_a_retrograde_curve_is_a_warning(root: Path) -> None:
    run = load_run(make_run(root, Spec(usl=(0.05, 0.002, 55.0), seed=4), "retrograde"))
    finding = _find(run)["scaling.retrograde"]
    assert finding.severity == "warning"
    assert dict(finding.evidence.figures)["kappa"] > 0


def test_too_few_requests_per_level_is_not_judged_not_a_finding(root: Path) -> None:
    run = load_run(make_run(root, Spec(levels=(1, 10, 50), duration_s=0.3, seed=5), "short"))
    diagnosis = _diagnose(run)
    assert not {f.id for f in diagnosis if f.rule in ("scaling", "tail")}
    reasons = {n.rule: n.reason for n in diagnosis.not_judged}
    assert {"scaling", "tail"} <= set(reasons)
    assert (
        "requests in the smallest of 3 concurrency levels; it needs at least 50"
        in (reasons["scaling"])
    )
    assert "successful requests in the load windows; it needs at least 2,000" in reasons["tail"]


def test_two_levels_say_a_scaling_fit_needs_three(root: Path) -> None:
    run = load_run(make_run(root, Spec(levels=(1, 10), seed=8), "two-levels"))
    diagnosis = _diagnose(run)
    assert "scaling" not in {f.rule for f in diagnosis}
    reason = {n.rule: n.reason for n in diagnosis.not_judged}["scaling"]
    assert reason == "only 2 concurrency levels ran (1, 10 workers); a scaling fit needs at least 3"


def test_notices_tls_unverified_and_cut_short_are_findings(healthy: Run) -> None:
    found = _find(healthy, tls_unverified=True, cut_short="interrupted (Ctrl-C) in throughput c=50")
    assert found["notices.tls_unverified"].severity == "warning"
    assert "--ca-cert" in found["notices.tls_unverified"].advice
    cut = found["notices.cut_short"]
    assert cut.evidence.text.startswith("interrupted (Ctrl-C) in throughput c=50.")
    assert RunFacts.of({"tls": {"verify": False}}, complete=False).cut_short == (
        "no reason recorded"
    )
    assert RunFacts.of({"tls": {"verify": False}}).tls_unverified
    assert not _find(healthy)


def test_littles_law_gap_is_time_outside_the_requests(healthy: Run) -> None:
    samples = healthy.samples.copy()
    window = _in_window(healthy, "c=50")
    samples.loc[window, "latency_ns"] = samples.loc[window, "latency_ns"] // 2
    finding = _find(healthy, samples)["littles_law.client_time"]
    figures = dict(finding.evidence.figures)
    assert figures["windows"] == ["throughput c=50"]
    assert 0.4 < figures["busy_share"] < 0.6
    assert figures["workers"] == 50


def test_the_tail_is_one_operation(healthy: Run) -> None:
    samples = healthy.samples.copy()
    slow = (samples["operation"] == "list_accounts").to_numpy() & ~_in_window(healthy, "c=1")
    samples.loc[slow, "latency_ns"] *= 6
    found = _find(healthy, samples)
    finding = found["tail.operation"]
    assert "list_accounts" in finding.title
    assert dict(finding.evidence.figures)["tail_share"] > 0.5
    assert "tail.stall" not in found and "tail.worker" not in found


def test_the_tail_is_a_stall_in_time(healthy: Run) -> None:
    samples = healthy.samples.copy()
    start = samples["start_ns"].to_numpy()
    stalled = np.zeros(len(samples), bool)
    for step in ("c=10", "c=50"):
        window = _in_window(healthy, step)
        first = start[window].min()
        stalled |= window & (start < first + 0.05 * (start[window].max() - first))
    samples.loc[stalled, "latency_ns"] *= 8
    found = _find(healthy, samples)
    assert dict(found["tail.stall"].evidence.figures)["tail_share"] > 0.5
    assert "tail.operation" not in found


def test_the_tail_is_one_worker_and_retries(healthy: Run) -> None:
    samples = healthy.samples.copy()
    picked = (samples["worker"] == 3).to_numpy() & (
        _in_window(healthy, "c=10") | _in_window(healthy, "c=50")
    )
    samples.loc[picked, "latency_ns"] *= 8
    samples.loc[picked, "attempts"] = 2
    found = _find(healthy, samples)
    assert "worker 3" in found["tail.worker"].title
    assert "tail.retries" in found
    assert "errors.retries" not in found  # 1 worker in 10 or 50: under 5% extra attempts


def test_churn_pool_wait_and_unfair_pools(root: Path) -> None:
    path = make_pool_run(
        root,
        [PoolWindow("aiohttp/pooled/k2/c20", churn=0.05), PoolWindow("aiohttp/pooled/k20/c20")],
        "churn",
    )
    found = _find(load_run(path))
    churn = found["connections.churn"]
    assert "max_keepalive_connections" in churn.advice
    assert dict(churn.evidence.figures)["windows"] == ["sweep c=20 (aiohttp/pooled/k2/c20)"]
    assert "tail.new_connections" not in found  # the same cause, said once: in the churn
    sweep = load_run(make_run(root, Spec(kind="sweep"), "sweep"))
    wait = _find(sweep)["connections.pool_wait"]
    assert "max_connections" in wait.advice
    assert all("k10/c10" in w for w in dict(wait.evidence.figures)["windows"])
    starved = make_pool_run(
        root,
        [PoolWindow("aiohttp/pooled/k20/c20", starved=4, starved_requests=3)],
        "starved",
    )
    assert "connections.unfair" in _find(load_run(starved))
    assert "connections.churn" not in _find(sweep)


def test_errors_rate_classes_and_retries(root: Path) -> None:
    run = load_run(make_run(root, replace(HEALTHY, error_rate=0.08), "errors"))
    found = _find(run)
    rate = found["errors.rate"]
    assert rate.severity == "critical"
    assert set(dict(rate.evidence.figures)["classes"]) == {
        "AccountTimeoutError",
        "AccountServerError",
    }
    assert "errors.retries" in found
    assert "errors.burst" not in found  # spread evenly over the run


def test_an_error_burst(healthy: Run) -> None:
    samples = healthy.samples.copy()
    window = _in_window(healthy, "c=50")
    start = samples["start_ns"].to_numpy()
    burst = window & (start < start[window].min() + 1_000_000_000)
    hit = burst & (np.arange(len(samples)) % 3 == 0)
    samples["error"] = samples["error"].cat.add_categories(["AccountServerError"])
    samples.loc[hit, "error"] = "AccountServerError"
    found = _find(healthy, samples)
    assert dict(found["errors.burst"].evidence.figures)["burst_share"] == 1.0
    assert "errors.rate" in found


def test_reference_is_calibration_on_the_seed_mock_and_differences_elsewhere(root: Path) -> None:
    slow = load_run(make_run(root, replace(HEALTHY, slowdown=3.0), "slow"))
    on_seed = _find(slow)["reference.calibration"]
    assert on_seed.severity == "warning"
    ratios = dict(on_seed.evidence.figures).values()
    assert all(r > 2 or r < 0.5 for r in ratios)
    elsewhere = _find(slow, on_seed_mock=False)
    assert elsewhere["reference.differences"].severity == "info"
    assert "reference.calibration" not in elsewhere


def test_a_saturated_generator(root: Path) -> None:
    run = load_run(make_run(root, replace(HEALTHY, saturated_steps=("c=50",)), "sat"))
    finding = _find(run)["generator.saturated"]
    assert finding.severity == "critical"
    assert dict(finding.evidence.figures)["windows"] == ["throughput c=50"]


def test_summary_report_and_terminal_carry_the_findings(root: Path) -> None:
    path = make_run(root, Spec(usl=(1.0, 0.0, 55.0), seed=6), "serial-report")
    run = load_run(path)
    summary = summarize(
        run.samples,
        json.loads((path / "summary.json").read_text())["steps"],
        extras={"generator_health": run.summary["generator_health"]},
    )
    stored = json.loads(json.dumps(summary))["findings"]
    assert stored[0]["id"] == "scaling.serialised"
    assert stored[0]["evidence"]["anchor"] == "capacity"
    assert set(stored[0]) == {"id", "rule", "severity", "title", "evidence", "advice"}
    out = io.StringIO()
    print_findings(stored, out)
    assert "[critical] The service handles requests nearly one at a time" in out.getvalue()
    report = build_report(path, out_dir=root / "serial-report-out")
    text = report.markdown.read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[:2] == ["## Verdict", "## Findings"], headings[:3]  # the verdict, then why
    assert "findings: 1 critical" in text.split("## Findings")[0]
    assert "nearly one at a time" in text and "See **Capacity**" in text
    assert "nearly one at a time" in report.html.read_text()


def test_compare_lists_the_findings_that_appeared_and_disappeared(root: Path, healthy: Run) -> None:
    serial = make_run(root, replace(HEALTHY, usl=(1.0, 0.0, 50.0)), "serial-2")
    result = compare_runs(healthy.path, serial, out_dir=root / "cmp")
    assert "scaling.serialised" in {f.id for f in result.findings.appeared}
    assert result.findings.disappeared == ()
    assert "nearly one at a time" in result.paths.markdown.read_text()
    back = compare_runs(serial, healthy.path, out_dir=root / "cmp-back")
    assert "scaling.serialised" in {f.id for f in back.findings.disappeared}


SERIAL_PROFILE = """name = "serial"
seed = 7
capacity = 1

[default_latency]
p50 = 4.0
p95 = 6.0
p99 = 8.0
"""
TINY_THROUGHPUT = """name = "tiny"
[throughput]
concurrency = [1, 4, 8]
duration_s = 1.0
warmup_s = 0.2
[data]
accounts = 20
"""


def test_a_real_run_against_a_capacity_one_mock_is_found_serialised(tmp_path: Path) -> None:
    profile, scenario = tmp_path / "serial.toml", tmp_path / "tiny.toml"
    profile.write_text(SERIAL_PROFILE)
    scenario.write_text(TINY_THROUGHPUT)
    done = bench(
        "run",
        "--profile",
        str(profile),
        "--scenario",
        str(scenario),
        "--phases",
        "throughput",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--no-report",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((run_dir_from(done.stdout) / "summary.json").read_text())
    ids = [f["id"] for f in summary["findings"]]
    assert "scaling.serialised" in ids, summary["findings"]
    tail = done.stdout[done.stdout.index("\nFindings") :]
    assert "The service handles requests nearly one at a time" in tail


SLOW_SERIAL_PROFILE = {
    "name": "slow-serial",
    "seed": 11,
    "capacity": 1,
    "default_latency": {"p50": 8.0, "p95": 10.0, "p99": 12.0},
}
#: 80 new connections at c=100 (the pool keeps 20), accepted one at a time: the last
#: ones are accepted after the window ends
ACCEPT_S = 0.12
CHURN_THROUGHPUT = """name = "one-at-a-time"
[throughput]
concurrency = [1, 10, 100]
duration_s = 8.0
warmup_s = 0.0
[data]
accounts = 20
"""


def test_one_at_a_time_and_slow_accepts_are_serialisation_and_churn_only(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """The real service's case: the workers starved at c=100 are the ones that waited for a
    new connection, so that is said in the churn finding, not as a second "unfair pool"."""
    mock = live_server(create_app(SLOW_SERIAL_PROFILE, accounts=50))
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(CHURN_THROUGHPUT)
    with SlowAcceptProxy(mock.port, accept_s=ACCEPT_S) as proxy:
        done = bench(
            "run",
            "--target",
            proxy.url,
            "--scenario",
            str(scenario),
            "--phases",
            "throughput",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--no-report",
            "--timeout",
            "30",  # the last accepts come after the 10 s default: no retries to blur it
            timeout=240,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((run_dir_from(done.stdout) / "summary.json").read_text())
    found = {f["id"]: f for f in summary["findings"]}
    assert "scaling.serialised" in found, summary["findings"]
    churn = found["connections.churn"]
    assert "throughput c=100" in churn["evidence"]["figures"]["windows"]
    assert churn["evidence"]["figures"]["starved_windows"] == ["throughput c=100"]
    assert "are the ones that waited for new connections" in churn["evidence"]["text"]
    assert "max_keepalive_connections" in churn["advice"]
    assert "connections.unfair" not in found
    assert not {i for i in found if i.startswith("tail.")}  # the tail is the churn
    window = next(w for w in summary["windows"] if w["step"] == "c=100")
    assert window["per_worker_min"] < 0.25 * window["per_worker_median"]  # it was starved
    printed = done.stdout[done.stdout.index("\nFindings") :]
    assert "Connection churn" in printed and "starved some workers" not in printed
