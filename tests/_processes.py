"""Real processes in tests: ``bench.py``'s output as it comes, what it started, and its end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def _ctrl_c_as_at_a_terminal() -> None:
    # A shell starts background jobs (CI runners, `make test &`) with SIGINT ignored, and
    # the child would inherit that: the Ctrl-C tests would then test nothing.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class BenchProcess:
    """``python bench.py ARGS`` with stdout and stderr merged and read line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "bench.py", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_ctrl_c_as_at_a_terminal,
        )
        self.lines: list[str] = []
        self.seen: list[psutil.Process] = []  # every descendant ever listed, for kill()
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()  # end of output: wake waiters so they fail fast

    @property
    def output(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_for_line(self, contains: str, timeout: float) -> str:
        """The first output line containing ``contains``; fails if the process ends first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in self.lines if contains in line), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                ended = not self._reader.is_alive()
                assert not ended and left > 0, f"no line with {contains!r}:\n{''.join(self.lines)}"
                self._changed.wait(left)

    def descendants(self) -> list[psutil.Process]:
        found = psutil.Process(self.proc.pid).children(recursive=True)
        self.seen += [p for p in found if p not in self.seen]
        return found

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        """For a ``finally``: whatever the test saw, nothing it started keeps running."""
        if self.proc.poll() is None:
            self.descendants()
            self.proc.kill()
            self.proc.wait()
        kill_all(self.seen)


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``check`` until it holds or ``timeout`` passes; for events with no line to read."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def wait_for_locust_users(bench: BenchProcess, runs: Path, timeout: float = 90.0) -> Path:
    """Wait for Locust's own "All users spawned" line in its log under ``runs``; the run folder.

    ``bench.py locust`` prints nothing when its users run: Locust's log is the readiness line.
    """
    found: list[Path] = []

    def users_running() -> bool:
        assert bench.proc.poll() is None, bench.output
        found[:] = [*runs.glob("*/locust-locust.log"), *runs.glob("*/locust-master.log")]
        return bool(found) and "All users spawned" in found[0].read_text(errors="replace")

    assert wait_until(users_running, timeout), f"Locust's users never ran:\n{bench.output}"
    return found[0].parent


def alive(processes: Iterable[psutil.Process]) -> list[psutil.Process]:
    """The ones still running; a zombie has ended (a container's init may never reap it)."""
    running = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                running.append(proc)
        except psutil.NoSuchProcess:
            pass
    return running


def wait_gone(processes: list[psutil.Process], timeout: float = 20.0) -> list[psutil.Process]:
    """Wait for every process to end; returns those still alive at ``timeout``."""
    wait_until(lambda: not alive(processes), timeout)
    return alive(processes)


def kill_all(processes: Iterable[psutil.Process]) -> None:
    for proc in alive(processes):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
