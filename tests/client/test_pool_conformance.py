"""One set of pool and timeout rules, checked on every engine against real servers.

Each case runs on the async engines (``lean``, ``aiohttp``, ``httpx``, driven
by asyncio tasks), on ``gevent`` (greenlets, as Locust runs its users) and on
the sync ``httpx`` engine (threads): switching engines may change what a
request costs, never how the pool queues, reuses, re-sends or times out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
from collections.abc import Callable

import gevent
import pytest

from client import (
    AccountTimeoutError,
    AccountTransportError,
    PoolSettings,
    RequestRecord,
    Timeouts,
)
from tests._live_server import LiveServer
from tests.client._engines import ENGINES, Engine
from tests.client._pool_servers import (
    FullBacklog,
    ServiceApp,
    SilentServer,
    TrickleApp,
    closes_after_answering,
    cuts_the_body,
    drops_the_second_request,
    stalls_after_the_head,
)

LiveServerFactory = Callable[..., LiveServer]

engines = pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.name)


def engines_but(**gaps: str) -> pytest.MarkDecorator:
    """Every engine; those named fail as expected, for the reason given (a documented gap).

    ``strict``: the day an engine closes its gap, the suite says so.
    """
    params = [
        pytest.param(
            engine,
            id=engine.name,
            marks=[pytest.mark.xfail(strict=True, reason=gaps[engine.name])]
            if engine.name in gaps
            else [],
        )
        for engine in ENGINES
    ]
    return pytest.mark.parametrize("engine", params)


cancellable = pytest.mark.parametrize(
    "engine", [e for e in ENGINES if e.can_cancel], ids=lambda e: e.name
)

DEFAULT = PoolSettings()
ONE = PoolSettings(max_connections=1, max_keepalive_connections=1)
NEW_ACCOUNT = ("auth0|c1", "c1@example.com", "C One")


def timed(base: PoolSettings = DEFAULT, /, **phases: float) -> PoolSettings:
    """``base`` with the given phase timeouts (seconds), under the attempt's ``timeout=``."""
    return dataclasses.replace(base, timeouts=Timeouts(**phases))


# -- queueing ------------------------------------------------------------------------------

WORKERS = 100
CONNECTIONS = 10
SERVICE_TIME = 0.02
#: a fair queue's wait at the server's pace: each worker waits its turn behind the others
QUEUEING_BOUND = WORKERS / CONNECTIONS * SERVICE_TIME
WINDOW = 2.5  # > 10 x the bound: a request that waits out the window fails the test
BUDGET = 400  # per worker: out of reach (10 connections x 20 ms allow 1,250 in the window)


