"""Synthetic run folders in the exact run-folder format, for tests and the speed benchmark.

Runs are built column-wise with numpy and written with the schema of
``results.schema`` (what ``SampleBuffer.to_arrow`` produces) and
``RunFolder`` for the JSON files, so a million samples take a second.
Throughput follows the Universal Scalability Law with known coefficients,
latencies are lognormal around the seed's published percentiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from results import RunFolder
from results.run_format import FORMAT_VERSION
from results.schema import SCHEMA

#: seed medians (ms) per operation; the others get 10 ms
MEDIAN_MS = {
    "get_account_profile": 12.0,
    "ensure_account": 18.0,
    "update_account_profile": 15.0,
    "update_account_preferences": 14.0,
    "list_accounts": 22.0,
    "search_accounts": 20.0,
    "get_account_by_email": 10.0,
    "change_account_status": 10.0,
    "delete_account": 10.0,
}
LATENCY_OPS = tuple(list(MEDIAN_MS)[:7])
WEIGHTS = {
    "get_account_profile": 40,
    "search_accounts": 12,
    "list_accounts": 10,
    "get_account_by_email": 10,
    "ensure_account": 10,
    "update_account_preferences": 8,
    "update_account_profile": 7,
    "change_account_status": 2,
    "delete_account": 1,
}
SIGMA_LOG = 0.5  # lognormal shape: p99/p50 ~ 3.2, like the seed's rows
POOL = "aiohttp/pooled/k20/c100"


def usl(n: np.ndarray | float, sigma: float, kappa: float, lam: float) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))


@dataclass(frozen=True)
class Spec:
    """What to generate; every field has a realistic default."""

    kind: str = "run"
    seed: int = 1
    latency_requests: int = 400
    levels: Sequence[int] = (1, 10, 50, 100)
    duration_s: float = 4.0
    usl: tuple[float, float, float] = (0.05, 0.0002, 55.0)  # sigma, kappa, lambda
    slowdown: float = 1.0  # multiplies every latency (and divides throughput)
    error_rate: float = 0.0
    pooling_requests: int = 40
    batch_count: int = 100
    open_loop_rate: float = 0.0
    sweep_pools: dict[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "aiohttp/pooled/k10/c10": (0.08, 0.004, 55.0),
            "aiohttp/pooled/k20/c100": (0.05, 0.0002, 55.0),
            "httpx/pooled/k20/c100": (0.09, 0.0003, 50.0),
        }
    )
    locust_stages: Sequence[tuple[int, float]] = ((10, 4.0), (50, 4.0), (100, 4.0))
    profile: str = "seed"
    complete: bool = True
    saturated_steps: Sequence[str] = ()


class _Columns:
    """Accumulates column chunks; categorical values are kept as strings until the end."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(
        self,
        *,
        phase: str,
        step: str | np.ndarray,
        concurrency: int | np.ndarray,
        operation: str | np.ndarray,
        start_ns: np.ndarray,
        latency_ns: np.ndarray,
        pool: str = POOL,
        error_rate: float = 0.0,
        lag_ns: np.ndarray | None = None,
        new_connection: np.ndarray | None = None,
        worker: np.ndarray | int = 0,
    ) -> None:
        n = len(start_ns)
        rng = self.rng
        latency_ns = latency_ns.astype(np.int64)
        lag = np.zeros(n, np.int64) if lag_ns is None else lag_ns.astype(np.int64)
        service = latency_ns - lag
        new = np.zeros(n, np.int8) if new_connection is None else new_connection.astype(np.int8)
        connect = (service * np.where(new == 1, 0.3, 0.03)).astype(np.int64)
        send = (service * 0.02).astype(np.int64)
        wait = (service * 0.8).astype(np.int64)
        receive = (service * rng.uniform(0.05, 0.1, n)).astype(np.int64)
        failed = rng.random(n) < error_rate
        errors = np.where(
            failed,
            np.where(rng.random(n) < 0.7, "AccountTimeoutError", "AccountServerError"),
            "",
        )
        status = np.where(failed, np.where(errors == "AccountServerError", 503, 0), 200)
        self.chunks.append(
            {
                "phase": np.full(n, phase, dtype=object),
                "step": np.broadcast_to(np.asarray(step, dtype=object), (n,)),
                "concurrency": np.broadcast_to(np.asarray(concurrency), (n,)).astype(np.uint16),
                "pool": np.full(n, pool, dtype=object),
                "operation": np.broadcast_to(np.asarray(operation, dtype=object), (n,)),
                "worker": np.broadcast_to(np.asarray(worker), (n,)).astype(np.uint16),
                "start_ns": start_ns.astype(np.int64),
                "latency_ns": latency_ns,
                "lag_ns": lag,
                "status": status.astype(np.int16),
                "error": errors.astype(object),
                "attempts": np.where(failed, 4, 1).astype(np.int8),
                "connect_ns": connect,
                "send_ns": send,
                "wait_ns": wait,
                "receive_ns": receive,
                "new_connection": new,
            }
        )

    def table(self) -> pa.Table:
        arrays = []
        for f in SCHEMA:
            values = np.concatenate([c[f.name] for c in self.chunks])
            if pa.types.is_dictionary(f.type):
                codes, names = pd.factorize(values)
                arrays.append(
                    pa.DictionaryArray.from_arrays(
                        pa.array(codes.astype(f.type.index_type.to_pandas_dtype())),
                        pa.array([str(n) for n in names], pa.string()),
                    )
                )
            else:
                arrays.append(pa.array(values, type=f.type))
        return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _lognormal_ms(rng: np.random.Generator, median_ms: np.ndarray | float, n: int) -> np.ndarray:
    return np.asarray(median_ms) * 1e6 * np.exp(SIGMA_LOG * rng.standard_normal(n))


