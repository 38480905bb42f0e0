"""Every engine behind one blocking test API, so one test body covers them all.

An :class:`Engine` opens a :class:`Session`: a client on that engine plus the
way its callers run concurrently: asyncio tasks for the async engines
(``lean``, ``aiohttp``, ``httpx``), greenlets for ``gevent`` (``gevent.spawn``
workers, as Locust runs its users, without monkey-patching: the engine's
sockets are gevent's own), threads for the sync ``httpx`` engine. Tests name
client methods (``"get_account_profile"``) and get :class:`Outcome` values back.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import gevent

from client import AccountClient, PoolSettings, RequestRecord, SyncAccountClient

#: the longest a test waits for its callers to finish: a hang fails the test instead of CI
JOIN_LIMIT = 15.0


@dataclass
class Outcome:
    """How one call ended, timed by the caller (``time.monotonic``)."""

    started: float
    ended: float
    value: Any = None
    error: BaseException | None = None

    @property
    def latency(self) -> float:
        return self.ended - self.started

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Worker:
    """One closed-loop caller's calls, in order."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.outcomes)


class Session(Protocol):
    """A client on one engine, driven from a blocking test body."""

    client: Any
    records: list[RequestRecord]

    def call(self, operation: str, *args: Any) -> Outcome:
        """Run one call to the end, in the foreground."""

    def spawn(self, operation: str, *args: Any) -> Any:
        """Start one call in the background; returns a handle for ``join`` and ``cancel``."""

    def join(self, *handles: Any) -> list[Outcome]:
        """Wait (at most :data:`JOIN_LIMIT`) for background calls; a hang is an AssertionError."""

    def done(self, handle: Any) -> bool: ...

    def cancel(self, handle: Any) -> None:
        """Cancel a background call the way its callers can: task.cancel(), greenlet.kill()."""

    def wait_until(self, condition: Callable[[], bool], limit: float = 5.0) -> None:
        """Let background calls run until ``condition()`` holds (AssertionError after ``limit``)."""

    def sleep(self, seconds: float) -> None:
        """Let background calls (and the engine's own timers) run for ``seconds``."""

    def run_workers(
        self, count: int, window: float, budget: int, operation: str, *args: Any
    ) -> list[Worker]:
        """``count`` closed-loop callers, each until ``window`` ends or ``budget`` is spent."""


def _ended(started: float, value: Any = None, error: BaseException | None = None) -> Outcome:
    return Outcome(started, time.monotonic(), value, error)


def _recorded(client: Any) -> list[RequestRecord]:
    records: list[RequestRecord] = []
    client.metrics.subscribe(records.append)
    return records


class AsyncSession:
    """An async client on its own event loop; each blocking method runs the loop a while."""

    def __init__(self, runner: asyncio.Runner, client: AccountClient) -> None:
        self._runner = runner
        self.client = client
        self.records = _recorded(client)

    async def _call(self, operation: str, *args: Any) -> Outcome:
        started = time.monotonic()
        try:
            value = await getattr(self.client, operation)(*args)
        except BaseException as error:  # a cancelled call is an outcome too
            return _ended(started, error=error)
        return _ended(started, value)

    def call(self, operation: str, *args: Any) -> Outcome:
        return self._runner.run(self._call(operation, *args))

    def spawn(self, operation: str, *args: Any) -> asyncio.Task[Outcome]:
        return self._runner.get_loop().create_task(self._call(operation, *args))

    def join(self, *handles: asyncio.Task[Outcome]) -> list[Outcome]:
        async def gather() -> list[Outcome]:
            _, pending = await asyncio.wait(handles, timeout=JOIN_LIMIT)
            assert not pending, f"{len(pending)} call(s) still running after {JOIN_LIMIT} s"
            return [task.result() for task in handles]

        return self._runner.run(gather())

    def done(self, handle: asyncio.Task[Outcome]) -> bool:
        return handle.done()

    def cancel(self, handle: asyncio.Task[Outcome]) -> None:
        handle.cancel()

    def wait_until(self, condition: Callable[[], bool], limit: float = 5.0) -> None:
        async def poll() -> None:
            deadline = time.monotonic() + limit
            while not condition():
                assert time.monotonic() < deadline, "condition not met in time"
                await asyncio.sleep(0.002)

        self._runner.run(poll())

    def sleep(self, seconds: float) -> None:
        self._runner.run(asyncio.sleep(seconds))

    def run_workers(
        self, count: int, window: float, budget: int, operation: str, *args: Any
    ) -> list[Worker]:
        workers = [Worker() for _ in range(count)]

        async def loop(worker: Worker, until: float) -> None:
            while time.monotonic() < until and worker.count < budget:
                worker.outcomes.append(await self._call(operation, *args))

        async def run_all() -> None:
            until = time.monotonic() + window
            await asyncio.wait_for(
                asyncio.gather(*(loop(w, until) for w in workers)), window + JOIN_LIMIT
            )

        self._runner.run(run_all())
        return workers


