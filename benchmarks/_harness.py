"""Small shared helpers for benchmarks: free ports, pinned subprocesses, CPU time."""

from __future__ import annotations

import argparse
import os
import resource
import socket
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pin(cpu: int) -> None:
    """Pin this process to one core, when the machine has it."""
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


@contextmanager
def server_process(
    args: list[str], port: int, timeout: float = 20.0, *, ca_cert: str | None = None
) -> Iterator[str]:
    """Run ``python args...`` until ``/health`` (or ``/``) answers; yields the base URL.

    With ``ca_cert`` the server speaks https and is trusted through that CA alone.
    """
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT)
    url = f"{'https' if ca_cert else 'http'}://127.0.0.1:{port}"
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_cert) if ca_cert else True
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(url + "/health", timeout=1.0, verify=verify)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server {args} did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {sys.version.split()[0]}"


def ratio_table(
    loop: str,
    cells: dict[str, dict[str, list[dict[str, float]]]],
    contenders: tuple[str, ...],
    concurrency: tuple[int, ...],
    *,
    what: str = "contender",
) -> list[str]:
    """Markdown rows per contender and concurrency: medians over rounds, ratios to raw aiohttp.

    ``cells[name][str(concurrency)]`` holds one ``_measure`` result per round.
    """

    def med(name: str, c: int, key: str) -> float:
        return median([r[key] for r in cells[name][str(c)]])

    lines = [
        f"### Event loop: {loop}",
        "",
        f"| {what} | conc | req/s | CPU µs/req | p50 ms | p99 ms "
        "| req/s ÷ aiohttp | CPU ÷ aiohttp |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in contenders:
        for c in concurrency:
            rps, cpu = med(name, c, "rps"), med(name, c, "cpu_us")
            lines.append(
                f"| {name} | {c} | {rps:,.0f} | {cpu:,.0f} | {med(name, c, 'p50_ms'):.2f} "
                f"| {med(name, c, 'p99_ms'):.2f} | {rps / med('aiohttp_raw', c, 'rps'):.2f} "
                f"| {cpu / med('aiohttp_raw', c, 'cpu_us'):.2f} |"
            )
    return lines


def round_arguments(parser: argparse.ArgumentParser, requests_help: str = "per cell") -> None:
    """The flags every side-by-side client benchmark takes, and its child process's own."""
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help=requests_help)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 600 requests")
    parser.add_argument("--loops", default="asyncio,uvloop")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--loop", default="asyncio", help=argparse.SUPPRESS)
