"""``bench.py locust`` keeps the token and URL credentials out of argv and the run folder.

Real Locust processes against token-protected mocks; while they run, every
process's command line on this machine is read (what ``ps`` shows), and at the
end every file of the run folder (Locust's logs, CSVs and ``locust.html``
included) is read back as bytes.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mock_service.launcher import launch
from tests._bench import ROOT, run_dir_from
from tests._secrets import assert_nowhere

pytestmark = pytest.mark.slow

TOKEN = "tok-Lc5mWq8Zt2"
PASSWORD = "pw-Hx4vR9k"
LOCUST = ["--users", "2", "--spawn-rate", "2", "--run-time", "4s", "--label", "secret"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ACCOUNT_SERVICE_TOKEN"}
    return {**env, **extra}


def _argv_holding(secret: str, spared: int) -> list[str]:
    """Command lines (but ``spared``'s, which was given the secret on purpose) that hold it."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if int(pid) != spared and secret.encode() in argv:
            found.append(argv.replace(b"\0", b" ").decode(errors="replace"))
    return found


def locust_run(*args: str, env: dict[str, str], secrets: tuple[str, ...]) -> tuple[Path, list[str]]:
    """``bench.py locust`` to its end, watching every process's argv for ``secrets``."""
    proc = subprocess.Popen(
        [sys.executable, "bench.py", "locust", *LOCUST, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    leaks: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            for secret in secrets:
                leaks += _argv_holding(secret, spared=proc.pid)
            time.sleep(0.1)
        output, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    return run_dir_from(output), leaks


def assert_users_were_let_in(run_dir: Path) -> None:
    with (run_dir / "locust_stats_final.csv").open(newline="") as f:
        total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
    assert int(total["Request Count"]) > 0 and int(total["Failure Count"]) == 0, total


def test_the_token_travels_by_environment_only(tmp_path: Path) -> None:
    """Embedded mock requiring the token; the token given to bench.py by environment."""
    run_dir, leaks = locust_run(
        "--runs-dir", str(tmp_path), env=_env(ACCOUNT_SERVICE_TOKEN=TOKEN), secrets=(TOKEN,)
    )
    assert leaks == []
    assert_users_were_let_in(run_dir)  # the mock refuses requests without the token
    assert_nowhere(run_dir, TOKEN)
    assert any(run_dir.glob("locust-*.log")) and (run_dir / "locust.html").exists()


def test_url_credentials_stay_out_of_locusts_host(tmp_path: Path) -> None:
    with launch("fast", accounts=50, require_token=TOKEN) as url:
        with_password = url.replace("://", f"://reader:{PASSWORD}@", 1)
        run_dir, leaks = locust_run(
            "--target", with_password, "--token", TOKEN, "--runs-dir", str(tmp_path),
            env=_env(), secrets=(TOKEN, PASSWORD),
        )  # fmt: skip
    assert leaks == []  # bench.py itself was given both on purpose; no other process holds them
    assert_users_were_let_in(run_dir)
    for secret in (TOKEN, PASSWORD):
        assert_nowhere(run_dir, secret)
    assert url in (run_dir / "locust.html").read_text(encoding="utf-8")  # the host, bare


def test_the_locustfile_reads_credentials_from_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What plain ``locust -f locustfiles/account_service.py`` users set, too."""
    from locustfiles.options import USERINFO_ENV, resolve
    from results.redaction import clear_secrets, scrub

    monkeypatch.setenv("ACCOUNT_SERVICE_TOKEN", f" {TOKEN} ")
    monkeypatch.setenv(USERINFO_ENV, f"reader:{PASSWORD}")
    try:
        settings = resolve(None)
        assert settings.token == TOKEN
        assert TOKEN not in repr(settings) and PASSWORD not in repr(settings)
        assert settings.client_url("http://h:1") == f"http://reader:{PASSWORD}@h:1"
        assert settings.client_url("http://u:own@h:1") == "http://u:own@h:1"  # --host's own wins
        assert scrub(f"{TOKEN} {PASSWORD}") == "*** ***"  # this process's writes are scrubbed
    finally:
        clear_secrets()
    monkeypatch.delenv("ACCOUNT_SERVICE_TOKEN")
    monkeypatch.delenv(USERINFO_ENV)
    bare = resolve(None)
    assert bare.token is None and bare.client_url("http://h:1") == "http://h:1"
