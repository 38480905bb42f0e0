"""Real Locust processes (headless, bounded) against a real mock on loopback.

Every Locust process here has a ``--run-time``, a ``--stop-timeout`` and a
subprocess timeout, and is killed at the end whatever happens.
"""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from drivers.exit_codes import ExitCode
from locustfiles.launch import ROOT, LocustRun, run_locust
from mock_service.launcher import launch
from reports import build_report
from reports.report_data import analyse
from results import RunFolder, load_run, read_meta, read_summary
from results.schema import SCHEMA
from tests._bench import bench, run_dir_from
from tests._mock_stats import api_requests
from tests._processes import BenchProcess, wait_for_locust_users, wait_until
from workload.operations import MIX_OPERATIONS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with launch("fast", accounts=200) as url:
        yield url


def _locust_csv(run_dir: Path) -> dict[str, dict[str, str]]:
    """Locust's statistics at the end (its own CSV is a snapshot up to 1 s old)."""
    with (run_dir / "locust_stats_final.csv").open(newline="") as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def _nearest_rank(values: np.ndarray, q: float) -> float:
    """The histogram's definition: the ceil(q% of n)-th smallest value."""
    ordered = np.sort(values)
    return float(ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1])


def test_single_process_run_leaves_a_complete_run_folder(tmp_path: Path, mock_url: str) -> None:
    httpx.post(f"{mock_url}/_mock/reset", timeout=5)
    run_dir = run_locust(
        LocustRun(
            users=5,
            spawn_rate=5,
            run_time="4s",
            target=mock_url,
            runs_root=tmp_path,
            label="single",
        )
    )
    folder = RunFolder(run_dir)
    for name in ("meta.json", "summary.json", "samples.parquet", "locust_stats.csv", "locust.html"):
        assert (run_dir / name).exists(), name
    meta, summary = read_meta(run_dir), read_summary(run_dir)
    assert meta["kind"] == "locust" and meta["ended_at"]
    assert meta["pool"]["transport"] == "gevent"
    assert summary["complete"] is True and summary["cut_short"] is None
    assert pq.read_schema(folder.samples_path).equals(SCHEMA)

    samples = pd.read_parquet(folder.samples_path)
    assert set(samples["phase"].astype(str)) == {"locust"}
    assert set(samples["step"].astype(str)) <= {"steady", "ramp"}
    assert samples["concurrency"].max() == 5
    steady = [s for s in summary["steps"] if s["step"] == "steady"]
    assert steady and steady[0]["concurrency"] == 5
    assert summary["windows"][0]["requests_per_s"] > 0
    assert summary["requests"] == len(samples)
    assert all(h["loop_lag_p99_ms"] is not None for h in summary["generator_health"])

    # one Locust row per operation, the same counts as the harness's own rows
    locust_rows = _locust_csv(run_dir)
    counts = samples.groupby("operation", observed=True).size()
    for op, n in counts.items():
        assert int(locust_rows[op]["Request Count"]) == n
    assert summary["locust"]["merged_requests"] == len(samples)
    assert summary["locust"]["locust_requests"] == len(samples)
    assert int(samples["attempts"].sum()) == api_requests(mock_url)

    # the report: the harness's unrounded figures, Locust's beside them, per operation
    side = analyse(load_run(run_dir)).locust_stats.set_index("operation")
    for op, n in counts.items():
        assert side.loc[op, "count"] == n == side.loc[op, "locust_count"]
        assert side.loc[op, "locust_p50_ms"] == float(locust_rows[op]["50%"])
    assert "## Harness and Locust" in build_report(run_dir).markdown.read_text()


def test_paced_users_hold_their_rate(tmp_path: Path, mock_url: str) -> None:
    """``user_rate``: every user runs that many tasks per second, not back to back."""
    users, rate = 6, 15.0
    run_dir = run_locust(
        LocustRun(
            users=users,
            spawn_rate=users,
            run_time="6s",
            target=mock_url,
            runs_root=tmp_path,
            label="paced",
            user_rate=rate,
        )
    )
    summary = read_summary(run_dir)
    assert read_meta(run_dir)["locust"]["user_rate"] == rate
    window = summary["windows"][0]
    # unpaced, these users do thousands per second against the fast mock
    assert window["requests_per_s"] == pytest.approx(users * rate, rel=0.2)
    assert summary["generator_health"][0]["saturated"] is False
    report = build_report(run_dir).markdown.read_text()
    assert "6 users, paced at 15 tasks/s per user" in report