def _mix(rng: np.random.Generator, n: int) -> np.ndarray:
    ops = np.array(list(WEIGHTS), dtype=object)
    p = np.array(list(WEIGHTS.values()), dtype=float)
    return ops[rng.choice(len(ops), size=n, p=p / p.sum())]


class _Clock:
    def __init__(self) -> None:
        self.t = 500_000_000  # the run starts half a second after the origin

    def take(self, seconds: float) -> tuple[int, int]:
        start = self.t
        self.t += int(seconds * 1e9)
        return start, self.t

    def gap(self, seconds: float = 0.2) -> None:
        self.t += int(seconds * 1e9)


def _closed_loop(
    cols: _Columns,
    clock: _Clock,
    steps: list[dict[str, Any]],
    *,
    phase: str,
    step: str,
    level: int,
    coeffs: tuple[float, float, float],
    duration_s: float,
    slowdown: float,
    error_rate: float,
    pool: str = POOL,
) -> None:
    rng = cols.rng
    rate = float(usl(level, *coeffs)) / slowdown
    n = max(1, round(rate * duration_s))
    start, end = clock.take(duration_s)
    # a closed loop sends at a steady pace: evenly spaced starts, a little jitter
    spacing = (end - start) / n
    starts = np.sort(start + (np.arange(n) + rng.uniform(0.1, 0.9, n)) * spacing).astype(np.int64)
    ops = _mix(rng, n)
    mean_ms = level / rate * 1e3  # Little's law: N = X * R
    medians = mean_ms / np.exp(SIGMA_LOG**2 / 2)
    cols.add(
        phase=phase,
        step=step,
        concurrency=level,
        operation=ops,
        start_ns=starts,
        latency_ns=_lognormal_ms(rng, medians, n),
        pool=pool,
        error_rate=error_rate,
        worker=np.arange(n) % level + 1,  # a fair pool: the workers take turns
    )
    steps.append(
        {
            "phase": phase,
            "step": step,
            "concurrency": level,
            "pool": pool,
            "start_ns": start,
            "end_ns": end,
        }
    )
    clock.gap()


