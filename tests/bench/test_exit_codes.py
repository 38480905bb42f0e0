"""Exit codes say whose problem it is: 2 bad input (one line naming it), 5 an I/O or internal
failure (one line with its cause; ``--debug`` adds the traceback); no engine is swapped behind
the user's back. The whole table, each code from a real process: tests/bench/test_gate.py."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bench as bench_cli
from mock_service import create_app
from tests._live_server import LiveServer

TINY = "[latency]\nrequests = 5\nwarmup = 1\n[data]\naccounts = 8\n"
HINT = "(bench.py --debug shows the traceback)"


@pytest.fixture
def mock_url(live_server: Callable[..., LiveServer]) -> str:
    return live_server(create_app("fast")).url


@pytest.fixture
def tiny_run(tmp_path: Path, mock_url: str) -> list[str]:
    """``bench.py run`` flags for a few requests against a real mock, minus --runs-dir."""
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY)
    return ["run", "--target", mock_url, "--scenario", str(scenario), "--phases", "latency"]


def _main(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, list[str]]:
    try:
        code = bench_cli.main(argv)
    except SystemExit as exited:  # argparse's own errors exit; ours return
        code = exited.code
    return code, capsys.readouterr().err.strip().splitlines()


def test_a_runs_dir_that_is_a_file_is_a_failure_named_in_one_line(
    tiny_run: list[str], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = tmp_path / "runs"
    runs.write_text("not a folder")
    code, err = _main([*tiny_run, "--runs-dir", str(runs), "--no-report"], capsys)
    assert code == 5
    assert err == [
        f"bench.py run: could not create a run folder under {runs}: [Errno {errno.EEXIST}] "
        f"{os.strerror(errno.EEXIST)} {HINT}"
    ]


@pytest.mark.parametrize("where", ["before the command", "after the command"])
def test_debug_shows_the_traceback_then_the_line(
    tiny_run: list[str], tmp_path: Path, capsys: pytest.CaptureFixture, where: str
) -> None:
    runs = tmp_path / "runs"
    runs.write_text("not a folder")
    argv = [*tiny_run, "--runs-dir", str(runs), "--no-report"]
    argv = ["--debug", *argv] if where == "before the command" else [*argv, "--debug"]
    code, err = _main(argv, capsys)
    assert code == 5
    assert err[0] == "Traceback (most recent call last):"
    assert any("new_run_dir" in line for line in err)
    assert err[-1].startswith("bench.py run: could not create a run folder under")
    assert HINT not in err[-1]


def test_a_full_disk_mid_run_names_the_file_and_the_cause(
    tiny_run: list[str], tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: Any
) -> None:
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if str(kwargs.get("prefix", "")).startswith(".samples.parquet"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), kwargs.get("dir"))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    runs = tmp_path / "runs"
    code, err = _main([*tiny_run, "--runs-dir", str(runs), "--no-report"], capsys)
    [run_dir] = runs.iterdir()
    assert code == 5
    assert err[-1] == (  # after the run's progress lines
        f"bench.py run: could not write {run_dir / 'samples.parquet'}: [Errno {errno.ENOSPC}] "
        f"{os.strerror(errno.ENOSPC)} {HINT}"
    )
    assert not any("Traceback" in line for line in err)
    assert (run_dir / "meta.json").exists() and not (run_dir / "samples.parquet").exists()
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")], "no half file left"


def test_an_internal_error_is_exit_5_named_and_scrubbed(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(args: Any) -> int:
        raise KeyError(f"pool for {args.token}")

    monkeypatch.setitem(bench_cli.COMMANDS, "run", broken)
    code, err = _main(["run", "--token", "s3cret-T0KEN"], capsys)
    assert code == 5
    assert err == [f"bench.py run: KeyError: 'pool for ***' {HINT}"]

    code, err = _main(["--debug", "run", "--token", "s3cret-T0KEN"], capsys)
    assert code == 5 and err[0].startswith("Traceback") and "KeyError" in err[-2]
    assert not any("s3cret-T0KEN" in line for line in err), "the traceback is scrubbed too"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--tls", "--target", "https://127.0.0.1:9"], "--tls starts the embedded mock"),
        (["run", "--client-key", "k.pem"], "--client-key needs --client-cert"),
        (["run", "--ca-cert", "/nowhere/ca.pem"], "ca_cert: no such file: /nowhere/ca.pem"),
        (["sweep", "--pool-grid", "max_connections"], "--pool-grid: 'max_connections' is not"),
        (["sweep", "--pool-grid", "max_conns=1,2"], "unknown pool setting 'max_conns=1'"),
        (["report", "/nowhere/run"], "/nowhere/run: not a run folder"),
        (["compare", "/nowhere/a", "/nowhere/b"], "/nowhere/a: not a run folder"),
        (["locust", "--run-time", "5 minutes"], "run_time takes e.g. 60s, 1m30s or 2h"),
        (
            ["run", "--pool", "transport=gevent"],
            "transport=gevent is for Locust's users (bench.py locust); "
            "bench.py's drivers run on lean, aiohttp, httpx",
        ),
    ],
)
def test_bad_input_is_exit_2_in_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture
) -> None:
    code, err = _main(argv, capsys)
    assert code == 2
    assert len(err) == 1 and expected in err[0], err
    assert HINT not in err[0]


@pytest.mark.parametrize("engine", ["lean", "aiohttp"])
def test_an_asyncio_engine_for_locust_is_refused_not_swapped(
    engine: str, capsys: pytest.CaptureFixture
) -> None:
    code, err = _main(["locust", "--pool", f"max_connections=5,transport={engine}"], capsys)
    assert code == 2
    assert err == [
        f"bench.py locust: argument --pool: transport={engine} is an asyncio engine; "
        "Locust users run on gevent or httpx (default: gevent) (see bench.py locust --help)"
    ]


@pytest.mark.parametrize(
    ("argv", "engine"),
    [
        (["locust"], "gevent"),
        (["locust", "--pool", "max_keepalive=5"], "gevent"),
        (["locust", "--pool", "transport=httpx"], "httpx"),
        (["run"], "lean"),
        (["run", "--pool", "transport=aiohttp"], "aiohttp"),
    ],
)
def test_the_engine_is_the_named_one_or_the_commands_default(argv: list[str], engine: str) -> None:
    assert bench_cli.build_parser().parse_args(argv).pool.transport == engine
