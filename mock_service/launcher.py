"""Start the mock in its own process, for drivers that must not share its CPU or GIL.

``with launch(profile="seed", accounts=1000) as url:`` runs ``python -m
mock_service --port 0``, reads the URL from its ready line, waits until
``/health`` answers, and stops the process when the block ends.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx

_READY = re.compile(r"listening on (http://\S+)")


class MockStartError(RuntimeError):
    """The mock process exited or did not become ready in time."""


@contextmanager
def launch(
    profile: str = "seed",
    *,
    accounts: int = 1000,
    seed: int = 42,
    require_token: str | None = None,
    cpu: int | None = None,
    timeout: float = 30.0,
) -> Iterator[str]:
    """Run the mock on 127.0.0.1 and a free port; yields its base URL."""
    cmd = [sys.executable, "-m", "mock_service", "--host", "127.0.0.1", "--port", "0"]
    cmd += ["--profile", profile, "--accounts", str(accounts), "--seed", str(seed)]
    if require_token:
        cmd += ["--require-token", require_token]
    # a file, not a pipe, so a chatty mock can never block on a full buffer
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
    )
    try:
        url = _wait_ready(proc, errors, timeout)
        yield url
    finally:
        errors.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[str], errors: IO[str], timeout: float) -> str:
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    match = _READY.search(found[0]) if found else None
    if match is None:
        proc.kill()
        proc.wait()
        errors.seek(0)
        err = errors.read()
        raise MockStartError(f"mock_service did not start: {err.strip()[-500:] or 'no output'}")
    url = match.group(1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise MockStartError(f"mock_service at {url} never answered /health")
        time.sleep(0.05)
