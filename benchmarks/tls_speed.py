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
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson
import trustme

from benchmarks._harness import ROOT, free_port, machine, median, pin
from benchmarks.client_speed import PATH, USER, _measure
from client import AccountClient, PoolSettings

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


def serve(port: int, certfile: str, keyfile: str) -> None:
    import uvicorn

    from benchmarks.fixed_server import app

    pin(0)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )


@contextmanager
def https_server(directory: Path, timeout: float = 20.0) -> Iterator[tuple[str, str]]:
    """The fixed server on https with a fresh CA; yields (base URL, CA file)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    files = {name: str(directory / f"{name}.pem") for name in ("ca", "cert", "key")}
    ca.cert_pem.write_to_path(files["ca"])
    cert.cert_chain_pems[0].write_to_path(files["cert"])
    cert.private_key_pem.write_to_path(files["key"])
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    args = ["-m", "benchmarks.tls_speed", "--serve", str(port), files["cert"], files["key"]]
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(url + "/health", verify=ssl.create_default_context(cafile=files["ca"]))
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the https server did not start") from None
                time.sleep(0.1)
        yield url, files["ca"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _table(loop: str, data: dict[str, Any]) -> list[str]:
    pooled, fresh = data["pooled"], data["fresh"]

    def med(name: str, c: int, key: str) -> float:
        return median([r[key] for r in pooled[name][str(c)]])

    def fresh_med(name: str, key: str) -> float:
        return median([r[key] for r in fresh[name]])

    lines = [
        f"### Event loop: {loop}",
        "",
        "| contender (https) | conc | req/s | CPU µs/req | p50 ms | p99 ms "
        "| req/s ÷ aiohttp | CPU ÷ aiohttp |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in CONTENDERS:
        for c in CONCURRENCY:
            rps, cpu = med(name, c, "rps"), med(name, c, "cpu_us")
            lines.append(
                f"| {name} | {c} | {rps:,.0f} | {cpu:,.0f} | {med(name, c, 'p50_ms'):.2f} "
                f"| {med(name, c, 'p99_ms'):.2f} | {rps / med('aiohttp_raw', c, 'rps'):.2f} "
                f"| {cpu / med('aiohttp_raw', c, 'cpu_us'):.2f} |"
            )
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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help="per cell")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 600 requests")
    parser.add_argument("--loops", default="asyncio,uvloop")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=3, metavar="X", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ca", help=argparse.SUPPRESS)
    parser.add_argument("--loop", default="asyncio", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests = 2, 600
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return
    if args.child:
        child(args.url, args.ca, args.loop, args.rounds, args.requests)
        return
    print(f"machine: {machine()}; server pinned to core 0, driver to core 1", flush=True)
    with tempfile.TemporaryDirectory() as tmp, https_server(Path(tmp)) as (url, ca):
        for loop in args.loops.split(","):
            cmd = [sys.executable, "-m", "benchmarks.tls_speed", "--child", "--url", url]
            cmd += ["--ca", ca, "--loop", loop]
            cmd += ["--rounds", str(args.rounds), "--requests", str(args.requests)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            print("\n".join(_table(loop, json.loads(out))), flush=True)


if __name__ == "__main__":
    main()
