"""``meta.json`` of a Locust run: what ran, where, with which versions and settings."""

from __future__ import annotations

import platform
import socket
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from client.retry import RetryPolicy
from client.settings import PoolSettings
from drivers.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("locust", "gevent", "geventhttpclient", "httpx", "httpcore", "aiohttp", "orjson")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def build_meta(
    *,
    command: str,
    target: str,
    embedded_mock: bool,
    mock_profile: str | None,
    pool: PoolSettings,
    retry: RetryPolicy,
    scenario: Scenario,
    locust: dict[str, Any],
) -> dict[str, Any]:
    """The shared keys of docs/run-format.md with ``kind: locust`` and the Locust settings."""
    import os

    return {
        "harness_version": _version("account-perf-harness") or "0.1.0",
        "git_commit": _git_commit(),
        "command": command,
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in PACKAGES},
        "host": {
            "cpu_count": os.cpu_count(),
            "cpu_model": _cpu_model(),
            "hostname": socket.gethostname(),
            "platform": platform.platform(),
        },
        "target": target,
        "embedded_mock": embedded_mock,
        "mock_profile": mock_profile,
        "pool": {**asdict(pool), "label": pool.label()},
        "retry": {
            k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(retry).items()
        },
        "scenario": scenario.to_dict(),
        "kind": "locust",
        "locust": locust,
        "started_at": now_iso(),
        "ended_at": None,
    }