def _standard_phases(spec: Spec, cols: _Columns, clock: _Clock, steps: list[dict]) -> None:
    rng = cols.rng
    for op in LATENCY_OPS:
        n = spec.latency_requests
        lat = _lognormal_ms(rng, MEDIAN_MS[op] * spec.slowdown, n)
        start = clock.t
        starts = start + np.concatenate([[0], np.cumsum(lat[:-1] + 200_000)])
        cols.add(
            phase="latency",
            step=op,
            concurrency=1,
            operation=op,
            start_ns=starts,
            latency_ns=lat,
            error_rate=spec.error_rate,
        )
        clock.t = int(starts[-1] + lat[-1]) + 1
        steps.append(_step("latency", op, 1, start, clock.t))
        clock.gap()
    for level in spec.levels:
        _closed_loop(
            cols,
            clock,
            steps,
            phase="throughput",
            step=f"c={level}",
            level=level,
            coeffs=spec.usl,
            duration_s=spec.duration_s,
            slowdown=spec.slowdown,
            error_rate=spec.error_rate,
        )
    for mode, first_ms, rest_ms in (
        ("pooled", 50.0, 15.0),
        ("no_keepalive", 50.0, 50.0),
        ("client_per_request", 80.0, 80.0),
    ):
        n = spec.pooling_requests
        lat = _lognormal_ms(rng, rest_ms * spec.slowdown, n) * 0.95
        lat[0] = first_ms * 1e6 * spec.slowdown
        start = clock.t
        starts = start + np.concatenate([[0], np.cumsum(lat[:-1] + 100_000)])
        new = np.ones(n) if mode != "pooled" else (np.arange(n) == 0)
        cols.add(
            phase="pooling",
            step=mode,
            concurrency=1,
            operation="get_account_profile",
            start_ns=starts,
            latency_ns=lat,
            pool=f"aiohttp/{mode}/k20/c100",
            new_connection=new,
        )
        clock.t = int(starts[-1] + lat[-1]) + 1
        steps.append(_step("pooling", mode, 1, start, clock.t, f"aiohttp/{mode}/k20/c100"))
        clock.gap()
    n = spec.batch_count
    lat = _lognormal_ms(rng, 12.0 * spec.slowdown, n)
    start = clock.t
    starts = start + np.concatenate([[0], np.cumsum(lat[:-1] + 100_000)])
    cols.add(
        phase="batch",
        step="sequential",
        concurrency=1,
        operation="get_account_profile",
        start_ns=starts,
        latency_ns=lat,
    )
    clock.t = int(starts[-1] + lat[-1]) + 1
    steps.append(_step("batch", "sequential", 1, start, clock.t))
    clock.gap()
    start = clock.t
    starts = start + np.arange(n) * 20_000
    lat = _lognormal_ms(rng, 12.0 * spec.slowdown, n) + np.linspace(0, 150e6, n) * spec.slowdown
    cols.add(
        phase="batch",
        step="gather",
        concurrency=n,
        operation="get_account_profile",
        start_ns=starts,
        latency_ns=lat,
    )
    clock.t = int((starts + lat).max()) + 1
    steps.append(_step("batch", "gather", n, start, clock.t))
    clock.gap()
    if spec.open_loop_rate:
        duration = 2.0
        count = int(spec.open_loop_rate * duration)
        start, end = clock.take(duration)
        starts = start + (np.arange(count) * 1e9 / spec.open_loop_rate).astype(np.int64)
        lag = (rng.exponential(0.2, count) * 1e6).astype(np.int64)
        service = _lognormal_ms(rng, 12.0 * spec.slowdown, count)
        cols.add(
            phase="open_loop",
            step=f"rate={spec.open_loop_rate:g}",
            concurrency=0,
            operation=_mix(rng, count),
            start_ns=starts,
            latency_ns=service + lag,
            lag_ns=lag,
        )
        steps.append(_step("open_loop", f"rate={spec.open_loop_rate:g}", 0, start, end))