def test_master_and_two_workers_merge_exactly(tmp_path: Path, mock_url: str) -> None:
    httpx.post(f"{mock_url}/_mock/reset", timeout=5)
    run_dir = run_locust(
        LocustRun(
            users=8,
            spawn_rate=8,
            run_time="5s",
            processes=2,
            target=mock_url,
            runs_root=tmp_path,
            label="distributed",
        )
    )
    summary = read_summary(run_dir)
    assert summary["complete"] is True
    section = summary["locust"]
    workers = section["workers"]
    assert sorted(w["worker"] for w in workers) == [0, 1]
    for w in workers:
        assert w["requests"] > 0
        assert w["requests"] == w["rows_reported"] == w["rows_received"]
    merged = section["merged_requests"]
    assert merged == sum(w["requests"] for w in workers)
    assert merged == section["locust_requests"]

    samples = pd.read_parquet(RunFolder(run_dir).samples_path)
    assert len(samples) == merged
    assert sorted(samples["worker"].unique()) == [0, 1]
    # the mock saw every attempt, and nothing else
    assert int(samples["attempts"].sum()) == api_requests(mock_url)

    # merged histograms agree with the raw rows within the histogram's 0.1%
    for row in section["operations"]:
        values = samples.loc[samples["operation"] == row["operation"], "latency_ns"].to_numpy()
        assert row["harness"]["count"] == len(values)
        for q in (50, 95, 99):
            exact_ms = _nearest_rank(values, q) / 1e6
            got = row["harness"][f"p{q}_ms"]
            # 0.1% from the bucket, plus the summary's rounding to 1 µs
            assert abs(got - exact_ms) <= exact_ms * 1e-3 + 5e-4, (row["operation"], q)
        assert row["locust"]["count"] == len(values)


