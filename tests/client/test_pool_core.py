"""The shared pool's rules, driven directly: no sockets, a fake clock, recording waiters."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from client.errors import AccountTimeoutError
from client.transports.pool import OPEN, AsyncGate, AsyncPool, Pool, Waiter


class Conn:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    def __repr__(self) -> str:
        return self.name


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recorder(Waiter):
    """A waiter that only notes it was woken (the engines' wrappers wake a future or an event)."""

    __slots__ = ("woken",)

    def __init__(self) -> None:
        super().__init__()
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def make_pool(
    max_connections: int = 2, max_keepalive: int | None = None, expiry: float = 60.0
) -> tuple[Pool[Conn], Clock, list[Conn]]:
    clock = Clock()
    closed: list[Conn] = []

    def close(conn: Conn) -> None:
        conn.closed = True
        closed.append(conn)

    pool: Pool[Conn] = Pool(
        max_connections=max_connections,
        max_keepalive=max_connections if max_keepalive is None else max_keepalive,
        keepalive_expiry=expiry,
        usable=lambda conn, _idle: not conn.closed,
        close=close,
        clock=clock,
    )
    return pool, clock, closed


def queue(pool: Pool[Conn], n: int) -> list[Recorder]:
    waiters = []
    for _ in range(n):
        assert pool.checkout() is None
        waiter = Recorder()
        pool.enqueue(waiter)
        waiters.append(waiter)
    return waiters


def test_slots_up_to_max_connections_then_queue() -> None:
    pool, _, _ = make_pool(max_connections=2)
    assert pool.checkout() is OPEN and pool.checkout() is OPEN
    assert pool.checkout() is None
    assert pool.connections == 2 and pool.idle == 0


def test_a_freed_connection_goes_to_the_oldest_waiter_not_to_the_releaser() -> None:
    pool, _, _ = make_pool(max_connections=1)
    assert pool.checkout() is OPEN
    a = Conn("a")
    first, second = queue(pool, 2)
    pool.checkin(a, reuse=True)
    assert (first.grant, first.woken) == (a, 1)
    assert second.grant is None and second.woken == 0
    # the releasing task comes straight back: it queues behind the second waiter
    assert pool.checkout() is None
    assert pool.idle == 0 and pool.waiting == 1


def test_a_newcomer_cannot_take_an_idle_connection_while_others_wait() -> None:
    pool, _, _ = make_pool(max_connections=1)
    assert pool.checkout() is OPEN
    (waiter,) = queue(pool, 1)
    assert pool.checkout() is None  # queued behind, even before anything is freed
    pool.checkin(Conn("a"), reuse=True)
    assert waiter.grant is not None


def test_a_closed_connection_hands_its_slot_to_the_oldest_waiter() -> None:
    pool, _, closed = make_pool(max_connections=1)
    assert pool.checkout() is OPEN
    first, _second = queue(pool, 2)
    a = Conn("a")
    pool.checkin(a, reuse=False)  # e.g. "Connection: close"
    assert closed == [a]
    assert first.grant is OPEN and pool.connections == 1


def test_a_failed_connect_hands_its_slot_on() -> None:
    pool, _, _ = make_pool(max_connections=1)
    assert pool.checkout() is OPEN
    (waiter,) = queue(pool, 1)
    pool.discard(None)
    assert waiter.grant is OPEN and pool.connections == 1
    pool.discard(None)  # the waiter's connect failed too, nobody waits
    assert pool.connections == 0 and pool.checkout() is OPEN


def test_an_abandoned_waiter_passes_its_connection_to_the_next() -> None:
    pool, _, _ = make_pool(max_connections=1)
    assert pool.checkout() is OPEN
    first, second = queue(pool, 2)
    a = Conn("a")
    pool.checkin(a, reuse=True)
    assert first.grant is a
    pool.abandon(first)  # cancelled after it was woken, before it ran
    assert second.grant is a and second.woken == 1
    assert first.grant is None


def test_an_abandoned_slot_goes_back_when_nobody_waits() -> None:
    pool, _, _ = make_pool(max_connections=1)
    assert pool.checkout() is OPEN
    (waiter,) = queue(pool, 1)
    pool.discard(Conn("a"))
    assert waiter.grant is OPEN
    pool.abandon(waiter)
    assert pool.connections == 0 and pool.waiting == 0


def test_an_abandoned_connection_goes_idle_when_nobody_waits() -> None:
    pool, _, _ = make_pool(max_connections=1)
    assert pool.checkout() is OPEN
    (waiter,) = queue(pool, 1)
    a = Conn("a")
    pool.checkin(a, reuse=True)
    pool.abandon(waiter)
    assert pool.idle == 1 and pool.checkout() is a


def test_a_waiter_that_gives_up_empty_handed_leaves_the_queue() -> None:
    pool, _, _ = make_pool(max_connections=1)
    assert pool.checkout() is OPEN
    first, second = queue(pool, 2)
    pool.abandon(first)
    assert pool.waiting == 1
    pool.checkin(Conn("a"), reuse=True)
    assert second.grant is not None and first.woken == 0


def test_keepalive_limit_closes_the_surplus_on_release() -> None:
    pool, _, closed = make_pool(max_connections=3, max_keepalive=1)
    conns = [Conn(n) for n in "abc"]
    for _ in conns:
        assert pool.checkout() is OPEN
    for conn in conns:
        pool.checkin(conn, reuse=True)
    assert pool.idle == 1 and closed == conns[1:]
    assert pool.connections == 1


def test_idle_connections_are_handed_out_newest_first() -> None:
    pool, _, _ = make_pool()
    a, b = Conn("a"), Conn("b")
    assert pool.checkout() is OPEN and pool.checkout() is OPEN
    pool.checkin(a, reuse=True)
    pool.checkin(b, reuse=True)
    assert pool.checkout() is b and pool.checkout() is a


def test_expired_idle_connections_are_closed_not_handed_out() -> None:
    pool, clock, closed = make_pool(expiry=5.0)
    a = Conn("a")
    assert pool.checkout() is OPEN
    pool.checkin(a, reuse=True)
    clock.now = 5.0
    assert pool.checkout() is OPEN  # a new connection in a's slot
    assert closed == [a] and pool.connections == 1


def test_expired_idle_connections_are_closed_when_others_come_back() -> None:
    pool, clock, closed = make_pool(expiry=5.0)
    a, b = Conn("a"), Conn("b")
    assert pool.checkout() is OPEN and pool.checkout() is OPEN
    pool.checkin(a, reuse=True)
    clock.now = 6.0
    pool.checkin(b, reuse=True)
    assert closed == [a] and pool.idle == 1 and pool.connections == 1


def test_a_connection_the_server_closed_while_idle_is_not_handed_out() -> None:
    pool, _, closed = make_pool()
    a = Conn("a")
    assert pool.checkout() is OPEN
    pool.checkin(a, reuse=True)
    a.closed = True  # what the protocol learns when the server closes it
    assert pool.checkout() is OPEN
    assert closed == [a] and pool.connections == 1


def test_after_close_returned_connections_are_closed() -> None:
    pool, _, closed = make_pool()
    a, b = Conn("a"), Conn("b")
    assert pool.checkout() is OPEN and pool.checkout() is OPEN
    pool.checkin(a, reuse=True)
    pool.close()
    pool.checkin(b, reuse=True)
    assert closed == [a, b] and pool.connections == 0


@pytest.mark.parametrize("limits", [(0, 0), (2, 3)])
def test_limits_are_checked(limits: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="max_connections"):
        make_pool(*limits)


# -- the asyncio wrapper: real futures and cancellation, still no sockets ------------------


def _async_pool(max_connections: int = 1) -> AsyncPool[Any]:
    return AsyncPool(
        max_connections=max_connections,
        max_keepalive=max_connections,
        keepalive_expiry=60.0,
        usable=lambda _c, _i: True,
        close=lambda _c: None,
    )


async def test_fifo_order_under_asyncio() -> None:
    pool = _async_pool()
    assert await pool.acquire(None) is OPEN
    order: list[int] = []

    async def worker(i: int) -> None:
        conn = await pool.acquire(None)
        order.append(i)
        await asyncio.sleep(0)
        pool.checkin(conn, reuse=True)

    tasks = [asyncio.create_task(worker(i)) for i in range(5)]
    await asyncio.sleep(0)  # all five queue, in order
    pool.checkin("conn", reuse=True)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]


