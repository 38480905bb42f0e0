"""``bench.py locust`` stopped from outside: SIGTERM keeps Locust's reports; SIGKILL leaves no one.

Each run is a real ``bench.py locust`` on the embedded mock with a 60 s
``--run-time`` that the signal cuts short once Locust says all its users run;
whatever happens, the ``finally`` kills what is left.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests._processes import BenchProcess, wait_for_locust_users, wait_gone

pytestmark = pytest.mark.slow


def _start_and_reach_users(runs: Path, *extra: str) -> tuple[BenchProcess, Path]:
    """Start the run and wait for Locust's own "All users spawned" line in its log."""
    bench = BenchProcess(
        "locust", "--users", "2", "--spawn-rate", "2", "--run-time", "60s",
        "--runs-dir", str(runs), "--no-report", *extra,
    )  # fmt: skip
    try:
        return bench, wait_for_locust_users(bench, runs)
    except BaseException:
        bench.kill()
        raise


def test_sigterm_stops_locust_keeps_its_reports_and_exits_143(tmp_path: Path) -> None:
    bench, run_dir = _start_and_reach_users(tmp_path)
    try:
        started = bench.descendants()
        assert len(started) >= 2, "the embedded mock and Locust run as children of bench.py"
        bench.proc.send_signal(signal.SIGTERM)
        code = bench.wait(timeout=60)
        assert code == 143, bench.output
        assert wait_gone(started) == []
    finally:
        bench.kill()
    assert (run_dir / "locust_stats.csv").stat().st_size > 0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["complete"] is False
    assert summary["cut_short"].startswith("interrupted (SIGTERM) after ")
    notice = [f for f in summary["findings"] if f["id"] == "notices.cut_short"]
    assert notice and notice[0]["evidence"]["figures"]["reason"] == summary["cut_short"]
    assert json.loads((run_dir / "meta.json").read_text())["ended_at"]
    assert f"run folder: {run_dir} (interrupted (SIGTERM))" in bench.output


def test_sigkill_leaves_no_locust_process_or_mock(tmp_path: Path) -> None:
    bench, _ = _start_and_reach_users(tmp_path, "--processes", "2")
    try:
        started = bench.descendants()
        assert len(started) >= 4, "the mock, the Locust master and two workers"
        bench.proc.send_signal(signal.SIGKILL)
        assert bench.wait(timeout=30) == -signal.SIGKILL
        survivors = wait_gone(started, timeout=30)
        assert survivors == [], f"outlived a SIGKILLed bench.py: {survivors}"
    finally:
        bench.kill()
