"""Start the mock in its own process, for drivers that must not share its CPU or GIL.

``with launch(profile="seed", accounts=1000) as url:`` runs ``python -m
mock_service --port 0``, reads the URL from its ready line, waits until
``/health`` answers, and stops the process when the block ends. With
``tls=`` (``mock_service.certs``) the mock serves https and readiness is
checked over https, trusting that CA only.

The mock never outlives its launcher: it holds the launcher's end of a pipe
on stdin and shuts down when that closes (see ``lifeline``). The token goes
through the environment, never the command line that ``ps`` and logs show.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx

from mock_service.certs import TlsFiles
from mock_service.cli import TOKEN_ENV

_READY = re.compile(r"listening on (https?://\S+)")


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
    tls: TlsFiles | None = None,
) -> Iterator[str]:
    """Run the mock on 127.0.0.1 and a free port; yields its base URL (https with ``tls``)."""
    cmd = [sys.executable, "-m", "mock_service", "--host", "127.0.0.1", "--port", "0"]
    cmd += ["--profile", profile, "--accounts", str(accounts), "--seed", str(seed)]
    cmd += ["--exit-on-stdin-eof"]
    # PR_SET_PDEATHSIG fires when the forking *thread* ends; only the main thread lives
    # as long as this process, so from any other thread rely on the stdin pipe alone.
    if threading.current_thread() is threading.main_thread():
        cmd += ["--exit-with-parent", str(os.getpid())]
    verify = None
    if tls is not None:
        cmd += ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
        verify = tls.client_context()
    env = {key: value for key, value in os.environ.items() if key != TOKEN_ENV}
    if require_token:
        env[TOKEN_ENV] = require_token
    # a file, not a pipe, so a chatty mock can never block on a full buffer
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,  # the lifeline: never written, closed by the kernel if we die
        stdout=subprocess.PIPE,
        stderr=errors,
        env=env,
        text=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
    )
    try:
        url = _wait_ready(proc, errors, timeout, verify)
        yield url
    finally:
        errors.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()


def _wait_ready(
    proc: subprocess.Popen[str], errors: IO[str], timeout: float, verify: ssl.SSLContext | None
) -> str:
    found: list[str] = []
    assert proc.stdout is not None  # started with stdout=PIPE
    stdout = proc.stdout
    reader = threading.Thread(target=lambda: found.append(stdout.readline()), daemon=True)
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
    with httpx.Client(verify=verify if verify is not None else True, timeout=1.0) as client:
        while True:
            try:
                if client.get(url + "/health").status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise MockStartError(f"mock_service at {url} never answered /health")
            time.sleep(0.05)