async def test_a_cancelled_waiter_that_was_woken_passes_the_connection_on() -> None:
    pool = _async_pool()
    assert await pool.acquire(None) is OPEN
    first = asyncio.create_task(pool.acquire(None))
    second = asyncio.create_task(pool.acquire(None))
    await asyncio.sleep(0)
    pool.checkin("conn", reuse=True)  # handed to `first`, which has not run yet
    first.cancel()
    assert await asyncio.wait_for(second, 5) == "conn"
    assert first.cancelled()


async def test_pool_timeout_raises_a_pool_timeout_and_leaves_the_queue() -> None:
    pool = _async_pool()
    assert await pool.acquire(None) is OPEN
    with pytest.raises(AccountTimeoutError) as caught:
        await pool.acquire(0.05)
    assert caught.value.phase == "pool"
    assert pool.waiting == 0


async def test_the_gate_admits_in_arrival_order() -> None:
    gate = AsyncGate(2)
    await gate.acquire(None)
    await gate.acquire(None)
    admitted: list[int] = []

    async def enter(i: int) -> None:
        await gate.acquire(None)
        admitted.append(i)

    tasks = [asyncio.create_task(enter(i)) for i in range(4)]
    await asyncio.sleep(0)
    for _ in range(4):
        gate.release()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert admitted == [0, 1, 2, 3]
