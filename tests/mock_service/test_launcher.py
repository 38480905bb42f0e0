"""``mock_service.launcher.launch`` with real processes: lifetime, token handling, TLS."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from mock_service.certs import TlsFiles, temporary_tls
from mock_service.cli import TOKEN_ENV
from mock_service.launcher import MockStartError, launch
from tests._processes import wait_gone

ROOT = Path(__file__).resolve().parents[2]

# A launcher to SIGKILL: starts the mock from its main thread or a worker thread (where
# PR_SET_PDEATHSIG is not used and the stdin lifeline alone must end the mock).
PARENT = """
import sys, threading, time
import psutil
from mock_service.launcher import launch

def run():
    with launch("fast", accounts=0) as url:
        (mock,) = psutil.Process().children()
        print(url, mock.pid, flush=True)
        time.sleep(600)

if sys.argv[1] == "main":
    run()
else:
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
"""


@pytest.mark.parametrize("thread", ["main", "worker"])
def test_the_mock_dies_with_a_sigkilled_launcher(thread: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, thread], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    mock: psutil.Process | None = None
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        url, pid = line.split()
        mock = psutil.Process(int(pid))
        assert ("--exit-with-parent" in mock.cmdline()) == (thread == "main")
        assert httpx.get(url + "/health", timeout=5).status_code == 200

        parent.kill()
        parent.wait()

        assert wait_gone([mock]) == [], f"mock {pid} outlived its SIGKILLed launcher"
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/health", timeout=5)
    finally:
        parent.kill()
        parent.wait()
        if mock is not None and mock.is_running():
            mock.kill()


def test_the_mock_stops_on_sigterm() -> None:
    with launch("fast", accounts=0) as url:
        (mock,) = psutil.Process().children()
        mock.send_signal(signal.SIGTERM)
        assert wait_gone([mock]) == []
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/health", timeout=5)


def test_the_token_travels_in_the_environment_not_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "launcher-token-7f3a"
    with launch("fast", accounts=3, require_token=token) as url:
        (mock,) = psutil.Process().children()
        assert not any(token in arg for arg in mock.cmdline())
        stats = f"{url}/api/v1/accounts/stats"
        assert httpx.get(stats, timeout=5).status_code == 401
        authorized = httpx.get(stats, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert authorized.json()["total_accounts"] == 3
    # a token in the launcher's own environment must not switch auth on for its mocks
    monkeypatch.setenv(TOKEN_ENV, token)
    with launch("fast", accounts=0) as url:
        assert httpx.get(f"{url}/api/v1/accounts/stats", timeout=5).status_code == 200


def test_launch_with_tls_serves_https_trusting_only_the_throwaway_ca() -> None:
    with temporary_tls() as tls, launch("fast", accounts=2, tls=tls) as url:
        assert url.startswith("https://127.0.0.1:")
        with httpx.Client(verify=tls.client_context(), timeout=5) as client:
            assert client.get(url + "/api/v1/accounts/stats").json()["total_accounts"] == 2
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(url + "/health", timeout=5)  # the system trust store knows nothing of it
        with pytest.raises(httpx.TransportError):
            httpx.get(url.replace("https://", "http://") + "/health", timeout=5)


def mocks_running() -> list[psutil.Process]:
    return [p for p in psutil.Process().children() if "mock_service" in p.cmdline()]


def test_launch_reports_a_mock_that_cannot_start() -> None:
    with temporary_tls() as tls:
        no_key = TlsFiles(ca_cert=tls.ca_cert, cert=tls.cert, key=tls.ca_cert)
        with pytest.raises(MockStartError, match="--tls-key"), launch("fast", tls=no_key):
            pass
    assert mocks_running() == []
