"""Secrets never reach a run folder: real ``bench.py`` runs, every file read back as bytes.

A token-protected embedded mock is measured with the token from ``--token``,
``--token-file`` and ``ACCOUNT_SERVICE_TOKEN``; a target with ``user:password@``
in its URL; and a URL with a password that does not answer at all.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mock_service.launcher import launch
from results import load_samples
from tests._bench import ROOT, bench, run_dir_from
from tests._secrets import assert_nowhere

TOKEN = "tok-9fQ2xLr7vB"
PASSWORD = "s3cretpw"
#: the latency phase, shortened: the subject is what lands on disk, not the figures
TINY = """name = "tiny"
[latency]
requests = 4
warmup = 1
[data]
accounts = 8
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


def run(tiny: Path, runs: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a run without waiting: the three token sources measure side by side."""
    flags = ["--scenario", str(tiny), "--phases", "latency", "--no-pin", "--runs-dir", str(runs)]
    return subprocess.Popen(
        [sys.executable, "bench.py", "run", *flags, *args],
        cwd=ROOT,
        env={**without_token_env(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def without_token_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ACCOUNT_SERVICE_TOKEN"}


@pytest.fixture(scope="module")
def token_runs(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    runs = tmp_path_factory.mktemp("runs")
    token_file = tmp_path_factory.mktemp("secret") / "token"
    token_file.write_text(f"  {TOKEN}  \nsecond line is ignored\n", encoding="utf-8")
    procs = {
        "flag": run(tiny, runs, "--label", "flag", "--token", TOKEN),
        "file": run(tiny, runs, "--label", "file", "--token-file", str(token_file)),
        "env": run(tiny, runs, "--label", "env", env={"ACCOUNT_SERVICE_TOKEN": TOKEN}),
    }
    results = {}
    try:
        for source, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=240)
            assert proc.returncode == 0, f"{source}:\n{stdout}\n{stderr}"
            results[source] = {"stdout": stdout, "stderr": stderr, "dir": run_dir_from(stdout)}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


@pytest.mark.parametrize("source", ["flag", "file", "env"])
def test_a_token_from_any_source_reaches_no_file(token_runs: dict[str, dict], source: str) -> None:
    result = token_runs[source]
    run_dir: Path = result["dir"]
    assert_nowhere(run_dir, TOKEN)
    assert TOKEN not in result["stdout"] + result["stderr"]
    # the mock required the token: every request was answered, none refused
    samples = load_samples(run_dir)
    assert len(samples) > 0 and set(samples["status"]) <= {200, 201}
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["auth"] == "bearer token ***"
    report = (run_dir / "report.md").read_text()
    assert "bearer token ***" in report
    if source == "flag":
        assert "--token ***" in meta["command"] and "--token ***" in report
    if source == "file":
        assert "--token-file" in meta["command"]


def test_a_protected_mock_refuses_a_run_without_the_token(tiny: Path, tmp_path: Path) -> None:
    """The control for the test above: without the token, the same mock answers 401."""
    with launch("fast", accounts=10, require_token=TOKEN) as url:
        result = bench(
            "run", "--scenario", str(tiny), "--phases", "latency", "--target", url,
            "--no-pin", "--no-report", "--runs-dir", str(tmp_path),
            env=without_token_env(),
        )  # fmt: skip
    assert result.returncode != 0 and "HTTP 401" in result.stdout + result.stderr


def test_a_password_in_the_target_url_reaches_no_file(tiny: Path, tmp_path: Path) -> None:
    with launch("fast", accounts=10) as url:  # the mock ignores Basic auth
        with_password = url.replace("://", f"://reader:{PASSWORD}@", 1)
        result = bench(
            "run", "--scenario", str(tiny), "--phases", "latency", "--target", with_password,
            "--no-pin", "--runs-dir", str(tmp_path), env=without_token_env(),
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    run_dir = run_dir_from(result.stdout)
    assert_nowhere(run_dir, PASSWORD)
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["target"] == url.replace("://", "://***@", 1)
    assert meta["auth"].startswith("basic")


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_target_is_reported_without_its_password(closed_port: int) -> None:
    result = bench("run", "--target", f"http://user:pw@127.0.0.1:{closed_port}", "--no-pin")
    assert result.returncode == 4, result.stdout + result.stderr  # could not be measured
    assert f"127.0.0.1:{closed_port}" in result.stderr
    assert "pw" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("content", "says"), [(None, "cannot read"), ("\n\nT\n", "first line is empty")]
)
def test_a_bad_token_file_is_one_line_naming_the_flag(
    tmp_path: Path, content: str | None, says: str
) -> None:
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = bench("run", "--token-file", str(path), "--no-pin")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--token-file" in lines[0] and says in lines[0], result.stderr


def test_token_and_token_file_exclude_each_other(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("T\n", encoding="utf-8")
    result = bench("run", "--token", "T", "--token-file", str(path))
    assert result.returncode == 2 and "not allowed with" in result.stderr
