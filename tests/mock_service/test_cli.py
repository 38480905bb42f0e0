"""``python -m mock_service`` as a real subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mock_service.certs import temporary_tls
from mock_service.cli import TOKEN_ENV

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^mock_service listening on (https?://127\.0\.0\.1:(\d+)) \(profile=(\w+), accounts=(\d+)\)$"
)


def test_cli_port_zero_prints_url_and_serves() -> None:
    cmd = [sys.executable, "-m", "mock_service", "--host", "127.0.0.1", "--port", "0"]
    cmd += ["--profile", "seed", "--accounts", "25", "--seed", "3", "--require-token", "tok"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().rstrip("\n")
        match = LINE.match(line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
        url, port, profile, accounts = match.groups()
        assert int(port) > 0
        assert (profile, accounts) == ("seed", "25")
        health = httpx.get(url + "/health", timeout=5).json()
        assert health["port"] == int(port)
        assert health["service"] == "account_service"
        stats = httpx.get(
            url + "/api/v1/accounts/stats", headers={"Authorization": "Bearer tok"}, timeout=5
        ).json()
        assert stats["total_accounts"] == 25
        assert httpx.get(url + "/api/v1/accounts/stats", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """``python -m mock_service --port 0 ARGS``: the process and the URL from its ready line."""
    cmd = [sys.executable, "-m", "mock_service", "--host", "127.0.0.1", "--port", "0", *args]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().rstrip("\n")
    match = LINE.match(line)
    if match is None:
        proc.kill()
        raise AssertionError((line, proc.communicate()[1]))
    return proc, match.group(1)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.communicate(timeout=10)


def test_cli_serves_https_with_tls_cert_and_key() -> None:
    with temporary_tls() as tls:
        proc, url = start("--tls-cert", str(tls.cert), "--tls-key", str(tls.key))
        try:
            assert url.startswith("https://127.0.0.1:")
            with httpx.Client(verify=tls.client_context(), timeout=5) as client:
                assert client.get(url + "/health").json()["status"] == "healthy"
        finally:
            stop(proc)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--tls-cert", "cert.pem"], "give both or neither"),
        (["--tls-key", "key.pem"], "give both or neither"),
        (["--tls-cert", "missing.pem", "--tls-key", "missing.pem"], "cannot use --tls-cert"),
    ],
)
def test_cli_refuses_incomplete_tls_settings(args: list[str], complaint: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mock_service", "--port", "0", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert complaint in done.stderr
    assert done.stdout == ""


def test_cli_takes_the_token_from_the_environment() -> None:
    proc, url = start(env={**os.environ, TOKEN_ENV: "from-env"})
    try:
        stats = url + "/api/v1/accounts/stats"
        assert httpx.get(stats, timeout=5).status_code == 401
        ok = httpx.get(stats, headers={"Authorization": "Bearer from-env"}, timeout=5)
        assert ok.status_code == 200
    finally:
        stop(proc)


def test_cli_exits_cleanly_when_stdin_closes_with_exit_on_stdin_eof() -> None:
    proc, url = start("--exit-on-stdin-eof")
    try:
        assert httpx.get(url + "/health", timeout=5).status_code == 200
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0  # a graceful shutdown, not the hard fallback
    finally:
        if proc.poll() is None:
            stop(proc)