def test_step_shape_labels_each_plateau(
    tmp_path: Path, mock_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCOUNT_STEPS", "1,3")
    monkeypatch.setenv("ACCOUNT_STEP_SECONDS", "2")
    run_dir = run_locust(
        LocustRun(
            users=1,
            spawn_rate=1,
            run_time="1s",
            shape="step",
            scenario="quick",
            target=mock_url,
            runs_root=tmp_path,
            label="steps",
        )
    )
    summary = read_summary(run_dir)
    rows = {row["step"]: row for row in summary["windows"]}
    assert set(rows) == {"users=1", "users=3"}
    assert rows["users=1"]["concurrency"] == 1 and rows["users=3"]["concurrency"] == 3
    for row in rows.values():
        assert row["requests"] > 0 and 1.0 < row["duration_s"] <= 3.0  # Locust ticks each 1 s
    samples = pd.read_parquet(RunFolder(run_dir).samples_path)
    assert set(samples["step"].astype(str)) <= {"users=1", "users=3", "ramp"}
    assert summary["complete"] is True
    # the report's windows are the two plateaus: ramp rows are never a window of their own
    windows = analyse(load_run(run_dir)).windows
    assert sorted(windows["step"]) == ["users=1", "users=3"]


def test_locustfile_alone_with_env_overrides(tmp_path: Path, mock_url: str) -> None:
    """``locust -f locustfiles/account_service.py --host URL``; weights and pool from env."""
    scenario = tmp_path / "reads.toml"
    scenario.write_text(
        "[weights]\n" + "".join(f"{op} = 0\n" for op in _OTHER_OPS) + "get_account_profile = 1\n"
    )
    env = {
        **os.environ,
        "ACCOUNT_SCENARIO": str(scenario),
        "ACCOUNT_POOL": "max_keepalive=5,transport=httpx",
    }
    cmd = [sys.executable, "-m", "locust", "-f", "locustfiles/account_service.py"]
    cmd += ["--host", mock_url, "--headless", "-u", "3", "-r", "3", "-t", "3s"]
    cmd += ["--stop-timeout", "5", "--csv", str(tmp_path / "plain"), "--only-summary"]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr[-2000:]
    with (tmp_path / "plain_stats.csv").open(newline="") as f:
        names = {row["Name"] for row in csv.DictReader(f)} - {"Aggregated"}
    # on_start creates the user's accounts (ensure), then only profile reads
    assert names == {"ensure_account", "get_account_profile"}


_OTHER_OPS = tuple(op for op in MIX_OPERATIONS if op != "get_account_profile")


def test_bad_settings_stop_locust_before_any_user(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "locust", "-f", "locustfiles/account_service.py"]
    cmd += ["--host", "http://127.0.0.1:9", "--headless", "-u", "1", "-t", "5s"]
    cmd += ["--account-rate", "5", "--account-wait", "1"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "--account-rate and --account-wait exclude each other" in out.stderr
    assert "Ramping to" not in out.stderr  # no user was started


def test_an_interrupted_run_leaves_partial_results(tmp_path: Path, mock_url: str) -> None:
    before = api_requests(mock_url)
    gate = tmp_path / "gate.json"
    locust = BenchProcess(
        "locust", "--users", "3", "--spawn-rate", "3", "--run-time", "60s",
        "--target", mock_url, "--runs-dir", str(tmp_path / "runs"), "--no-report",
        "--threshold", "p95<10s", "--gate-json", str(gate),
    )  # fmt: skip
    try:
        run_dir = wait_for_locust_users(locust, tmp_path / "runs", timeout=60)
        # users at work: the mock has answered some of their calls
        assert wait_until(lambda: api_requests(mock_url) >= before + 50, timeout=30)
        locust.proc.send_signal(signal.SIGINT)
        code = locust.wait(timeout=60)
    finally:
        locust.kill()
    assert code == 130, locust.output
    folder = RunFolder(run_dir)
    summary = read_summary(run_dir)
    assert summary["complete"] is False
    assert summary["cut_short"].startswith("interrupted")
    assert len(pd.read_parquet(folder.samples_path)) > 0
    assert read_meta(run_dir)["ended_at"]
    # the gate of what ran, for the pipeline, marked incomplete
    document = json.loads(gate.read_text())
    assert document["complete"] is False and document["exit_code"] == 130
    assert [c["rule"] for c in document["cells"]] == ["p95<10s"]
    assert document["cells"][0]["measured"] > 0


def test_locust_thresholds_gate_the_run(tmp_path: Path, mock_url: str) -> None:
    """Thresholds on a Locust run: its one level is c=<users>; a level it will not run is
    refused before Locust starts."""
    common = ("locust", "--users", "3", "--spawn-rate", "3", "--target", mock_url)
    result = bench(
        *common, "--run-time", "4s", "--runs-dir", str(tmp_path), "--no-report",
        "--threshold", "c=3:throughput>1", "--threshold", "get_account_profile:p95<10s",
        "--threshold", "p99<0.001ms", "--junit", str(tmp_path / "junit.xml"),
    )  # fmt: skip
    assert result.returncode == ExitCode.GATE_FAILED, result.stdout + result.stderr
    summary = read_summary(run_dir_from(result.stdout))
    outcomes = {r["rule"]: r["outcome"] for r in summary["gate"]["results"]}
    assert outcomes == {
        "c=3:throughput>1": "pass",
        "get_account_profile:p95<10s": "pass",
        "p99<0.001ms": "fail",
    }
    assert 'name="bench.py locust" tests="3" failures="1"' in (tmp_path / "junit.xml").read_text()
    result = bench(*common, "--threshold", "c=100:p95<1s", "--runs-dir", str(tmp_path / "no"))
    assert result.returncode == ExitCode.BAD_INPUT
    assert "this run has no level c=100; it has c=3" in result.stderr
    assert not (tmp_path / "no").exists()
