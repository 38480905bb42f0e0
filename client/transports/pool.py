"""One connection pool for the hand-written engines: ``lean`` (asyncio) and ``gevent``.

:class:`Pool` keeps the books once, without any I/O: the idle connections
(newest first), how many are open, and a FIFO of waiters. Only waiting
differs between asyncio and gevent, so :class:`AsyncPool` and
:class:`GeventPool` add just that. The rules are httpx's ``Limits`` plus
first-come-first-served queueing:

- at most ``max_connections`` open (idle, in use or being opened);
- at most ``max_keepalive`` idle; one released beyond that is closed;
- an idle connection past ``keepalive_expiry``, or one the server closed
  (``usable`` says so), is closed, never handed out;
- a freed connection, or a freed slot to open one, goes straight to the
  oldest waiter: while anyone waits, neither the releasing task nor a
  newcomer can take it (no barging, so a queue of W workers on C
  connections waits about W/C service times, never a whole window);
- a waiter that gives up (cancelled, timed out) after it was handed
  something passes it on to the next waiter.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from client.errors import TimeoutPhase
from client.transports.deadline import timed_out

if TYPE_CHECKING:
    import gevent.event

C = TypeVar("C")


class _Open:
    __slots__ = ()

    def __repr__(self) -> str:
        return "OPEN"


#: what a waiter or :meth:`Pool.checkout` gets instead of a connection: a slot, open one in it
OPEN: Any = _Open()


class Waiter:
    """One queued request; the pool sets ``grant`` (a connection or :data:`OPEN`), then wakes it."""

    __slots__ = ("grant",)

    def __init__(self) -> None:
        self.grant: Any = None

    def wake(self) -> None:
        raise NotImplementedError


class Pool(Generic[C]):
    """The bookkeeping of a bounded pool, driven by the engine; no I/O, no waiting.

    ``usable(conn, idle_seconds)`` says whether an idle connection may be
    handed out (the server has not closed it); ``close(conn)`` closes one.
    """

    def __init__(
        self,
        *,
        max_connections: int,
        max_keepalive: int,
        keepalive_expiry: float,
        usable: Callable[[C, float], bool],
        close: Callable[[C], object],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_connections < 1 or not 0 <= max_keepalive <= max_connections:
            raise ValueError("need 1 <= max_connections and 0 <= max_keepalive <= max_connections")
        self._max = max_connections
        self._max_idle = max_keepalive
        self._expiry = keepalive_expiry
        self._usable = usable
        self._close = close
        self._clock = clock
        self._idle: collections.deque[tuple[C, float]] = collections.deque()  # newest last
        self._open = 0
        self._waiters: collections.deque[Waiter] = collections.deque()
        self._closed = False

    @property
    def connections(self) -> int:
        """Open connections, idle ones and granted slots included."""
        return self._open

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def checkout(self) -> C | Any | None:
        """A connection, :data:`OPEN` (a slot: open one), or None: queue a waiter and wait."""
        if self._waiters:
            return None  # first come, first served
        idle = self._idle
        if idle:
            now = self._clock()
            while idle:
                conn, since = idle.pop()
                age = now - since
                if age < self._expiry and self._usable(conn, age):
                    return conn
                self._close(conn)
                self._open -= 1
        if self._open < self._max:
            self._open += 1
            return OPEN
        return None

    def enqueue(self, waiter: Waiter) -> None:
        """Queue ``waiter`` behind the others (after :meth:`checkout` said None)."""
        self._waiters.append(waiter)

    def checkin(self, conn: C, reuse: bool) -> None:
        """Give back a connection after its answer; ``reuse``: it can carry another request."""
        if not reuse or self._closed:
            self.discard(conn)
        elif self._waiters:
            self._hand(conn)
        elif len(self._idle) < self._max_idle:
            now = self._clock()
            idle = self._idle
            idle.append((conn, now))
            while idle and now - idle[0][1] >= self._expiry:  # the oldest ones expired
                self._close(idle.popleft()[0])
                self._open -= 1
        else:
            self._close(conn)
            self._open -= 1

    def discard(self, conn: C | None) -> None:
        """Close a connection that failed (None: a slot whose connect failed); free its slot."""
        if conn is not None:
            self._close(conn)
        if self._waiters:
            self._hand(OPEN)  # the slot changes hands: as many open as before
        else:
            self._open -= 1

    def abandon(self, waiter: Waiter) -> None:
        """``waiter`` gave up (cancelled, timed out): drop it, passing on what it was handed."""
        grant, waiter.grant = waiter.grant, None
        if grant is None:
            self._waiters.remove(waiter)
        elif grant is OPEN:
            self.discard(None)
        else:
            self.checkin(grant, reuse=True)

    def close(self) -> None:
        """Close the idle connections; those in use are closed when they come back."""
        self._closed = True
        while self._idle:
            self._close(self._idle.pop()[0])
            self._open -= 1

    def _hand(self, grant: Any) -> None:
        waiter = self._waiters.popleft()
        waiter.grant = grant
        waiter.wake()


class _FutureWaiter(Waiter):
    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[None]) -> None:
        super().__init__()
        self.future = future

    def wake(self) -> None:
        if not self.future.done():
            self.future.set_result(None)


class AsyncPool(Pool[C]):
    """The pool for asyncio: a waiter is a future; cancellation (a deadline) passes grants on."""

    async def acquire(self, timeout: float | None, phase: TimeoutPhase = "pool") -> C | Any:
        """A connection or :data:`OPEN`, waiting at most ``timeout`` s for one (else ``phase``)."""
        grant = self.checkout()
        if grant is not None:
            return grant
        loop = asyncio.get_running_loop()
        waiter = _FutureWaiter(loop.create_future())
        self.enqueue(waiter)
        timer = None
        if timeout is not None:
            timer = loop.call_later(timeout, _expire, waiter.future, phase, timeout)
        try:
            await waiter.future
        except BaseException:
            self.abandon(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        grant, waiter.grant = waiter.grant, None
        return grant


def _expire(future: asyncio.Future[None], phase: TimeoutPhase, seconds: float) -> None:
    if not future.done():
        future.set_exception(timed_out(phase, seconds))


class _EventWaiter(Waiter):
    __slots__ = ("event",)

    def __init__(self, event: gevent.event.Event) -> None:
        super().__init__()
        self.event = event

    def wake(self) -> None:
        self.event.set()


class GeventPool(Pool[C]):
    """The pool for gevent: a waiter is an ``Event``; a killed greenlet passes its grant on."""

    def __init__(self, **limits: Any) -> None:
        from gevent.event import Event  # only gevent's users import gevent

        super().__init__(**limits)
        self._event = Event

    def acquire(self, timeout: float | None, phase: TimeoutPhase = "pool") -> C | Any:
        """A connection or :data:`OPEN`, waiting at most ``timeout`` s for one (else ``phase``)."""
        grant = self.checkout()
        if grant is not None:
            return grant
        waiter = _EventWaiter(self._event())
        self.enqueue(waiter)
        try:
            waiter.event.wait(timeout)
        except BaseException:
            self.abandon(waiter)
            raise
        grant, waiter.grant = waiter.grant, None
        if grant is None:  # timed out: nothing was handed over
            self.abandon(waiter)
            raise timed_out(phase, timeout or 0.0)
        return grant


def _slots(limit: int) -> dict[str, Any]:
    """A pool of bare slots: no connection is ever kept, only how many are held."""
    return {
        "max_connections": limit,
        "max_keepalive": 0,
        "keepalive_expiry": 0.0,
        "usable": lambda _conn, _age: False,
        "close": lambda _conn: None,
    }


class AsyncGate:
    """At most ``limit`` holders at once, admitted in arrival order: the pool without connections.

    For engines whose own pool does not queue first come, first served
    (aiohttp's connector, httpcore's): acquire here first, so the engine never has to queue.
    """

    def __init__(self, limit: int) -> None:
        self._slots: AsyncPool[None] = AsyncPool(**_slots(limit))

    async def acquire(self, timeout: float | None, phase: TimeoutPhase = "pool") -> None:
        await self._slots.acquire(timeout, phase)

    def release(self) -> None:
        self._slots.discard(None)


class _ThreadWaiter(Waiter):
    __slots__ = ("event",)

    def __init__(self) -> None:
        super().__init__()
        self.event = threading.Event()

    def wake(self) -> None:
        self.event.set()


class ThreadGate:
    """:class:`AsyncGate` for threads (httpx's sync client): the same rules, under a lock.

    A plain ``threading.Semaphore`` is not enough: the releasing thread takes it
    straight back before the woken one runs, which starves the others.
    """

    def __init__(self, limit: int) -> None:
        self._slots: Pool[None] = Pool(**_slots(limit))
        self._lock = threading.Lock()

    def acquire(self, timeout: float | None, phase: TimeoutPhase = "pool") -> None:
        with self._lock:
            if self._slots.checkout() is not None:
                return
            waiter = _ThreadWaiter()
            self._slots.enqueue(waiter)
        try:
            waiter.event.wait(timeout)
        except BaseException:
            with self._lock:
                self._slots.abandon(waiter)  # passes on what it may have been handed
            raise
        with self._lock:
            if waiter.grant is None:  # timed out: nothing was handed over
                self._slots.abandon(waiter)
                raise timed_out(phase, timeout or 0.0)
            waiter.grant = None

    def release(self) -> None:
        with self._lock:
            self._slots.discard(None)
