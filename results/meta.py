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

from results.redaction import MASK, redact_argv, redact_url, register_secret, register_url
from results.run_format import FORMAT_VERSION

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


def auth_summary(token: str | None, target: str | None) -> str | None:
    """How requests were authenticated, with the credential masked (None: not at all)."""
    if token:
        return f"bearer token {MASK}"
    if target and redact_url(target) != target:
        return f"basic, from the URL's userinfo {MASK}"
    return None


def _masked_key(pool: dict[str, Any]) -> dict[str, Any]:
    """Where the client's private key lives is nobody's business but this machine's."""
    return {**pool, "client_key": MASK} if pool.get("client_key") else pool


def base_meta(kind: str, *, token: str | None = None, **fields: Any) -> dict[str, Any]:
    """The common part of every run's meta.json; ``fields`` adds the run's own.

    ``format_version`` (:mod:`results.run_format`) is set here, for every writer.

    The recorded command line and ``target`` are redacted here, whoever passes them:
    meta.json is the file most often attached to a review. ``token`` is never
    recorded, only that one was used (``auth``), wherever it came from; it and the
    target's password are registered for :func:`results.redaction.scrub` too.
    """
    register_secret(token)
    register_url(fields.get("target"))
    try:
        version = metadata.version("account-perf-harness")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "harness_version": version,
        "git_commit": git_commit(),
        "command": " ".join([Path(sys.argv[0]).name, *redact_argv(sys.argv[1:])]),
        "python": platform.python_version(),
        "packages": package_versions(),
        "host": host_info(),
        "started_at": now_iso(),
        "ended_at": None,
        **fields,
        **({"target": redact_url(fields["target"])} if fields.get("target") else {}),
        **({"pool": _masked_key(fields["pool"])} if isinstance(fields.get("pool"), dict) else {}),
        "auth": auth_summary(token, fields.get("target")),
    }
