"""Profile behaviour over a real server: capacity, faults, drops, connection cost, stats."""

from __future__ import annotations

import asyncio
import math
import socket
import statistics
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from mock_service.endpoints import GET_PROFILE, LIST_ACCOUNTS
from mock_service.seeding import seed_store, seed_user_id
from mock_service.store import AccountStore

PROFILE_PATH = "/api/v1/accounts/profile/"


def _active_ids(count: int = 10, seed: int = 42) -> list[str]:
    """Ids of the active accounts among the first ``count`` seeded ones."""
    store = AccountStore()
    seed_store(store, count, seed)
    return [a.user_id for a in store.all_accounts() if a.is_active]


ACTIVE = _active_ids()


def constant(ms: float) -> dict[str, float]:
    return {"p50": ms, "p95": ms, "p99": ms}


def binomial_bounds(n: int, p: float, k: float = 5.0) -> tuple[float, float]:
    sd = math.sqrt(n * p * (1 - p))
    return n * p - k * sd, n * p + k * sd


async def timed_get(client: httpx.AsyncClient, path: str) -> float:
    start = time.perf_counter()
    r = await client.get(path)
    assert r.status_code == 200
    return time.perf_counter() - start


async def test_capacity_one_slot_serializes(serve_mock: Callable[..., str]) -> None:
    url = serve_mock({"capacity": 1, "latency": {"get_profile": constant(50)}}, accounts=10)
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=10)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
        # open 10 connections first so connection set-up is not part of the timing
        await asyncio.gather(*(client.get("/health") for _ in range(10)))
        await client.post("/_mock/reset")
        start = time.perf_counter()
        done = await asyncio.gather(
            *(timed_get(client, PROFILE_PATH + ACTIVE[i % len(ACTIVE)]) for i in range(10))
        )
        total = time.perf_counter() - start
    # lower bounds only: a busy machine makes every one of these later, never earlier
    assert min(done) >= 0.045
    assert max(done) >= 0.48, done  # the tenth waited for nine service times
    assert max(done) >= 3 * min(done), done  # ...and the first for none: one at a time
    assert total >= 0.5
    async with httpx.AsyncClient(base_url=url) as client:
        stats = (await client.get("/_mock/stats")).json()["endpoints"][GET_PROFILE]
    assert stats["requests"] == 10
    assert stats["injected_ms"]["p50"] == pytest.approx(50)
    assert stats["slept_ms"]["p50"] >= 50  # what was slept: timers wake late, not early
    assert stats["queue_ms"]["max"] >= 400


async def test_unlimited_capacity_runs_concurrently(serve_mock: Callable[..., str]) -> None:
    url = serve_mock({"latency": {"get_profile": constant(100)}}, accounts=10)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        start = time.perf_counter()
        await asyncio.gather(
            *(timed_get(client, PROFILE_PATH + ACTIVE[i % len(ACTIVE)]) for i in range(10))
        )
        total = time.perf_counter() - start
        slept = (await client.get("/_mock/stats")).json()["endpoints"][GET_PROFILE]["slept_ms"]
    # side by side, not one after the other: the ten took about one service time of the ten
    # the server slept (in a row they would take all of them, ratio >= 1)
    assert slept["count"] == 10
    assert total < 0.5 * slept["avg"] * slept["count"] / 1000, (total, slept)


async def test_contention_stretches_service_time_by_the_usl_factor(
    serve_mock: Callable[..., str],
) -> None:
    profile = {"contention": 0.1, "coherency": 0.01, "latency": {"get_profile": constant(40)}}
    url = serve_mock(profile, accounts=10)
    limits = httpx.Limits(max_connections=5, max_keepalive_connections=5)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
        await asyncio.gather(*(client.get("/health") for _ in range(5)))
        single = await timed_get(client, PROFILE_PATH + ACTIVE[0])
        await client.post("/_mock/reset")
        done = await asyncio.gather(
            *(timed_get(client, PROFILE_PATH + ACTIVE[i % len(ACTIVE)]) for i in range(5))
        )
        stats = (await client.get("/_mock/stats")).json()["endpoints"][GET_PROFILE]
    # the k-th to start shares the service with k-1 others: 40 ms * (1 + .1(k-1) + .01k(k-1))
    expected = sorted(40 * (1 + 0.1 * (k - 1) + 0.01 * k * (k - 1)) for k in range(1, 6))
    assert single >= 0.038
    # the fifth was stretched for five in service at once: all five ran side by side
    assert stats["injected_ms"]["max"] == pytest.approx(expected[-1], rel=0.01)  # 64 ms
    assert stats["injected_ms"]["avg"] == pytest.approx(sum(expected) / 5, rel=0.01)
    assert max(done) >= expected[-1] / 1000  # and the client waited for the stretched time


