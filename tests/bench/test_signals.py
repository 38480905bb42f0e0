"""Stopped from outside: SIGTERM keeps what was measured like Ctrl-C; nothing outlives bench.py.

SIGTERM is what a CI job timeout, ``timeout`` or ``docker stop`` sends. Each
run here is a real ``bench.py run --quick`` on the embedded mock, signalled
once its latency phase has measured something (the phase's first progress
line), and killed in a ``finally`` whatever happens.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from results import load_samples
from tests._bench import run_dir_from
from tests._processes import BenchProcess, wait_gone

pytestmark = pytest.mark.slow


def _start_and_reach_latency(runs: Path) -> BenchProcess:
    bench = BenchProcess("run", "--quick", "--runs-dir", str(runs), "--no-report", "--no-pin")
    bench.wait_for_line("run folder: ", timeout=60)
    bench.wait_for_line("latency: ", timeout=60)  # printed when the first latency step ends
    return bench


def test_sigterm_keeps_what_was_measured_and_exits_143(tmp_path: Path) -> None:
    bench = _start_and_reach_latency(tmp_path)
    try:
        started = bench.descendants()
        assert started, "the embedded mock runs as a child of bench.py"
        bench.proc.send_signal(signal.SIGTERM)
        code = bench.wait(timeout=60)
        out = bench.output
        assert code == 143, out
        assert wait_gone(started) == [], "bench.py ended; so must everything it started"
    finally:
        bench.kill()
    run_dir = run_dir_from(out)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["complete"] is False
    assert summary["cut_short"] == "interrupted (SIGTERM)"
    samples = load_samples(run_dir)
    assert len(samples) > 0
    assert summary["requests"] == len(samples)
    assert set(samples["phase"]) >= {"latency"}
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["ended_at"] and meta["complete"] is False
    assert "The run was cut short" in out and "interrupted (SIGTERM). The tables" in out


def test_sigkill_leaves_no_process_behind(tmp_path: Path) -> None:
    bench = _start_and_reach_latency(tmp_path)
    try:
        started = bench.descendants()
        assert started
        bench.proc.send_signal(signal.SIGKILL)
        assert bench.wait(timeout=30) == -signal.SIGKILL
        survivors = wait_gone(started)
        assert survivors == [], f"outlived a SIGKILLed bench.py: {survivors}"
    finally:
        bench.kill()
