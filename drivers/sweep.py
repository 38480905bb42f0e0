"""``bench.py sweep``: the weighted mix over a grid of pool settings × concurrency, in one run."""

from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass
from typing import Any

from client import PoolSettings, Timeouts
from client.settings import ASYNC_TRANSPORTS, TIMEOUT_KEYS
from drivers.loops import closed_loop
from drivers.mix import Mix
from drivers.phases import RunContext, measured
from workload.flow import run_flow


@dataclass(frozen=True, slots=True)
class SweepSpec:
    pools: tuple[PoolSettings, ...]
    concurrency: tuple[int, ...] = (10, 50, 100)
    duration_s: float = 5.0
    warmup_s: float = 1.0


def parse_grid(text: str, base: PoolSettings) -> tuple[PoolSettings, ...]:
    """``max_connections=10,50;transport=aiohttp,httpx`` → every combination, applied to ``base``.

    Axes are separated by ``;``, values by ``,``; each combination is checked
    like ``--pool`` (so a bad key or value names the accepted ones).
    """
    axes: list[list[str]] = []
    for axis in filter(None, (a.strip() for a in text.split(";"))):
        key, sep, listed = axis.partition("=")
        if not sep or not listed.strip():
            raise ValueError(f"--pool-grid: {axis!r} is not key=value,value,...")
        axes.append([f"{key.strip()}={v.strip()}" for v in listed.split(",") if v.strip()])
    if not axes:
        raise ValueError("--pool-grid is empty; e.g. 'max_connections=10,50,100;transport=aiohttp'")
    pools = []
    for combo in itertools.product(*axes):
        parsed = PoolSettings.parse(",".join(combo))
        values = {**dataclasses.asdict(base), **_explicit(combo, parsed, base)}
        pool = PoolSettings(**values)
        if pool.transport not in ASYNC_TRANSPORTS:
            raise ValueError(
                f"--pool-grid: transport={pool.transport} is not an asyncio engine; "
                f"the sweep runs on {', '.join(ASYNC_TRANSPORTS)}"
            )
        pools.append(pool)
    return tuple(pools)


def _explicit(combo: tuple[str, ...], parsed: PoolSettings, base: PoolSettings) -> dict[str, Any]:
    """The settings the combination names (as parsed, keep-alive clamped to fit)."""
    aliases = {"max_keepalive": "max_keepalive_connections"}
    keys = [aliases.get(k, k) for k in (item.split("=", 1)[0].strip() for item in combo)]
    values = {key: getattr(parsed, key) for key in keys if key not in TIMEOUT_KEYS}
    phases = [TIMEOUT_KEYS[key] for key in keys if key in TIMEOUT_KEYS]
    if phases:  # only the named phases; the base's other limits stay
        named = {phase: getattr(parsed.timeouts, phase) for phase in phases}
        values["timeouts"] = {**dataclasses.asdict(base.timeouts or Timeouts()), **named}
    if "max_keepalive_connections" not in values and "max_connections" in values:
        values["max_keepalive_connections"] = parsed.max_keepalive_connections
    return values


async def sweep_phase(ctx: RunContext, spec: SweepSpec) -> None:
    mix, policy = Mix(ctx.scenario.weight_map, seed=3), ctx.policy
    for pool in spec.pools:
        client = ctx.new_client(pool)

        def request(client: Any = client) -> Any:
            return run_flow(client, policy.flow(mix.next()))

        async with client:
            for concurrency in spec.concurrency:
                if spec.warmup_s:
                    warm_until = time.perf_counter_ns() + int(spec.warmup_s * 1e9)
                    await closed_loop(request, concurrency, warm_until, should_stop=ctx.stopped)
                async with measured(
                    ctx,
                    "sweep",
                    f"c={concurrency}",
                    concurrency,
                    pool=pool,
                    seconds=spec.duration_s,
                ) as window:
                    window.end = window.start + int(spec.duration_s * 1e9)
                    until = ctx.recorder.origin_ns + window.end
                    await closed_loop(request, concurrency, until, should_stop=ctx.stopped)