def _statuses(url: str, n: int, path: str) -> tuple[Counter, list]:
    """Send n GETs in order; count statuses ('error' for transport errors), keep Retry-After."""
    counts: Counter = Counter()
    retry_after: list[str | None] = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(n):
            try:
                r = client.get(path)
            except httpx.TransportError:
                counts["error"] += 1
                continue
            counts[r.status_code] += 1
            if r.status_code in (429, 503):
                retry_after.append(r.headers.get("retry-after"))
    return counts, retry_after


def test_error_rates_and_retry_after(serve_mock: Callable[..., str]) -> None:
    faults = {"error_503_rate": 0.1, "error_429_rate": 0.05, "retry_after_s": 3}
    url = serve_mock({"seed": 5, "faults": faults}, accounts=10)
    n = 2000
    counts, retry_after = _statuses(url, n, PROFILE_PATH + ACTIVE[0])
    assert sum(counts.values()) == n
    lo, hi = binomial_bounds(n, 0.1)
    assert lo <= counts[503] <= hi, counts
    lo, hi = binomial_bounds(n, 0.05)
    assert lo <= counts[429] <= hi, counts
    assert counts[200] == n - counts[503] - counts[429]
    assert retry_after and set(retry_after) == {"3"}
    stats = httpx.get(url + "/_mock/stats").json()
    assert stats["endpoints"][GET_PROFILE]["status"] == {
        str(code): counts[code] for code in (200, 429, 503)
    }
    assert stats["totals"]["requests"] == n


def _raw_get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
        return data


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_drop_closes_the_connection(serve_mock: Callable[..., str], loop: str) -> None:
    url = serve_mock({"faults": {"drop_rate": 1.0}}, accounts=10, loop=loop)
    with httpx.Client(base_url=url, timeout=5) as client:
        for _ in range(3):
            with pytest.raises(httpx.TransportError):
                client.get(PROFILE_PATH + ACTIVE[0])
        assert client.get("/health").status_code == 200  # only API paths get faults
        stats = client.get("/_mock/stats").json()["endpoints"][GET_PROFILE]
    assert stats["status"] == {"dropped": 3}
    port = int(url.rsplit(":", 1)[1])
    assert _raw_get(port, PROFILE_PATH + ACTIVE[0]) == b""  # no bytes at all: no 500


def test_drop_rate(serve_mock: Callable[..., str]) -> None:
    url = serve_mock({"seed": 9, "faults": {"drop_rate": 0.2}}, accounts=10)
    n = 600
    counts, _ = _statuses(url, n, PROFILE_PATH + ACTIVE[0])
    lo, hi = binomial_bounds(n, 0.2)
    assert lo <= counts["error"] <= hi, counts
    assert counts[200] + counts["error"] == n
    stats = httpx.get(url + "/_mock/stats").json()["endpoints"][GET_PROFILE]
    assert stats["status"].get("dropped", 0) == counts["error"]


def test_slow_answers_exceed_a_client_timeout(serve_mock: Callable[..., str]) -> None:
    url = serve_mock({"faults": {"slow_rate": 1.0, "slow_ms": 400}}, accounts=10)
    with httpx.Client(base_url=url, timeout=0.15) as client, pytest.raises(httpx.ReadTimeout):
        client.get(PROFILE_PATH + ACTIVE[0])
    with httpx.Client(base_url=url, timeout=5) as client:
        start = time.perf_counter()
        assert client.get(PROFILE_PATH + ACTIVE[0]).status_code == 200
        assert time.perf_counter() - start >= 0.4
        stats = client.get("/_mock/stats").json()["endpoints"][GET_PROFILE]
    assert stats["injected_ms"]["max"] == pytest.approx(400)


def test_new_connection_cost(serve_mock: Callable[..., str]) -> None:
    url = serve_mock({"new_connection_ms": 120}, accounts=10)
    path = PROFILE_PATH + ACTIVE[0]
    for _ in range(2):
        with httpx.Client(base_url=url, timeout=5) as client:
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            first = time.perf_counter() - start
            later = []
            for _ in range(5):
                start = time.perf_counter()
                client.get(path)
                later.append(time.perf_counter() - start)
        assert first >= 0.12  # a new connection pays its cost...
        assert statistics.median(later) < first / 2, (first, later)  # ...a kept one does not
    with httpx.Client(base_url=url, timeout=5) as client:
        stats = client.get("/_mock/stats").json()
    assert stats["connections_opened"] == 2  # /_mock/ requests are not tracked
    assert stats["endpoints"][GET_PROFILE]["connect_ms"]["count"] == 2
    assert stats["endpoints"][GET_PROFILE]["requests"] == 12


