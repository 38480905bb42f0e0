"""A transport against its own past: the working tree's engine vs the one at a git revision.

    .venv/bin/python -m benchmarks.transport_ab --rev HEAD~1 [--engine gevent|lean]

For changes inside one engine (``client/transports/gevent_sync.py`` or
``lean.py``), where the only fair yardstick is the previous code on the same
machine in the same minute. The old module is read with ``git show REV:path``
and imported beside the new one; both send the same profile reads to the raw
fixed server (``benchmarks/fixed_server.py``, core 0) from core 1, alternating
old and new every round. It prints client CPU µs per request and req/s, per
round and as medians.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._harness import free_port, machine, pin, server_process
from client.settings import PoolSettings

ROOT = Path(__file__).resolve().parent.parent
ENGINES = {
    "gevent": ("client/transports/gevent_sync.py", "GeventTransport"),
    "lean": ("client/transports/lean.py", "LeanTransport"),
}
PATH = "/api/v1/accounts/profile/seed_user_{:06d}"


def _load(source: str, name: str, cls: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, cls)


def _gevent_round(cls: Any, url: str, requests: int, users: int) -> tuple[float, float]:
    import gevent

    transport, per = cls(url, PoolSettings(transport="gevent"), {}), requests // users

    def user(i: int) -> None:
        for k in range(per):
            transport.send("GET", PATH.format((i * per + k) % 900), None, 10.0)

    user(0)  # connect and warm up
    cpu, wall = time.process_time(), time.perf_counter()
    gevent.joinall([gevent.spawn(user, i) for i in range(users)])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    transport.close()
    return 1e6 * cpu / (per * users), per * users / wall


def _lean_round(cls: Any, url: str, requests: int, users: int) -> tuple[float, float]:
    async def main() -> tuple[float, float]:
        transport, per = cls(url, PoolSettings(), {}), requests // users

        async def user(i: int) -> None:
            for k in range(per):
                await transport.send("GET", PATH.format((i * per + k) % 900), None, 10.0)

        await user(0)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        await transport.aclose()
        return 1e6 * cpu / (per * users), per * users / wall

    return asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rev", required=True, help="the git revision to compare against")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="gevent")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=50, help="greenlets or tasks at once")
    args = parser.parse_args(argv)
    if args.engine == "gevent":
        from gevent import monkey

        monkey.patch_all()
    path, cls_name = ENGINES[args.engine]
    shown = subprocess.run(
        ["git", "show", f"{args.rev}:{path}"], cwd=ROOT, capture_output=True, text=True
    )
    if shown.returncode != 0:
        print(f"--rev {args.rev}: {shown.stderr.strip()}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="transport-ab-") as tmp:
        old_path = Path(tmp) / Path(path).name
        old_path.write_text(shown.stdout, encoding="utf-8")
        old = _load(str(old_path), "_transport_old", cls_name)
    new = _load(str(ROOT / path), "_transport_new", cls_name)
    one_round = _gevent_round if args.engine == "gevent" else _lean_round
    port = free_port()
    results: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    with server_process(["-m", "benchmarks.fixed_server", str(port), "0"], port) as url:
        pin(1)
        for i in range(args.rounds):
            order = [("old", old), ("new", new)] if i % 2 else [("new", new), ("old", old)]
            for name, cls in order:
                results[name].append(one_round(cls, url, args.requests, args.users))
    print(f"{args.engine} transport, {args.rev} vs working tree: {machine()}; {args.users} at once")
    for name, rows in results.items():
        cpu = [r[0] for r in rows]
        rps = statistics.median(r[1] for r in rows)
        print(
            f"{name}: CPU µs/request median {statistics.median(cpu):.1f} "
            f"(rounds {', '.join(f'{c:.0f}' for c in cpu)}), {rps:,.0f} req/s"
        )
    pairs = zip(results["old"], results["new"], strict=True)
    ratio = statistics.median(old_row[0] / new_row[0] for old_row, new_row in pairs)
    print(f"old / new CPU per request, median of the rounds: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