def _step(phase: str, step: str, level: int, start: int, end: int, pool: str = POOL) -> dict:
    return {
        "phase": phase,
        "step": step,
        "concurrency": level,
        "pool": pool,
        "start_ns": int(start),
        "end_ns": int(end),
    }


def _sweep(spec: Spec, cols: _Columns, clock: _Clock, steps: list[dict]) -> None:
    for pool, coeffs in spec.sweep_pools.items():
        for level in spec.levels:
            _closed_loop(
                cols,
                clock,
                steps,
                phase="sweep",
                step=f"c={level}",
                level=level,
                coeffs=coeffs,
                duration_s=spec.duration_s,
                slowdown=spec.slowdown,
                error_rate=spec.error_rate,
                pool=pool,
            )
    # small pools make requests wait for a connection at high concurrency
    for chunk in cols.chunks:
        pool = chunk["pool"][0]
        if "c10" in pool and not pool.endswith("c100"):
            busy = chunk["concurrency"] > 10
            chunk["connect_ns"] = np.where(
                busy, (chunk["latency_ns"] * 0.4).astype(np.int64), chunk["connect_ns"]
            )


def _locust(spec: Spec, cols: _Columns, clock: _Clock, steps: list[dict]) -> None:
    """Stages ramping users up; concurrency is the number of users at each request's start."""
    rng = cols.rng
    users_before = 0
    for i, (users, seconds) in enumerate(spec.locust_stages, start=1):
        start, end = clock.take(seconds)
        rate = float(usl(users, *spec.usl)) / spec.slowdown
        n = int(rng.poisson(rate * seconds))
        starts = np.sort(rng.integers(start, end, n))
        ramp = np.clip((starts - start) / 1e9, 0, 1)  # one second of spawning
        level = np.round(users_before + (users - users_before) * ramp).astype(int)
        mean_ms = users / rate * 1e3
        cols.add(
            phase="locust",
            step=f"stage {i}",
            concurrency=level,
            operation=_mix(rng, n),
            start_ns=starts,
            latency_ns=_lognormal_ms(rng, mean_ms / np.exp(SIGMA_LOG**2 / 2), n),
            error_rate=spec.error_rate,
            worker=rng.integers(0, 2, n),
            pool="httpx/pooled/k20/c100",
        )
        steps.append(_step("locust", f"stage {i}", users, start, end, "httpx/pooled/k20/c100"))
        users_before = users


def make_run(root: Path, spec: Spec = Spec(), name: str | None = None) -> Path:
    """Write one synthetic run folder under ``root`` and return its path."""
    rng = np.random.default_rng(spec.seed)
    cols = _Columns(rng)
    clock = _Clock()
    steps: list[dict[str, Any]] = []
    {"run": _standard_phases, "sweep": _sweep, "locust": _locust}[spec.kind](
        spec, cols, clock, steps
    )
    path = Path(root) / (name or f"20261126T041500Z-{spec.kind}-{spec.seed}")
    path.mkdir(parents=True)
    folder = RunFolder(path)
    table = cols.table()
    pq.write_table(table, folder.samples_path, compression="zstd", compression_level=1)
    folder.write_json("meta.json", meta(spec))
    folder.write_json(
        "summary.json",
        {
            "complete": spec.complete,
            "cut_short": None if spec.complete else "interrupted (Ctrl-C) during throughput c=50",
            "steps": steps,
            "generator_health": [
                {
                    "phase": s["phase"],
                    "step": s["step"],
                    "cpu_percent": 97.0 if s["step"] in spec.saturated_steps else 35.0,
                    "loop_lag_p99_ms": 0.8,
                    "saturated": s["step"] in spec.saturated_steps,
                }
                for s in steps
            ],
        },
    )
    return path


