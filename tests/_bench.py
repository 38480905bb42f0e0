"""``bench.py`` as a user runs it: a real process, real sockets, the run folder it names.

Shared by the end-to-end tests of every folder (bench, locust, workload,
reports, mock_service), so it lives here rather than in one folder's conftest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

#: the repository root: ``bench.py`` runs from here and run folders are named relative to it
ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str, timeout: float = 180, **kwargs: Any) -> subprocess.CompletedProcess[str]:
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
    """The run folder ``bench.py`` printed last (``run folder: ...``), as an absolute path."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("run folder: "):
            return ROOT / line.removeprefix("run folder: ").strip()
    raise AssertionError(f"no run folder in output:\n{stdout}")
