"""Client speed: the reference client vs stock httpx vs raw aiohttp, side by side.

One command: ``python -m benchmarks.client_speed`` (``--quick`` for a short run).

The server (a raw ASGI app answering a ~300-byte profile, uvicorn + uvloop +
httptools) is pinned to core 0 and each driver to core 1, so client CPU per
request is the driver process's own CPU time. Every contender runs in the
same process, in an order rotated each round, and the table reports the
median over rounds plus ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import orjson

from benchmarks._harness import (
    cpu_seconds,
    free_port,
    machine,
    median,
    pin,
    ratio_table,
    round_arguments,
    server_process,
)
from client import AccountClient, PoolSettings

PATH = "/api/v1/accounts/profile/auth0%7Cbench_000001"
USER = "auth0|bench_000001"
CONCURRENCY = (1, 100)

Request = Callable[[], Awaitable[Any]]


async def _measure(request: Request, concurrency: int, count: int) -> dict[str, float]:
    latencies: list[int] = []
    left = count

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            t0 = time.perf_counter_ns()
            await request()
            latencies.append(time.perf_counter_ns() - t0)

    cpu0, t0 = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    latencies.sort()
    return {
        "rps": count / elapsed,
        "cpu_us": cpu / count * 1e6,
        "p50_ms": latencies[len(latencies) // 2] / 1e6,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] / 1e6,
    }


class Contenders:
    """Each contender opens its own pool and exposes one request coroutine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.closers: list[Callable[[], Awaitable[None]]] = []

    async def httpx_stock(self) -> Request:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        client = httpx.AsyncClient(limits=limits)
        self.closers.append(client.aclose)
        full = self.url + PATH

        async def request() -> Any:
            response = await client.get(full)
            return response.json()

        return request

    async def aiohttp_raw(self) -> Request:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        self.closers.append(session.close)
        full = self.url + PATH

        async def request() -> Any:
            async with session.get(full) as response:
                return orjson.loads(await response.read())

        return request

    async def _reference(self, transport: str) -> Request:
        pool = PoolSettings(transport=transport, max_keepalive_connections=100)  # type: ignore[arg-type]
        client = AccountClient(self.url, pool=pool)
        await client.__aenter__()
        self.closers.append(client.aclose)
        return lambda: client.get_account_profile(USER)

    async def client_lean(self) -> Request:
        return await self._reference("lean")

    async def client_aiohttp(self) -> Request:
        return await self._reference("aiohttp")

    async def client_httpx(self) -> Request:
        return await self._reference("httpx")

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


CONTENDERS = ("client_lean", "client_aiohttp", "aiohttp_raw", "httpx_stock", "client_httpx")
SLOW = {"httpx_stock", "client_httpx"}


async def _throughput(url: str, rounds: int, count: int) -> dict[str, Any]:
    results: dict[str, dict[int, list[dict[str, float]]]] = {
        name: {c: [] for c in CONCURRENCY} for name in CONTENDERS
    }
    contenders = Contenders(url)
    requests = {name: await getattr(contenders, name)() for name in CONTENDERS}
    for request in requests.values():  # warm every pool to its full size
        await _measure(request, 100, 300)
    try:
        for rnd in range(rounds):
            order = CONTENDERS[rnd % len(CONTENDERS) :] + CONTENDERS[: rnd % len(CONTENDERS)]
            for name in order:
                for concurrency in CONCURRENCY:
                    n = count // 3 if name in SLOW else count
                    results[name][concurrency].append(
                        await _measure(requests[name], concurrency, n)
                    )
    finally:
        await contenders.aclose()
    return results


async def _per_request_cost(url: str, count: int) -> dict[str, dict[str, float]]:
    """What a new client per request costs, and why: most of it is the TLS context."""
    shared_ctx = ssl.create_default_context()

    async def httpx_new_client() -> None:
        async with httpx.AsyncClient() as c:
            (await c.get(url + PATH)).json()

    async def httpx_new_client_shared_ssl() -> None:
        async with httpx.AsyncClient(verify=shared_ctx) as c:
            (await c.get(url + PATH)).json()

    def reference(**pool: Any) -> Request:
        async def request() -> None:
            async with AccountClient(url, pool=PoolSettings(**pool)) as c:
                await c.get_account_profile(USER)

        return request

    pooled = AccountClient(url)
    cases: dict[str, Request] = {
        "httpx: new AsyncClient per request": httpx_new_client,
        "httpx: new AsyncClient, shared SSL context": httpx_new_client_shared_ssl,
        "client[httpx]: client_per_request": reference(
            transport="httpx", mode="client_per_request"
        ),
        "client[aiohttp]: client_per_request": reference(
            transport="aiohttp", mode="client_per_request"
        ),
        "client[lean]: client_per_request": reference(mode="client_per_request"),
        "client[lean]: no_keepalive": reference(mode="no_keepalive"),
        "client[lean]: pooled": lambda: pooled.get_account_profile(USER),
    }
    out = {}
    async with pooled:
        for name, request in cases.items():
            await _measure(request, 1, 5)
            m = await _measure(request, 1, count)
            out[name] = {"ms_per_request": 1e3 / m["rps"], "cpu_ms": m["cpu_us"] / 1e3}
    return out


def child(url: str, loop: str, rounds: int, count: int) -> None:
    pin(1)
    runner = asyncio.run
    if loop == "uvloop":
        import uvloop

        runner = uvloop.run

    async def main() -> dict[str, Any]:
        return {
            "throughput": await _throughput(url, rounds, count),
            "per_request": await _per_request_cost(url, max(10, count // 100)),
        }

    print(json.dumps(runner(main())))


def _table(loop: str, data: dict[str, Any]) -> list[str]:
    tp = data["throughput"]

    def med(name: str, c: int, key: str) -> float:
        return median([r[key] for r in tp[name][str(c)]])

    lines = ratio_table(loop, tp, CONTENDERS, CONCURRENCY)
    c1 = med("client_lean", 1, "rps") / med("httpx_stock", 1, "rps")
    lines += ["", f"client[lean] ÷ stock httpx at concurrency 1: {c1:.2f}", ""]
    lines += ["| new client per request? | ms per request | client CPU ms |", "|---|---:|---:|"]
    for name, m in data["per_request"].items():
        lines.append(f"| {name} | {m['ms_per_request']:.2f} | {m['cpu_ms']:.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    round_arguments(parser, requests_help="per cell (slow ones: 1/3)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests = 2, 600
    if args.child:
        child(args.url, args.loop, args.rounds, args.requests)
        return
    port = free_port()
    print(f"machine: {machine()}; server pinned to core 0, driver to core 1", flush=True)
    with server_process(["-m", "benchmarks.fixed_server", str(port), "0"], port) as url:
        for loop in args.loops.split(","):
            cmd = [sys.executable, "-m", "benchmarks.client_speed", "--child", "--url", url]
            cmd += ["--loop", loop, "--rounds", str(args.rounds), "--requests", str(args.requests)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            print("\n".join(_table(loop, json.loads(out))), flush=True)


if __name__ == "__main__":
    main()