@engines
def test_every_worker_gets_its_turn(engine: Engine, live_server: LiveServerFactory) -> None:
    """100 closed-loop workers on 10 connections: a FIFO queue, not a race for the freed one.

    In a first-come-first-served queue every request waits about the queueing
    bound, (workers / connections) x service time. A pool where the releasing
    caller (or a newcomer) takes a freed connection before the oldest waiter
    lets a few workers run the whole window while the others wait it out; the
    median alone hides that, the slowest worker and the longest wait do not.
    The bound is taken at the service rate the engine reached (a client whose
    own cost slows every turn lengthens every wait alike, and a busy machine
    does too); the limit, 3x that, leaves room for stalls and stays far below
    the window.
    """
    app = ServiceApp(service_time=SERVICE_TIME)
    url = live_server(app).url
    pool = PoolSettings(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    with engine.session(url, pool, max_retries=0, timeout=30) as session:
        workers = session.run_workers(WORKERS, WINDOW, BUDGET, "get_account_profile", "u1")
    outcomes = [o for w in workers for o in w.outcomes]
    assert all(o.ok for o in outcomes), {type(o.error).__name__ for o in outcomes if not o.ok}
    assert app.max_in_flight <= CONNECTIONS
    counts = sorted(w.count for w in workers)
    latencies = sorted(o.latency for o in outcomes)
    # Little's law: the mean wait of a closed loop is workers / throughput
    bound = max(QUEUEING_BOUND, WORKERS * WINDOW / len(outcomes))
    summary = (
        f"requests per worker min {counts[0]} median {counts[len(counts) // 2]} "
        f"max {counts[-1]}; latency p50 {latencies[len(latencies) // 2] * 1e3:.0f} ms, "
        f"max {latencies[-1] * 1e3:.0f} ms; queueing bound {bound * 1e3:.0f} ms"
    )
    assert bound * 5 < WINDOW, f"too slow to judge the queue in this window: {summary}"
    assert counts[0] >= statistics.fmean(counts) / 4, summary
    assert latencies[-1] <= 3 * bound, summary


@cancellable
@pytest.mark.parametrize("moment", ["while_waiting", "when_handed_the_connection"])
def test_a_cancelled_waiter_passes_its_turn_on(
    engine: Engine, moment: str, live_server: LiveServerFactory
) -> None:
    """A waiter cancelled in the queue, or just as the connection is handed to it, hangs nobody.

    The sync httpx engine is not here: a thread blocked in a call cannot be
    cancelled (its waiters leave by timing out, the next test).
    """
    # a kill reaches a greenlet at its next switch: with an answer that takes a
    # while, that switch is the wait for it, never after the call has finished
    app = ServiceApp(service_time=0.02)
    url = live_server(app).url
    with engine.session(url, ONE, max_retries=0, timeout=5) as session:
        app.hold()
        holder = session.spawn("get_account_profile", "u1")
        session.wait_until(lambda: app.in_flight == 1)
        first = session.spawn("get_account_profile", "u1")
        session.sleep(0.05)  # nothing announces "queued": let it reach the queue first
        rest = [session.spawn("get_account_profile", "u1") for _ in range(3)]
        session.sleep(0.05)
        if moment == "while_waiting":
            session.cancel(first)
            session.wait_until(lambda: session.done(first))
        else:
            # the holder's record comes after its connection went back to the pool,
            # i.e. after the first waiter was given it but before that waiter ran
            cancelled: list[RequestRecord] = []

            def cancel_first(record: RequestRecord) -> None:
                if not cancelled:
                    cancelled.append(record)
                    session.cancel(first)

            session.client.metrics.subscribe(cancel_first)
        app.open_gate()
        held, gone, *others = session.join(holder, first, *rest)
    assert held.ok
    assert isinstance(gone.error, asyncio.CancelledError | gevent.GreenletExit), gone
    errors = [type(o.error).__name__ for o in others if not o.ok]
    assert not errors, f"the waiters behind the cancelled one failed: {errors}"


@engines
def test_a_timed_out_waiter_passes_its_turn_on(
    engine: Engine, live_server: LiveServerFactory
) -> None:
    """A waiter whose pool timeout runs out leaves the queue; the one behind it is served."""
    app = ServiceApp()
    url = live_server(app).url
    pool = timed(ONE, pool=1.0, connect=5, read=5, write=5)
    with engine.session(url, pool, max_retries=0, timeout=10) as session:
        app.hold()
        holder = session.spawn("get_account_profile", "u1")
        session.wait_until(lambda: app.in_flight == 1)
        early = session.spawn("get_account_profile", "u1")
        session.sleep(0.5)
        late = session.spawn("get_account_profile", "u1")  # half a pool timeout behind
        session.wait_until(lambda: session.done(early))
        app.open_gate()
        held, timed_out, served = session.join(holder, early, late)
    assert isinstance(timed_out.error, AccountTimeoutError), timed_out
    assert timed_out.error.phase == "pool"
    assert held.ok and served.ok, (held, served)
    assert app.requests == 2


@engines
def test_pool_timeout(engine: Engine, live_server: LiveServerFactory) -> None:
    """One connection, held: the next request gives up after the pool timeout, never sent."""
    app = ServiceApp()
    url = live_server(app).url
    pool = timed(ONE, pool=0.2, connect=5, read=5, write=5)
    with engine.session(url, pool, max_retries=0, timeout=10) as session:
        app.hold()
        holder = session.spawn("get_account_profile", "u1")
        session.wait_until(lambda: app.in_flight == 1)
        refused = session.call("get_account_profile", "u1")
        app.open_gate()
        [held] = session.join(holder)
    assert held.ok
    assert isinstance(refused.error, AccountTimeoutError), refused
    assert refused.error.phase == "pool"
    assert app.requests == 1


# -- keep-alive -----------------------------------------------------------------------------


@engines_but(
    aiohttp="aiohttp's connector keeps every idle connection up to max_connections: "
    "max_keepalive_connections is not enforced (docs/engines.md)"
)
def test_keepalive_limit(engine: Engine, live_server: LiveServerFactory) -> None:
    """Ten at once on max_connections=10, max_keepalive_connections=2: two stay open."""
    app = ServiceApp()
    url = live_server(app).url
    pool = PoolSettings(max_connections=10, max_keepalive_connections=2)
    with engine.session(url, pool, max_retries=0, timeout=10) as session:
        for _ in range(2):
            app.hold()
            burst = [session.spawn("get_account_profile", "u1") for _ in range(10)]
            session.wait_until(lambda: app.in_flight == 10)
            app.open_gate()
            assert all(o.ok for o in session.join(*burst))
        first, second = session.records[:10], session.records[10:]
    assert [r.new_connection for r in first] == [True] * 10
    assert sum(bool(r.new_connection) for r in second) == 8
    assert app.connections == 18


@engines
def test_keepalive_expiry(engine: Engine, live_server: LiveServerFactory) -> None:
    """A connection idle past keepalive_expiry is not reused; the new one is."""
    app = ServiceApp()
    url = live_server(app).url
    with engine.session(url, PoolSettings(keepalive_expiry=0.2), max_retries=0) as session:
        for _ in range(2):
            assert session.call("get_account_profile", "u1").ok
            assert session.call("get_account_profile", "u1").ok
            session.sleep(0.4)  # idle past the expiry (a timer has no readiness line)
        flags = [r.new_connection for r in session.records]
    assert flags == [True, False, True, False]
    assert app.connections == 2


# -- connections the server closed ------------------------------------------------------------


@engines
@pytest.mark.parametrize(
    "call",
    [("get_account_profile", "u1"), ("update_account_profile", "u1", "New Name")],
    ids=["GET", "PUT"],
)
def test_an_idempotent_request_on_a_dropped_connection_is_re_sent(
    engine: Engine, call: tuple[str, ...]
) -> None:
    """The server drops a kept-alive connection as the next request arrives: re-sent once, fresh.

    GET and PUT mean the same done twice as once (RFC 9110 9.2.2), so the pool
    re-sends them inside the same attempt; the caller sees one clean answer.
    """
    with (
        drops_the_second_request() as server,
        engine.session(server.url, max_retries=0) as session,
    ):
        assert session.call("get_account_profile", "u1").ok
        again = session.call(*call)
        record = session.records[-1]
    assert again.ok, again
    assert record.attempts == 1 and record.new_connection is True  # the pool's re-send
    assert (server.requests, server.connections) == (3, 2)


@engines
def test_a_post_that_may_have_been_processed_is_not_re_sent(engine: Engine) -> None:
    """ensure_account is a POST: once the server has read it, only the caller may retry it."""
    with (
        drops_the_second_request() as server,
        engine.session(server.url, max_retries=0) as session,
    ):
        assert session.call("get_account_profile", "u1").ok
        posted = session.call("ensure_account", *NEW_ACCOUNT)
    assert isinstance(posted.error, AccountTransportError), posted
    assert server.requests == 2  # the POST reached the server exactly once


@engines
def test_a_connection_closed_while_idle_is_not_used(engine: Engine) -> None:
    """Closed by the server before the request: nothing was processed, even a POST goes fresh."""
    with (
        closes_after_answering() as server,
        engine.session(server.url, max_retries=0) as session,
    ):
        assert session.call("get_account_profile", "u1").ok
        session.wait_until(lambda: server.closed == 1)
        session.sleep(0.05)  # idle a moment after the close, as a pooled connection would be
        posted = session.call("ensure_account", *NEW_ACCOUNT)
        record = session.records[-1]
    assert posted.ok, posted
    assert record.attempts == 1 and record.new_connection is True
    assert (server.requests, server.connections) == (2, 2)


@engines
def test_a_body_cut_short_is_a_transport_error_and_frees_the_connection(engine: Engine) -> None:
    """Content-Length 100, ten bytes, close: an error (not a hang, not half a JSON), slot back."""
    with (
        cuts_the_body() as server,
        engine.session(server.url, ONE, max_retries=0, timeout=10) as session,
    ):
        cut = session.call("get_account_profile", "u1")
        after = session.call("get_account_profile", "u1")
    assert type(cut.error) is AccountTransportError, cut
    assert after.ok, after
    assert server.connections == 2


# -- each timeout -------------------------------------------------------------------------------


@engines
def test_connect_timeout(engine: Engine) -> None:
    with (
        FullBacklog() as server,
        engine.session(
            server.url, timed(connect=0.2, read=5, write=5, pool=5), max_retries=0, timeout=3
        ) as session,
    ):
        outcome = session.call("get_account_profile", "u1")
    assert isinstance(outcome.error, AccountTimeoutError), outcome
    assert outcome.error.phase == "connect"
    assert outcome.latency < 1.5  # well before the attempt's 3 s: the connect limit fired


@engines
@pytest.mark.parametrize("server_kind", ["stalls_after_the_head", "never_answers"])
def test_read_timeout(engine: Engine, server_kind: str) -> None:
    server = stalls_after_the_head() if server_kind == "stalls_after_the_head" else SilentServer()
    with (
        server,
        engine.session(
            server.url, timed(read=0.2, connect=5, write=5, pool=5), max_retries=0, timeout=3
        ) as session,
    ):
        outcome = session.call("get_account_profile", "u1")
    assert isinstance(outcome.error, AccountTimeoutError), outcome
    assert outcome.error.phase == "read"
    assert outcome.latency < 1.5


@engines_but(
    aiohttp="aiohttp has no write timeout: a stalled write ends at the attempt's deadline, "
    "phase 'total' (docs/engines.md)"
)
def test_write_timeout(engine: Engine) -> None:
    """A request far larger than the socket buffers, to a server that never reads."""
    huge_name = "n" * (16 * 1024 * 1024)
    with (
        SilentServer() as server,
        engine.session(
            server.url, timed(write=0.2, connect=5, read=5, pool=5), max_retries=0, timeout=3
        ) as session,
    ):
        outcome = session.call("ensure_account", "auth0|w1", "w1@example.com", huge_name)
    assert isinstance(outcome.error, AccountTimeoutError), outcome
    assert outcome.error.phase == "write"
    assert outcome.latency < 1.5


@engines
def test_attempt_deadline(engine: Engine, live_server: LiveServerFactory) -> None:
    """One byte every 100 ms: no read is slow, the attempt is; its deadline stops it."""
    url = live_server(TrickleApp(length=100, interval=0.1)).url
    pool = timed(read=0.5, connect=5, write=5, pool=5)
    with engine.session(url, pool, max_retries=0, timeout=1.0) as session:
        outcome = session.call("get_account_profile", "u1")
    assert isinstance(outcome.error, AccountTimeoutError), outcome
    assert outcome.error.phase == "total"
    assert outcome.latency < 5.0  # the whole answer would take 10 s
