"""meta.json: everything needed to know what a run measured, and with what."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "httpx",
    "httpcore",
    "aiohttp",
    "uvloop",
    "orjson",
    "fastapi",
    "uvicorn",
    "starlette",
    "pydantic",
    "locust",
    "geventhttpclient",
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
)
ROOT = Path(__file__).resolve().parent.parent


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_commit() -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("-dirty" if dirty else "")) or None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def host_info() -> dict[str, Any]:
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "hostname": socket.gethostname(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "driver_cpus": affinity,
    }


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def base_meta(kind: str, **fields: Any) -> dict[str, Any]:
    """The common part of every run's meta.json; ``fields`` adds the run's own."""
    try:
        version = metadata.version("account-perf-harness")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "kind": kind,
        "harness_version": version,
        "git_commit": git_commit(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "python": platform.python_version(),
        "packages": package_versions(),
        "host": host_info(),
        "started_at": now_iso(),
        "ended_at": None,
        **fields,
    }
