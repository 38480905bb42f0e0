"""``bench.py`` over https, end to end: the embedded mock on TLS, and an https --target.

The whole path runs on loopback with a throwaway CA: the client's TLS, the
drivers, the pooling table (where a new connection now includes a real
handshake), the report header, and the errors a user meets first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_service.certs import temporary_tls
from mock_service.launcher import launch
from results import load_samples
from tests._bench import bench, run_dir_from


def test_quick_run_over_tls_on_the_embedded_mock(tmp_path: Path) -> None:
    result = bench(
        "run", "--quick", "--tls", "--profile", "fast", "--phases", "latency,pooling",
        "--no-pin", "--runs-dir", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = run_dir_from(result.stdout)
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["target"].startswith("https://127.0.0.1:")
    assert meta["tls"]["verify"] is True and meta["tls"]["throwaway_ca"] is True
    # the fast profile injects no connection cost: what a new connection costs here is TLS
    samples = load_samples(run_dir)
    pooling = samples[(samples["phase"] == "pooling") & (samples["error"] == "")]
    new = pooling[pooling["new_connection"] == 1]["connect_ns"]
    reused = pooling[pooling["new_connection"] == 0]["connect_ns"]
    assert len(new) >= 10 and len(reused) >= 5
    assert new.median() > 3 * reused.median(), "a new TLS connection costs a handshake"
    report = (run_dir / "report.md").read_text()
    assert "verified against a throwaway test CA" in report


@pytest.fixture(scope="module")
def https_mock() -> Iterator[tuple[str, Path]]:
    """A TLS mock whose CA nobody trusts by default; yields (url, CA file)."""
    with temporary_tls() as files, launch("fast", accounts=0, tls=files) as url:
        yield url, files.ca_cert


def test_an_untrusted_certificate_is_one_line_naming_ca_cert(https_mock, tmp_path) -> None:
    url, _ = https_mock
    result = bench("run", "--quick", "--target", url, "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not be verified" in lines[0] and "--ca-cert" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_ca_cert_trusts_a_private_ca(https_mock, tmp_path) -> None:
    url, ca = https_mock
    result = bench(
        "run", "--target", url, "--ca-cert", str(ca), "--phases", "none", "--scenario", "quick",
        "--no-report", "--runs-dir", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    meta = json.loads((run_dir_from(result.stdout) / "meta.json").read_text())
    assert meta["tls"] == {
        "verify": True,
        "ca_cert": str(ca),
        "client_certificate": False,
        "throwaway_ca": False,
    }
    assert "WARNING" not in result.stdout


def test_insecure_runs_and_says_so_in_the_terminal_and_the_report(https_mock, tmp_path) -> None:
    url, _ = https_mock
    result = bench(
        "run", "--target", url, "--insecure", "--phases", "latency", "--scenario", "quick",
        "--runs-dir", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TLS certificate verification is OFF (--insecure)" in result.stdout
    run_dir = run_dir_from(result.stdout)
    assert json.loads((run_dir / "meta.json").read_text())["tls"]["verify"] is False
    for name in ("report.md", "report.html"):
        text = (run_dir / name).read_text()
        assert "NOT verified (--insecure)" in text, name
        assert "verification was" in text and "off" in text, name
