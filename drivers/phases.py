"""The standard run's phases: set-up, latency, throughput, pooling, batch, open loop.

Each phase labels the samples it wants kept, warms up unrecorded first,
records its measured windows in ``ctx.steps`` and its generator health in
``ctx.health``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from client import AccountClient, AccountServiceError, PoolSettings, RetryPolicy
from client.settings import POOL_MODES
from drivers.health import HealthMonitor
from drivers.loops import TargetDown, closed_loop, open_loop
from drivers.mix import Mix, create_accounts
from drivers.progress import Progress
from drivers.recorder import Label, Recorder
from workload.flow import run_flow
from workload.operations import LATENCY_OPERATIONS
from workload.policy import Policy
from workload.run_data import RunData
from workload.scenario import Scenario


@dataclass
class RunContext:
    url: str
    pool: PoolSettings
    retry: RetryPolicy
    timeout: float
    scenario: Scenario
    data: RunData
    recorder: Recorder
    progress: Progress
    client_kwargs: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    health: list[dict[str, Any]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    client: AccountClient | None = None

    @property
    def policy(self) -> Policy:
        """The workload policy over the run's own accounts (all its state is in ``data``)."""
        return Policy(self.data)

    def new_client(self, pool: PoolSettings | None = None) -> AccountClient:
        client = AccountClient(
            self.url,
            timeout=self.timeout,
            pool=pool or self.pool,
            retry=self.retry,
            **self.client_kwargs,
        )
        client.metrics.subscribe(self.recorder)
        return client

    def label(
        self, phase: str, step: str, concurrency: int, pool: PoolSettings | None = None
    ) -> None:
        self.recorder.label = Label(phase, step, concurrency, (pool or self.pool).label())

    def unlabel(self) -> None:
        self.recorder.label = None

    def stopped(self) -> bool:
        return self.recorder.target_down

    def add_step(
        self,
        phase: str,
        step: str,
        concurrency: int,
        start: int,
        end: int,
        pool: PoolSettings | None = None,
    ) -> None:
        self.steps.append(
            {
                "phase": phase,
                "step": step,
                "concurrency": concurrency,
                "pool": (pool or self.pool).label(),
                "start_ns": start,
                "end_ns": end,
            }
        )


async def prepare_data(ctx: RunContext) -> None:
    assert ctx.client is not None
    async with ctx.progress.track(
        "set-up: creating run accounts", requests=ctx.scenario.data.accounts
    ):
        await create_accounts(ctx.client, ctx.policy, ctx.scenario.data.accounts)


@dataclass(slots=True)
class Window:
    start: int
    end: int | None = None


@asynccontextmanager
async def measured(
    ctx: RunContext,
    phase: str,
    step: str,
    concurrency: int,
    *,
    pool: PoolSettings | None = None,
    seconds: float | None = None,
    requests: int | None = None,
) -> AsyncIterator[Window]:
    """One measured window: progress line, sample label, generator health, step record."""
    async with ctx.progress.track(f"{phase}: {step}", seconds=seconds, requests=requests):
        monitor = HealthMonitor(phase, step)
        ctx.label(phase, step, concurrency, pool)
        window = Window(start=ctx.recorder.now_ns())
        try:
            async with monitor:
                yield window
        finally:
            ctx.unlabel()
            end = window.end if window.end is not None else ctx.recorder.now_ns()
            # a request admitted just before the end is stamped a few microseconds
            # later: the window holds every request the loop started
            end = max(end, ctx.recorder.last_start_ns + 1)
            ctx.add_step(phase, step, concurrency, window.start, end, pool)
            if monitor.reading is not None:
                ctx.health.append(monitor.reading.to_dict())