async def test_stats_ground_truth(serve_mock: Callable[..., str]) -> None:
    latency = {"get_profile": {"p50": 20, "p95": 40, "p99": 60}, "list": constant(5)}
    url = serve_mock({"seed": 3, "latency": latency}, accounts=100)
    n = 700
    sent: Counter = Counter()

    async def one(client: httpx.AsyncClient, i: int) -> None:
        if i % 10 == 0:
            r = await client.get("/api/v1/accounts", params={"page_size": 5})
            sent[(LIST_ACCOUNTS, r.status_code)] += 1
        else:
            user = seed_user_id(i % 60)  # ids 50..59 do not exist: 404s
            r = await client.get(PROFILE_PATH + user)
            sent[(GET_PROFILE, r.status_code)] += 1

    jobs = iter(range(n))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in jobs:
            await one(client, i)

    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(20)))
        stats = (await client.get("/_mock/stats")).json()
    for endpoint in (GET_PROFILE, LIST_ACCOUNTS):
        mine = {str(code): k for (e, code), k in sent.items() if e == endpoint}
        assert stats["endpoints"][endpoint]["status"] == mine
        assert stats["endpoints"][endpoint]["requests"] == sum(mine.values())
    assert stats["totals"]["requests"] == n
    assert stats["endpoints"][GET_PROFILE]["status"]["404"] == sent[(GET_PROFILE, 404)] > 0
    injected = stats["endpoints"][GET_PROFILE]["injected_ms"]
    assert injected["count"] == n - n // 10
    assert injected["p50"] == pytest.approx(20, rel=0.1)
    assert injected["p95"] == pytest.approx(40, rel=0.15)
    assert injected["p99"] == pytest.approx(60, rel=0.3)
    assert stats["endpoints"][LIST_ACCOUNTS]["injected_ms"]["max"] == pytest.approx(5)


def test_fault_sequence_is_deterministic_and_reset_replays_it(
    serve_mock: Callable[..., str],
) -> None:
    profile = {"seed": 21, "faults": {"error_503_rate": 0.3, "error_429_rate": 0.2}}
    urls = [serve_mock(profile, accounts=10), serve_mock(profile, accounts=10)]
    sequences = []
    for url in [*urls, urls[0]]:
        with httpx.Client(base_url=url, timeout=5) as client:
            sequences.append([client.get(PROFILE_PATH + ACTIVE[0]).status_code for _ in range(60)])
            client.post("/_mock/reset")
    assert sequences[0] == sequences[1] == sequences[2]
    assert set(sequences[0]) == {200, 429, 503}


def test_reset(serve_mock: Callable[..., str]) -> None:
    with httpx.Client(base_url=serve_mock("fast", accounts=10), timeout=5) as client:
        client.post(
            "/api/v1/accounts/ensure", json={"user_id": "x", "email": "x@x.io", "name": "X"}
        )
        assert client.get("/_mock/stats").json()["totals"]["requests"] == 1
        assert client.post("/_mock/reset").json()["accounts"] == 11
        assert client.get("/_mock/stats").json()["totals"]["requests"] == 0
        assert client.get(PROFILE_PATH + "x").status_code == 200
        assert client.post("/_mock/reset", params={"reseed_store": True}).json()["accounts"] == 10
        assert client.get(PROFILE_PATH + "x").status_code == 404


def test_token_auth(serve_mock: Callable[..., str]) -> None:
    url = serve_mock("fast", accounts=10, require_token="s3cret")
    path = PROFILE_PATH + ACTIVE[0]
    with httpx.Client(base_url=url, timeout=5) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            r = client.get(path, headers=headers)
            assert r.status_code == 401
            assert r.json()["detail"]
            assert r.headers["www-authenticate"] == "Bearer"
        r = client.post("/api/v1/accounts/ensure", json={})
        assert r.status_code == 401
        assert client.get("/api/v1/nothing/here").status_code == 401
        ok = client.get(path, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert ok.json()["user_id"] == ACTIVE[0]
        assert client.get("/health").status_code == 200
        assert client.get("/health/detailed").status_code == 200
        assert client.get("/docs").status_code == 200
        assert client.get("/_mock/stats").status_code == 200  # control plane stays open