class GeventSession:
    """A sync client on the gevent engine, its callers greenlets (the test is the hub's thread)."""

    def __init__(self, client: SyncAccountClient) -> None:
        self.client = client
        self.records = _recorded(client)

    def _call(self, operation: str, *args: Any) -> Outcome:
        started = time.monotonic()
        try:
            value = getattr(self.client, operation)(*args)
        except BaseException as error:  # GreenletExit: the greenlet was killed
            return _ended(started, error=error)
        return _ended(started, value)

    def call(self, operation: str, *args: Any) -> Outcome:
        return self._call(operation, *args)

    def spawn(self, operation: str, *args: Any) -> gevent.Greenlet:
        return gevent.spawn(self._call, operation, *args)

    def join(self, *handles: gevent.Greenlet) -> list[Outcome]:
        gevent.joinall(handles, timeout=JOIN_LIMIT)
        running = [g for g in handles if not g.dead]
        assert not running, f"{len(running)} call(s) still running after {JOIN_LIMIT} s"
        return [g.value for g in handles]

    def done(self, handle: gevent.Greenlet) -> bool:
        return handle.dead

    def cancel(self, handle: gevent.Greenlet) -> None:
        handle.kill(block=False)

    def wait_until(self, condition: Callable[[], bool], limit: float = 5.0) -> None:
        deadline = time.monotonic() + limit
        while not condition():
            assert time.monotonic() < deadline, "condition not met in time"
            gevent.sleep(0.002)

    def sleep(self, seconds: float) -> None:
        gevent.sleep(seconds)

    def run_workers(
        self, count: int, window: float, budget: int, operation: str, *args: Any
    ) -> list[Worker]:
        workers = [Worker() for _ in range(count)]
        until = time.monotonic() + window

        def loop(worker: Worker) -> None:
            while time.monotonic() < until and worker.count < budget:
                worker.outcomes.append(self._call(operation, *args))

        greenlets = [gevent.spawn(loop, w) for w in workers]
        gevent.joinall(greenlets, timeout=window + JOIN_LIMIT)
        assert all(g.dead for g in greenlets), "workers still running after the window"
        return workers


class ThreadSession:
    """A sync client shared by threads (the sync httpx engine outside Locust)."""

    def __init__(self, client: SyncAccountClient, executor: concurrent.futures.Executor) -> None:
        self.client = client
        self.records = _recorded(client)
        self._executor = executor

    def _call(self, operation: str, *args: Any) -> Outcome:
        started = time.monotonic()
        try:
            value = getattr(self.client, operation)(*args)
        except Exception as error:
            return _ended(started, error=error)
        return _ended(started, value)

    def call(self, operation: str, *args: Any) -> Outcome:
        return self._call(operation, *args)

    def spawn(self, operation: str, *args: Any) -> concurrent.futures.Future[Outcome]:
        return self._executor.submit(self._call, operation, *args)

    def join(self, *handles: concurrent.futures.Future[Outcome]) -> list[Outcome]:
        _, pending = concurrent.futures.wait(handles, timeout=JOIN_LIMIT)
        assert not pending, f"{len(pending)} call(s) still running after {JOIN_LIMIT} s"
        return [f.result() for f in handles]

    def done(self, handle: concurrent.futures.Future[Outcome]) -> bool:
        return handle.done()

    def cancel(self, handle: concurrent.futures.Future[Outcome]) -> None:
        raise NotImplementedError("a thread blocked in a call cannot be cancelled")

    def wait_until(self, condition: Callable[[], bool], limit: float = 5.0) -> None:
        deadline = time.monotonic() + limit
        while not condition():
            assert time.monotonic() < deadline, "condition not met in time"
            time.sleep(0.002)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def run_workers(
        self, count: int, window: float, budget: int, operation: str, *args: Any
    ) -> list[Worker]:
        workers = [Worker() for _ in range(count)]
        start = threading.Barrier(count + 1)
        until: list[float] = []

        def loop(worker: Worker) -> None:
            start.wait(JOIN_LIMIT)
            while time.monotonic() < until[0] and worker.count < budget:
                worker.outcomes.append(self._call(operation, *args))

        threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
        for thread in threads:
            thread.start()
        until.append(time.monotonic() + window)
        start.wait(JOIN_LIMIT)
        for thread in threads:
            thread.join(window + JOIN_LIMIT)
        assert not any(t.is_alive() for t in threads), "workers still running after the window"
        return workers


@dataclass(frozen=True)
class Engine:
    """One engine and the kind of caller that drives it."""

    name: str  # the test id: lean, aiohttp, httpx-async, gevent, httpx-sync
    transport: str
    caller: str  # "task", "greenlet" or "thread"

    @property
    def can_cancel(self) -> bool:
        return self.caller != "thread"

    @contextmanager
    def session(
        self, url: str, pool: PoolSettings | None = None, **client: Any
    ) -> Iterator[Session]:
        """An open client on this engine (``pool``'s transport replaced), closed after the block."""
        pool = dataclasses.replace(pool or PoolSettings(), transport=self.transport)
        if self.caller == "task":
            with asyncio.Runner() as runner:
                async_client = AccountClient(url, pool=pool, **client)
                runner.run(async_client.__aenter__())
                try:
                    yield AsyncSession(runner, async_client)
                finally:
                    runner.run(async_client.aclose())
        elif self.caller == "greenlet":
            with SyncAccountClient(url, pool=pool, **client) as sync_client:
                yield GeventSession(sync_client)
        else:
            with (
                SyncAccountClient(url, pool=pool, **client) as sync_client,
                concurrent.futures.ThreadPoolExecutor(16) as executor,
            ):
                yield ThreadSession(sync_client, executor)


ENGINES = (
    Engine("lean", "lean", "task"),
    Engine("aiohttp", "aiohttp", "task"),
    Engine("httpx-async", "httpx", "task"),
    Engine("gevent", "gevent", "greenlet"),
    Engine("httpx-sync", "httpx", "thread"),
)