def meta(spec: Spec) -> dict[str, Any]:
    """A current-format meta.json (tests of older formats drop what they need)."""
    return {
        "format_version": FORMAT_VERSION,
        "harness_version": "0.1.0",
        "git_commit": "08c73bc5d2e1f0a9",
        "command": {"run": "bench.py run", "sweep": "bench.py sweep", "locust": "bench.py locust"}[
            spec.kind
        ],
        "python": "3.11.7",
        "packages": {"httpx": "0.28.1", "aiohttp": "3.14.5"},
        "host": {
            "cpu_count": 2,
            "cpu_model": "AMD EPYC",
            "hostname": "bench-1",
            "platform": "Linux-6.1",
        },
        "target": "http://127.0.0.1:41865",
        "embedded_mock": True,
        "mock_profile": spec.profile,
        "pool": {
            "max_keepalive_connections": 20,
            "max_connections": 100,
            "keepalive_expiry": 60.0,
            "label": POOL,
        },
        "retry": {"max_retries": 3, "backoff_base": 0.2},
        "scenario": {"name": "synthetic"},
        "kind": spec.kind,
        "started_at": "2026-11-26T04:15:00+00:00",
        "ended_at": "2026-11-26T04:17:10+00:00",
        "target_info": {
            "health": {"status": "healthy", "service": "account_service", "version": "0.1.0"},
            "health_detailed": None,
            "service": "account_service",
            "version": "0.1.0",
        },
        "tls": None,
        "auth": None,
    }


@dataclass(frozen=True)
class PoolWindow:
    """One closed-loop window whose pool behaviour is chosen: churn and starved workers."""

    pool: str
    concurrency: int = 20
    requests: int = 4000
    duration_s: float = 2.0
    median_ms: float = 5.0
    churn: float = 0.0  # share of requests that opened a connection; they are 8x slower
    starved: int = 0  # workers that sent only ``starved_requests`` each; the rest take turns
    starved_requests: int = 0
    unknown: int = 0  # requests whose connection is unknown (new_connection = -1)
    error_rate: float = 0.0


def make_pool_run(
    root: Path, windows: Sequence[PoolWindow], name: str, kind: str = "sweep", seed: int = 7
) -> Path:
    """A run folder of closed-loop windows (``sweep`` or ``throughput``), one per spec."""
    rng = np.random.default_rng(seed)
    cols = _Columns(rng)
    clock = _Clock()
    steps: list[dict[str, Any]] = []
    phase = "sweep" if kind == "sweep" else "throughput"
    for w in windows:
        n = w.requests
        start, end = clock.take(w.duration_s)
        starts = np.sort(rng.integers(start, end, n)).astype(np.int64)
        latency = _lognormal_ms(rng, w.median_ms, n)
        new = np.zeros(n, np.int8)
        order = rng.permutation(n)
        opened = order[: round(w.churn * n)]
        new[opened] = 1
        latency[opened] *= 8
        new[order[len(opened) : len(opened) + w.unknown]] = -1
        starved = np.repeat(np.arange(1, w.starved + 1), w.starved_requests)
        others = np.arange(n - len(starved)) % (w.concurrency - w.starved) + w.starved + 1
        worker = rng.permutation(np.concatenate([starved, others]))
        step = f"c={w.concurrency}"
        cols.add(
            phase=phase,
            step=step,
            concurrency=w.concurrency,
            operation=_mix(rng, n),
            start_ns=starts,
            latency_ns=latency,
            pool=w.pool,
            error_rate=w.error_rate,
            new_connection=new,
            worker=worker,
        )
        steps.append(_step(phase, step, w.concurrency, start, end, w.pool))
        clock.gap()
    path = Path(root) / name
    path.mkdir(parents=True)
    folder = RunFolder(path)
    pq.write_table(cols.table(), folder.samples_path, compression="zstd", compression_level=1)
    folder.write_json("meta.json", meta(Spec(kind="sweep" if kind == "sweep" else "run")))
    folder.write_json("summary.json", {"complete": True, "cut_short": None, "steps": steps})
    return path
