"""TLS speed: the reference client (lean engine) vs raw aiohttp, both over https, side by side.

One command: ``python -m benchmarks.tls_speed`` (``--quick`` for a short run).

The server is ``benchmarks.fixed_server``'s app (a ~300-byte profile, uvicorn
+ uvloop + httptools) on https with a certificate from a throwaway trustme
CA, pinned to core 0; the driver runs on core 1, so client CPU per request
is the driver process's own CPU time. Both contenders trust the CA the same
way (a file), run in the same process in an order rotated each round, and
the tables give the median over rounds and ratios measured in the same run.
The new-connection rows send one request per TLS connection (``no_keepalive``
vs aiohttp's ``force_close``) against the same pools kept alive: the
difference is what a TLS connection costs a request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson

from benchmarks._harness import (
    free_port,
    machine,
    median,
    pin,
    ratio_table,
    round_arguments,
    server_process,
)
from benchmarks.client_speed import PATH, USER, _measure
from client import AccountClient, PoolSettings
from mock_service.certs import temporary_tls

CONCURRENCY = (1, 100)
CONTENDERS = ("client_lean", "aiohttp_raw")

Request = Callable[[], Awaitable[Any]]


class Contenders:
    """Each contender's pooled request and its one-TLS-connection-per-request twin."""

    def __init__(self, url: str, ca_cert: str) -> None:
        self.url = url
        self.ca_cert = ca_cert
        self.closers: list[Callable[[], Awaitable[None]]] = []

    async def client_lean(self, keepalive: bool) -> Request:
        pool = PoolSettings(
            max_keepalive_connections=100,
            ca_cert=self.ca_cert,
            mode="pooled" if keepalive else "no_keepalive",
        )
        client = AccountClient(self.url, pool=pool)
        await client.__aenter__()
        self.closers.append(client.aclose)
        return lambda: client.get_account_profile(USER)

    async def aiohttp_raw(self, keepalive: bool) -> Request:
        context = ssl.create_default_context(cafile=self.ca_cert)
        connector = aiohttp.TCPConnector(limit=100, ssl=context, force_close=not keepalive)
        session = aiohttp.ClientSession(connector=connector)
        self.closers.append(session.close)
        full = self.url + PATH

        async def request() -> Any:
            async with session.get(full) as response:
                return orjson.loads(await response.read())

        return request

    async def aclose(self) -> None:
        for close in self.closers:
            await close()


async def _rounds(url: str, ca_cert: str, rounds: int, count: int) -> dict[str, Any]:
    pooled: dict[str, dict[int, list[dict[str, float]]]] = {
        name: {c: [] for c in CONCURRENCY} for name in CONTENDERS
    }
    fresh: dict[str, list[dict[str, float]]] = {name: [] for name in CONTENDERS}
    contenders = Contenders(url, ca_cert)
    kept = {name: await getattr(contenders, name)(True) for name in CONTENDERS}
    single = {name: await getattr(contenders, name)(False) for name in CONTENDERS}
    for name in CONTENDERS:  # warm every pool to its full size, and each code path
        await _measure(kept[name], 100, 300)
        await _measure(single[name], 1, 10)
    try:
        for rnd in range(rounds):
            order = CONTENDERS[rnd % 2 :] + CONTENDERS[: rnd % 2]
            for name in order:
                for concurrency in CONCURRENCY:
                    pooled[name][concurrency].append(await _measure(kept[name], concurrency, count))
                fresh[name].append(await _measure(single[name], 1, max(20, count // 20)))
    finally:
        await contenders.aclose()
    return {"pooled": pooled, "fresh": fresh}


def child(url: str, ca_cert: str, loop: str, rounds: int, count: int) -> None:
    pin(1)
    runner = asyncio.run
    if loop == "uvloop":
        import uvloop

        runner = uvloop.run
    print(json.dumps(runner(_rounds(url, ca_cert, rounds, count))))


def _table(loop: str, data: dict[str, Any]) -> list[str]:
    pooled, fresh = data["pooled"], data["fresh"]

    def med(name: str, c: int, key: str) -> float:
        return median([r[key] for r in pooled[name][str(c)]])

    def fresh_med(name: str, key: str) -> float:
        return median([r[key] for r in fresh[name]])

    lines = ratio_table(loop, pooled, CONTENDERS, CONCURRENCY, what="contender (https)")
    lines += [
        "",
        "| contender (https, conc 1) | ms/req, new TLS connection | ms/req, reused "
        "| a new connection costs | CPU µs/req new | CPU µs/req reused |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in CONTENDERS:
        new_ms, reused_ms = 1e3 / fresh_med(name, "rps"), 1e3 / med(name, 1, "rps")
        lines.append(
            f"| {name} | {new_ms:.2f} | {reused_ms:.3f} | +{new_ms - reused_ms:.2f} ms "
            f"| {fresh_med(name, 'cpu_us'):,.0f} | {med(name, 1, 'cpu_us'):,.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    round_arguments(parser)
    parser.add_argument("--ca", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests = 2, 600
    if args.child:
        child(args.url, args.ca, args.loop, args.rounds, args.requests)
        return
    print(f"machine: {machine()}; server pinned to core 0, driver to core 1", flush=True)
    port = free_port()
    with temporary_tls() as tls:
        ca = str(tls.ca_cert)
        server = ["-m", "benchmarks.fixed_server", str(port), "0", str(tls.cert), str(tls.key)]
        with server_process(server, port, ca_cert=ca) as url:
            for loop in args.loops.split(","):
                cmd = [sys.executable, "-m", "benchmarks.tls_speed", "--child", "--url", url]
                cmd += ["--ca", ca, "--loop", loop]
                cmd += ["--rounds", str(args.rounds), "--requests", str(args.requests)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                print("\n".join(_table(loop, json.loads(out))), flush=True)


if __name__ == "__main__":
    main()
