"""Bad input, a target that does not speak the contract, Ctrl-C, and a target that dies."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from fastapi import FastAPI

import bench as bench_cli
from drivers.exit_codes import ExitCode
from mock_service.launcher import launch
from results import load_samples
from tests._bench import bench, run_dir_from
from tests._live_server import free_port
from tests._mock_stats import api_requests
from tests._processes import BenchProcess, wait_until

LONG = """
name = "long"
[latency]
requests = 3000
warmup = 1
[throughput]
concurrency = [10]
duration_s = 30.0
warmup_s = 0.0
[data]
accounts = 8
"""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--pool", "max_conns=3"], "accepted keys: max_keepalive"),
        (
            ["run", "--pool", "transport=curl"],
            "transport must be one of lean, aiohttp, httpx, gevent",
        ),
        (["run", "--phases", "latency,warp"], "accepted: latency, throughput, pooling, batch"),
        (
            ["run", "--loop", "tokio"],
            "--loop: invalid choice: 'tokio' (choose from 'uvloop', 'asyncio')",
        ),
        (["run", "--rate", "-5"], "argument --rate: '-5': must be a finite number greater than 0"),
        (["locust", "--user-rate", "nan"], "argument --user-rate: 'nan': must be a finite number"),
        (["run", "--scenario", "/nowhere/x.toml"], "no scenario '/nowhere/x.toml'"),
        (["launch"], "invalid choice: 'launch'"),
    ],
)
def test_bad_flags_get_one_line_naming_the_problem(argv, expected, capsys) -> None:
    try:
        code = bench_cli.main(argv)
    except SystemExit as exited:  # argparse's own errors exit; ours return
        code = exited.code
    assert code == 2
    err = capsys.readouterr().err
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_invalid_scenario_file_names_the_key_and_accepted_ones(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[latency]\nrequets = 10\n")
    assert bench_cli.main(["run", "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown key latency.requets; accepted: requests, warmup" in err


def test_unreachable_target_is_one_clear_line(capsys, tmp_path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    runs = tmp_path / "runs"
    assert bench_cli.main(["run", "--target", url, "--quick", "--runs-dir", str(runs)]) == 4
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"bench.py run: --target {url} does not answer")
    assert not runs.exists() or not any(runs.iterdir()), "no empty run folder is left behind"


def test_target_that_does_not_speak_the_contract_stops_before_any_load(
    live_server, tmp_path
) -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "healthy"}

    url = live_server(app).url
    result = bench("run", "--quick", "--target", url, "--runs-dir", str(tmp_path), "--no-report")
    assert result.returncode == ExitCode.PREFLIGHT, result.stdout + result.stderr
    out = result.stdout
    assert "the target does not speak the contract" in out
    assert "  ensure_account: sent user_id and auth0_id 'hx-" in out
    assert "  list_accounts: sent page=1, page_size=5; came back HTTP 404" in out
    assert "no load was sent; no run folder kept" in out
    assert not any(tmp_path.iterdir()), "nothing was measured: no run folder is left behind"


def test_ctrl_c_keeps_what_was_measured(tmp_path) -> None:
    scenario = tmp_path / "long.toml"
    scenario.write_text(LONG)
    bench = BenchProcess(
        "run", "--scenario", str(scenario), "--profile", "fast",
        "--runs-dir", str(tmp_path / "runs"), "--no-report", "--no-pin",
        "--threshold", "p95<10s", "--junit", str(tmp_path / "junit.xml"),
    )  # fmt: skip
    try:
        bench.wait_for_line("latency: ", timeout=60)  # the first latency step has ended
        bench.proc.send_signal(signal.SIGINT)
        code = bench.wait(timeout=60)
    finally:
        bench.kill()
    out = bench.output
    assert code == 130, out
    run_dir = run_dir_from(out)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["complete"] is False and summary["cut_short"] == "interrupted (Ctrl-C)"
    samples = load_samples(run_dir)
    assert 3000 <= len(samples) < 3000 * 7  # the first step whole, not the whole latency phase
    assert summary["requests"] == len(samples)
    assert json.loads((run_dir / "meta.json").read_text())["complete"] is False
    assert "The run was cut short" in out and "interrupted (Ctrl-C). The tables" in out
    # the gate of the cells that ran, for the pipeline
    junit = (tmp_path / "junit.xml").read_text()
    assert 'tests="2" failures="0" errors="1"' in junit and "p95&lt;10s" in junit
    assert 'message="exit 130: interrupted (Ctrl-C)"' in junit


def test_target_dying_mid_run_is_reported_and_kept(tmp_path) -> None:
    scenario = tmp_path / "long.toml"
    scenario.write_text(LONG)
    with launch("fast", accounts=10) as url:
        bench = BenchProcess(
            "run", "--scenario", str(scenario), "--target", url,
            "--runs-dir", str(tmp_path), "--no-report", "--phases", "throughput",
        )  # fmt: skip
        try:
            bench.wait_for_line("set-up: ", timeout=60)  # the throughput phase comes next
            assert wait_until(lambda: api_requests(url) >= 300, timeout=60), bench.output
        except BaseException:
            bench.kill()
            raise
    # the mock is gone now; the run must notice, stop and keep what it measured
    try:
        code = bench.wait(timeout=90)
    finally:
        bench.kill()
    out = bench.output
    assert code == ExitCode.TARGET_FAILED, out
    run_dir = Path(run_dir_from(out))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["complete"] is False and "stopped answering" in summary["cut_short"]
    samples = load_samples(run_dir)
    assert (samples["error"] == "").sum() > 100
    assert (samples["error"] == "AccountTransportError").sum() >= 5


def test_open_loop_measures_from_the_intended_send_time(tmp_path) -> None:
    tiny = tmp_path / "tiny.toml"
    tiny.write_text("[latency]\nrequests = 5\nwarmup = 1\n[data]\naccounts = 8\n")
    result = bench(
        "run",
        "--scenario",
        str(tiny),
        "--phases",
        "latency",
        "--rate",
        "100",
        "--rate-duration",
        "2",
        "--profile",
        "fast",
        "--runs-dir",
        str(tmp_path),
        "--no-report",
        "--no-pin",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = run_dir_from(result.stdout)
    [row] = json.loads((run_dir / "summary.json").read_text())["open_loop"]
    assert (row["scheduled"], row["sent"], row["dropped"]) == (200, 200, 0)
    assert row["achieved_rate"] == pytest.approx(100, rel=0.05)
    assert row["response_p99_ms"] >= row["service_p99_ms"]
    samples = load_samples(run_dir)
    open_loop = samples[samples["phase"] == "open_loop"].sort_values("start_ns")
    gaps = open_loop["start_ns"].diff().dropna()
    assert gaps.median() == pytest.approx(10_000_000, rel=0.01)  # intended times: every 10 ms
    assert (open_loop["lag_ns"] >= 0).all()
    assert (open_loop["latency_ns"] >= open_loop["lag_ns"]).all()
