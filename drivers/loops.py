"""The two ways to load a service: closed loop (N workers) and open loop (a fixed rate).

Both are bounded in time and in requests, and stop by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from drivers.recorder import INTENDED_NS, WORKER

Request = Callable[[], Awaitable[Any]]
TIMER_RESOLUTION_S = 0.001


class TargetDown(RuntimeError):
    """The target stopped answering (a long streak of connection failures)."""


async def closed_loop(
    request: Request,
    concurrency: int,
    until_ns: int,
    *,
    max_requests: int = 10_000_000,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """``concurrency`` workers, each sending its next request as soon as the last ends.

    No request starts at or after ``until_ns`` (``perf_counter_ns``), so a
    measured window that ends there holds every request the loop started.
    Each worker's samples carry its number (1..concurrency), so the results can
    tell a fair pool from one that starves some workers.
    """
    budget = max_requests

    async def worker(index: int) -> None:
        nonlocal budget
        WORKER.set(index)  # this worker's own task: the value stays local to it
        while budget > 0 and time.perf_counter_ns() < until_ns:
            if should_stop():
                raise TargetDown("the target stopped answering")
            budget -= 1
            with contextlib.suppress(Exception):  # the client has recorded it
                await request()

    await asyncio.gather(*(worker(i) for i in range(1, concurrency + 1)))


@dataclass(slots=True)
class OpenLoopResult:
    scheduled: int = 0
    sent: int = 0
    late: int = 0  # left more than ``late_after_ms`` (2 ms: twice the timer resolution) late
    dropped: int = 0  # never sent: too many already in flight
    duration_s: float = 0.0


async def open_loop(
    request: Request,
    rate: float,
    duration_s: float,
    *,
    max_in_flight: int = 10_000,
    late_after_ms: float = 2.0,
    should_stop: Callable[[], bool] = lambda: False,
    start_ns: int | None = None,
) -> OpenLoopResult:
    """Send at ``rate`` per second on a fixed schedule, whatever the answers do.

    Each request is stamped with its *intended* send time, so a slow answer
    that delays later sends shows up in their latency (no coordinated
    omission); how late each really left is kept apart as ``lag_ns``.
    """
    result = OpenLoopResult()
    interval_ns = int(1e9 / rate)
    total = int(rate * duration_s)
    in_flight: set[asyncio.Task[Any]] = set()
    start_ns = time.perf_counter_ns() if start_ns is None else start_ns

    async def one(intended_ns: int) -> None:
        INTENDED_NS.set(intended_ns)
        with contextlib.suppress(Exception):  # the client has recorded it
            await request()

    for i in range(total):
        if should_stop():
            raise TargetDown("the target stopped answering")
        intended = start_ns + i * interval_ns
        # Timers have millisecond resolution: never send early, and never spin on
        # sub-millisecond waits (that would burn the CPU the driver needs). Sends
        # due within the same millisecond leave together; their lag is recorded.
        while (wait_ns := intended - time.perf_counter_ns()) > 0:  # noqa: ASYNC110 - a clock
            await asyncio.sleep(max(wait_ns / 1e9, TIMER_RESOLUTION_S))
        result.scheduled += 1
        if len(in_flight) >= max_in_flight:
            result.dropped += 1
            continue
        if (time.perf_counter_ns() - intended) / 1e6 > late_after_ms:
            result.late += 1
        task = asyncio.create_task(one(intended))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        result.sent += 1
    if in_flight:
        await asyncio.wait(in_flight, timeout=max(30.0, duration_s))
    for task in in_flight:
        task.cancel()
    result.duration_s = (time.perf_counter_ns() - start_ns) / 1e9
    return result
