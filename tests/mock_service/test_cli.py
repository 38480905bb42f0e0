"""``python -m mock_service`` as a real subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^mock_service listening on (http://127\.0\.0\.1:(\d+)) \(profile=(\w+), accounts=(\d+)\)$"
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