async def latency_phase(ctx: RunContext) -> None:
    client = ctx.client
    assert client is not None
    spec = ctx.scenario.latency
    policy = ctx.policy
    for op in LATENCY_OPERATIONS:
        for _ in range(spec.warmup):
            await _quietly(run_flow(client, policy.flow(op)))
        async with measured(ctx, "latency", op, 1, requests=spec.requests):
            for _ in range(spec.requests):
                if ctx.stopped():
                    raise TargetDown("the target stopped answering")
                await _quietly(run_flow(client, policy.flow(op)))


async def throughput_phase(ctx: RunContext) -> None:
    client = ctx.client
    assert client is not None
    spec = ctx.scenario.throughput
    mix, policy = Mix(ctx.scenario.weight_map), ctx.policy

    def request() -> Any:
        return run_flow(client, policy.flow(mix.next()))

    for concurrency in spec.concurrency:
        step = f"c={concurrency}"
        if spec.warmup_s:
            await closed_loop(request, concurrency, _after(spec.warmup_s), should_stop=ctx.stopped)
        async with measured(
            ctx, "throughput", step, concurrency, seconds=spec.duration_s
        ) as window:
            window.end = window.start + int(spec.duration_s * 1e9)
            until = ctx.recorder.origin_ns + window.end
            await closed_loop(request, concurrency, until, should_stop=ctx.stopped)


async def pooling_phase(ctx: RunContext) -> None:
    """The seed's pooling effect: a fresh pooled client vs the two anti-patterns."""
    n = ctx.scenario.pooling.requests
    for mode in POOL_MODES:
        pool = dataclasses.replace(ctx.pool, mode=mode)
        client = ctx.new_client(pool)
        async with client, measured(ctx, "pooling", mode, 1, pool=pool, requests=n):
            for _ in range(n):
                await _quietly(client.execute(ctx.policy.profile_read()))


async def batch_phase(ctx: RunContext) -> None:
    """100 profile reads: one after another, then all at once with ``asyncio.gather``."""
    client = ctx.client
    assert client is not None
    count = ctx.scenario.batch.count
    reads = [ctx.policy.profile_read() for _ in range(count)]
    await asyncio.gather(*(_quietly(client.execute(read)) for read in reads))  # warm pool
    async with measured(ctx, "batch", "sequential", 1, requests=count):
        t0 = time.perf_counter()
        for read in reads:
            await _quietly(client.execute(read))
        sequential = time.perf_counter() - t0
    async with measured(ctx, "batch", "gather", count, requests=count):
        t0 = time.perf_counter()
        await asyncio.gather(*(_quietly(client.execute(read)) for read in reads))
        gathered = time.perf_counter() - t0
    # the wall times as timed here; analysis.summary adds the speed-up and reconnections
    ctx.extras["batch"] = {"count": count, "sequential_s": sequential, "gather_s": gathered}


async def open_loop_phase(ctx: RunContext, rate: float, duration_s: float) -> None:
    client = ctx.client
    assert client is not None
    mix, policy = Mix(ctx.scenario.weight_map, seed=2), ctx.policy
    step = f"rate={rate:g}"

    def request() -> Any:
        return run_flow(client, policy.flow(mix.next()))

    async with measured(ctx, "open_loop", step, 0, seconds=duration_s) as window:
        window.end = window.start + int(duration_s * 1e9)
        result = await open_loop(
            request,
            rate,
            duration_s,
            should_stop=ctx.stopped,
            start_ns=ctx.recorder.origin_ns + window.start,
        )
    ctx.extras.setdefault("open_loop_runs", []).append(
        {
            "rate": rate,
            "step": step,
            "scheduled": result.scheduled,
            "sent": result.sent,
            "late": result.late,
            "dropped": result.dropped,
        }
    )


def _after(seconds: float) -> int:
    """A ``perf_counter_ns`` deadline ``seconds`` from now."""
    return time.perf_counter_ns() + int(seconds * 1e9)


async def _quietly(awaitable: Any) -> Any:
    """Await a call whose failure the client has already recorded."""
    try:
        return await awaitable
    except AccountServiceError:
        return None
