from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench(*args: str, timeout: float = 180, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``bench.py`` as a user would: a real process, real sockets."""
    return subprocess.run(
        [sys.executable, "bench.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def run_dir_from(stdout: str) -> Path:
    for line in reversed(stdout.splitlines()):
        if line.startswith("run folder: "):
            return ROOT / line.removeprefix("run folder: ").strip()
    raise AssertionError(f"no run folder in output:\n{stdout}")
