"""Is the mock fast enough not to limit a benchmark?

One command: ``.venv/bin/python benchmarks/mock_speed.py``. It starts two
servers pinned to core 0 -- (a) ``python -m mock_service --profile fast
--accounts 100000`` and (b) a bare FastAPI app with one small JSON endpoint --
both under uvicorn (uvloop, httptools, no access log), then drives them
alternately from the harness's lean-transport load generator pinned to core 1 (50 keep-alive
connections, ROUNDS rounds of SECONDS s each after a warm-up) and reports
req/s per round, the median ratio mock/bare, and each server's CPU use (a
server below ~95 % of its core was not the bottleneck). It also times the
store's list and search at 100,000 accounts in-process -- including
first-time (never-seen) search queries and random filtered list pages, p50
and max, median over STORE_RUNS fresh stores -- and the memory of the search
index, and writes the figures to BENCHMARKS-mock.md at the repository root.
``--store-only`` skips the servers and rewrites only the in-process part.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import psutil
import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mock_service.seeding import seed_store, seed_user_id  # noqa: E402
from mock_service.store import AccountStore  # noqa: E402

ACCOUNTS = 100_000
CONNECTIONS = 50
STORE_RUNS = 5
RUN_PREFIX = "hx-20261126t0415-3f9a"  # a load-test run's accounts, created last
RUN_ACCOUNTS = 300
WRITES = 2000  # renames/creates/status changes before the "after writes" figures
STORE_MARKER = "Server time of list and search"
URL_LINE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


# -- the bare comparison server -----------------------------------------------------------


def serve_bare() -> None:
    """A bare FastAPI app returning a small JSON dict, served like the mock."""
    import socket

    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, Any]:
        return {"status": "ok", "service": "bare", "value": 42}

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    port = sock.getsockname()[1]

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            print(f"bare listening on http://127.0.0.1:{port}", flush=True)

    config = uvicorn.Config(
        app, loop="uvloop", http="httptools", log_level="warning", access_log=False
    )
    Announcing(config).run(sockets=[sock])


# -- helpers --------------------------------------------------------------------------------


def pin(cpu: int) -> Callable[[], None] | None:
    if len(os.sched_getaffinity(0)) < 2 and cpu != 0:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def start(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=pin(0))
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = URL_LINE.search(line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise RuntimeError(f"server did not start: {cmd}")


async def drive(url: str, paths: list[str], seconds: float) -> tuple[int, int]:
    """(successful responses, errors) from CONNECTIONS workers over ``seconds``.

    The load comes from the harness's own lean transport (about 2x cheaper
    per request than aiohttp), so that the server, not the generator, is
    what saturates.
    """
    from client import PoolSettings
    from client.transports.lean import LeanTransport

    ok = errors = 0
    pool = PoolSettings(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    transport = LeanTransport(url, pool, {"Accept": "application/json"})
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal ok, errors
        i = offset
        while time.perf_counter() < deadline:
            response = await transport.send("GET", paths[i % len(paths)], None, 10.0)
            if response.status == 200:
                ok += 1
            else:
                errors += 1
            i += 7

    try:
        await asyncio.gather(*(worker(k * 997) for k in range(CONNECTIONS)))
    finally:
        await transport.aclose()
    return ok, errors


def measure_round(
    url: str, paths: list[str], seconds: float, server: psutil.Process
) -> dict[str, float]:
    cpu0 = server.cpu_times()
    start_t = time.perf_counter()
    ok, errors = uvloop.run(drive(url, paths, seconds))
    elapsed = time.perf_counter() - start_t
    cpu1 = server.cpu_times()
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed
    rps = ok / elapsed
    return {"rps": rps, "errors": errors, "server_cpu": cpu, "cpu_us": cpu / rps * 1e6}


def time_call(fn: Callable[[], Any], calls: int = 200, repeats: int = 5) -> float:
    """Median over repeats of the mean ms per call."""
    means = []
    for _ in range(repeats):
        start_t = time.perf_counter()
        for _ in range(calls):
            fn()
        means.append((time.perf_counter() - start_t) / calls * 1000)
    return statistics.median(means)


def cold_call(store: AccountStore, fn: Callable[[], Any], repeats: int = 5) -> float:
    """Median ms of one call right after the store forgot its remembered searches."""
    times = []
    for _ in range(repeats):
        store.clear_search_cache()
        start_t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start_t) * 1000)
    return statistics.median(times)


def store_timings() -> list[tuple[str, float, float, float]]:
    """(case, cold ms, warm ms, warm + JSON ms) for list/search at ACCOUNTS accounts."""
    store = AccountStore()
    seed_store(store, ACCOUNTS, 42)
    store.prepare_search()  # build the search index once

    def page(**kw: Any) -> Callable[[], Any]:
        return lambda: store.list_page(**kw)

    def search(query: str, limit: int = 50) -> Callable[[], Any]:
        return lambda: store.search(query, limit=limit)

    def with_json(fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> bytes:
            result = fn()
            rows = result.accounts if hasattr(result, "accounts") else result
            return orjson.dumps([a.summary() for a in rows])

        return run

    cases: list[tuple[str, Callable[[], Any]]] = [
        ("list page=1 size=50", page(offset=0, limit=50)),
        ("list page=1000 size=50", page(offset=49_950, limit=50)),
        ("list is_active=true", page(offset=0, limit=50, is_active=True)),
        ("list is_active=false", page(offset=0, limit=50, is_active=False)),
        ("list subscription_status=enterprise", page(offset=0, limit=50, plan="enterprise")),
        ("list search=john (counts all matches)", page(offset=0, limit=50, search="john")),
        ("list search=smith page=5", page(offset=200, limit=50, search="smith")),
        ("list search=example (matches ~60%)", page(offset=0, limit=50, search="example")),
        (
            "list search=john is_active=true",
            page(offset=0, limit=50, search="john", is_active=True),
        ),
        ("search query=john limit=50", search("john")),
        ("search query=Garcia limit=100", search("Garcia", 100)),
        ("search query=zzz (no match)", search("zzz")),
        ("search query=a (matches nearly all)", search("a")),
    ]
    return [
        (name, cold_call(store, fn), time_call(fn), time_call(with_json(fn))) for name, fn in cases
    ]


def seeded_store(seed: int) -> AccountStore:
    """ACCOUNTS seeded accounts plus RUN_ACCOUNTS of a load-test run, index built."""
    store = AccountStore()
    seed_store(store, ACCOUNTS, 42)
    for i in range(RUN_ACCOUNTS):
        store.create(
            f"{RUN_PREFIX}-{seed}-{i:04d}",
            f"{RUN_PREFIX}-{seed}-{i:04d}@loadtest.example",
            f"Load Test {RUN_PREFIX} {i}",
        )
    store.prepare_search()
    return store


def never_seen_queries(store: AccountStore, rng: random.Random, count: int) -> list[str]:
    """Typical queries plus random fragments of names and emails (1-12 chars) and
    random strings that match nothing; each distinct, so each is seen for the first time."""
    accounts = list(store.all_accounts())
    queries = ["john", "smith", "example", "a", "zz", RUN_PREFIX, "smith12@", "qqxzv", "e"]
    while len(queries) < count:
        account = rng.choice(accounts)
        text = rng.choice([account.name, account.email]).lower()
        if rng.random() < 0.1:
            text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
        start = rng.randrange(len(text))
        query = text[start : start + rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12])]
        if query.strip() and query not in queries:
            queries.append(query)
    return queries


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "max": ordered[-1],
    }


def first_time_run(seed: int, count: int = 400) -> dict[str, dict[str, float]]:
    """One fresh store: ms per first-time query (cache cleared before every call) for
    list (with total_count) and search, before and after WRITES writes; random list pages."""
    rng = random.Random(seed)
    store = seeded_store(seed)
    queries = never_seen_queries(store, rng, count)
    out: dict[str, dict[str, float]] = {}

    def timed(label: str, call: Callable[[str], Any], qs: list[str]) -> None:
        times = []
        for q in qs:
            store.clear_search_cache()
            start_t = time.perf_counter()
            call(q)
            times.append((time.perf_counter() - start_t) * 1000)
        out[label] = percentiles(times)

    half = len(queries) // 2
    timed(
        "list search=<new> (total_count)",
        lambda q: store.list_page(offset=0, limit=50, search=q),
        queries[:half],
    )
    timed(
        "list search=<new> is_active=true page=3",
        lambda q: store.list_page(offset=100, limit=50, search=q, is_active=True),
        queries[half:],
    )
    timed("search query=<new> limit=50", lambda q: store.search(q, limit=50), queries)

    accounts = list(store.all_accounts())
    times = []
    for i in range(WRITES):
        account = rng.choice(accounts)
        start_t = time.perf_counter()
        if i % 3 == 0:
            store.update(account, name=f"Renamed {rng.choice(['John', 'Ann'])} {i}")
        elif i % 3 == 1:
            store.create(f"w{seed}-{i}", f"writer{seed}.{i}@write.example", f"Writer {i}")
        else:
            store.set_active(account, not account.is_active)
        times.append((time.perf_counter() - start_t) * 1000)
    out[f"writes: rename / create / status change ({WRITES:,})"] = percentiles(times)
    fresh = never_seen_queries(store, rng, count + 200)[-200:]
    timed(
        f"list search=<new> after {WRITES:,} writes",
        lambda q: store.list_page(offset=0, limit=50, search=q),
        fresh,
    )

    pages = []
    for _ in range(400):
        size = rng.choice([10, 50, 100])
        kwargs = {
            "offset": size * rng.choice([0, 0, 1, 9, 99, rng.randrange(2000)]),
            "limit": size,
            "is_active": rng.choice([None, None, True, False]),
            "plan": rng.choice([None, None, "free", "enterprise", "active"]),
        }
        pages.append(kwargs)
    times = []
    for kwargs in pages:
        start_t = time.perf_counter()
        store.list_page(**kwargs)
        times.append((time.perf_counter() - start_t) * 1000)
    out["list (random page, size, is_active, plan)"] = percentiles(times)
    out["index memory"] = {"MB": store.search_index_bytes() / 1e6}
    return out


def first_time_timings(runs: int) -> list[tuple[str, dict[str, float]]]:
    """Median over ``runs`` fresh stores of each first_time_run figure."""
    results = []
    for r in range(runs):
        results.append(first_time_run(seed=r + 1))
        print(f"store run {r + 1}/{runs}: {results[-1]}", flush=True)
    return [
        (case, {k: statistics.median(res[case][k] for res in results) for k in figures})
        for case, figures in results[0].items()
    ]


def machine() -> dict[str, str]:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln), ""
        )
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "model": model or platform.processor(),
        "python": platform.python_version(),
    }


def throughput_section(rounds: list[dict[str, Any]], args: Any) -> list[str]:
    info = machine()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    mock = [r["mock"]["rps"] for r in rounds]
    bare = [r["bare"]["rps"] for r in rounds]
    ratios = [r["mock"]["rps"] / r["bare"]["rps"] for r in rounds]
    lines = [
        "## Mock service speed (`benchmarks/mock_speed.py`)",
        "",
        f"Command: `.venv/bin/python benchmarks/mock_speed.py --rounds {args.rounds} "
        f"--seconds {args.seconds}`  ",
        f"Machine: nproc={info['nproc']}, {info['model']}, Python {info['python']}; "
        "servers pinned to core 0, load generator (the lean transport on uvloop, "
        f"{CONNECTIONS} keep-alive connections) pinned to core 1; loopback only; "
        f"load average after the run {load} (other work on the machine makes rounds noisy).",
        "",
        "Throughput, `fast` profile, `GET /api/v1/accounts/profile/{id}` over "
        f"{ACCOUNTS:,} accounts (random ids) vs a bare FastAPI endpoint returning a small "
        "JSON dict, alternating rounds:",
        "",
        "| round | mock req/s | mock CPU | mock CPU us/req | bare req/s | bare CPU "
        "| bare CPU us/req | mock/bare req/s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(rounds, 1):
        m, b = r["mock"], r["bare"]
        lines.append(
            f"| {i} | {m['rps']:,.0f} | {m['server_cpu']:.0%} | {m['cpu_us']:.0f} | "
            f"{b['rps']:,.0f} | {b['server_cpu']:.0%} | {b['cpu_us']:.0f} | "
            f"{m['rps'] / b['rps']:.2f} |"
        )
    mock_us = statistics.median(r["mock"]["cpu_us"] for r in rounds)
    bare_us = statistics.median(r["bare"]["cpu_us"] for r in rounds)
    lines += [
        f"| **median** | **{statistics.median(mock):,.0f}** | | **{mock_us:.0f}** "
        f"| **{statistics.median(bare):,.0f}** | | **{bare_us:.0f}** "
        f"| **{statistics.median(ratios):.2f}** |",
        "",
        "Target: mock/bare >= 0.80. Server CPU near 100 % means the server, not the load "
        "generator, set the rate; below that the load generator (one lean-transport process on "
        "one core) was the limit, and *CPU us/req* (server CPU time per answered request) "
        f"compares the two servers independently of it: bare/mock = {bare_us / mock_us:.2f}.",
        "",
    ]
    return lines


def store_section(store: list, first: list[tuple[str, dict[str, float]]], runs: int) -> list[str]:
    info = machine()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    memory = dict(first)["index memory"]["MB"]
    lines = [
        f"{STORE_MARKER} at {ACCOUNTS:,} accounts, in-process (`time.perf_counter`; "
        "target < 2 ms).",
        "",
        f"**First-time queries** (`.venv/bin/python benchmarks/mock_speed.py --store-only "
        f"--store-runs {runs}`; nproc={info['nproc']}, {info['model']}, Python "
        f"{info['python']}, load average after the run {load}): each of {runs} fresh stores "
        f"({ACCOUNTS:,} seeded accounts + {RUN_ACCOUNTS} of a run named `{RUN_PREFIX}`, "
        "created last) answers ~400 distinct never-seen queries -- `john`, `smith`, "
        "`example`, `a`, `e`, `zz`, the run prefix, `smith12@`, a no-match string, and random "
        "1-12 character fragments of names and emails -- with the remembered-query cache "
        f"cleared before every call; then {WRITES:,} writes (renames, creates, status "
        "changes) and 200 more new queries; then 400 random unsearched list pages (size "
        "10/50/100, offsets up to ~200,000, `is_active` and plan filters). Figures are the "
        f"median over the {runs} stores of each store's p50 / p99 / max, in ms:",
        "",
        "| case | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {case} | {f['p50']:.3f} | {f['p99']:.3f} | {f['max']:.3f} |"
        for case, f in first
        if "p50" in f
    ]
    lines += [
        "",
        f"Search index memory at {ACCOUNTS + RUN_ACCOUNTS:,} accounts: {memory:.1f} MB "
        "(numpy arrays of the text segments, plus 2 bytes per account of filter codes; the "
        "lower-cased keys, ~100 bytes per account, are held in Python besides).",
        "",
        "**Fixed cases** (one store): *cold* = the first time a query is seen (median of 5, "
        "cache cleared each time); *warm* = repeated, answered from the remembered match "
        "positions (median of 5 x 200 calls); *+ JSON* = warm, plus building and "
        "serializing the page's summaries.",
        "",
        "| case | cold ms | warm ms | warm + JSON ms |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {c:.3f} | {a:.3f} | {b:.3f} |" for name, c, a, b in store]
    return [*lines, "", *NOTES]


NOTES = [
    "Notes: the mock answers `GET .../profile/{user_id}` and `GET .../by-email/{email}` "
    "inside its one ASGI middleware (`mock_service/fast_lane.py`, same bytes as the "
    "FastAPI routes, checked by a test), skipping FastAPI routing and dependency solving; "
    "that is why it needs less CPU per request than the bare FastAPI endpoint. Unfiltered "
    "lists count from per-(plan, active) counters; filtered pages test numpy group codes "
    "over a window from the newest end (`mock_service/columns.py`). A search query seen "
    "for the first time is answered by the numpy index (`mock_service/search_index.py`, "
    "`text_segment.py`): every character position of the joined keys sorted by its next "
    "~12 characters, so a query is a binary search plus a slice of owners; longer queries "
    "check their narrowest 12-character window's candidates with 8-byte word compares; "
    "common single characters have entry bitmasks. Keys changed or added since the last "
    "build sit in a tail scanned in Python (<= 1,024) until the next build. Its match "
    "positions are then remembered and kept exact on create/rename/status change "
    "(`mock_service/query_cache.py`, LRU of 128 queries).",
]


def write_report(path: Path, sections: list[str], *, store_only: bool) -> str:
    """Write the sections; with ``store_only`` keep the file's throughput part."""
    head: list[str] = []
    if store_only and path.exists():
        old = path.read_text().splitlines()
        cut = next((i for i, ln in enumerate(old) if ln.startswith(STORE_MARKER)), len(old))
        head = old[:cut]
    text = "\n".join(head + sections) + "\n"
    path.write_text(text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS-mock.md")
    parser.add_argument("--store-runs", type=int, default=STORE_RUNS)
    parser.add_argument(
        "--store-only", action="store_true", help="only the in-process list/search figures"
    )
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare()
        return 0
    if args.store_only:
        section = store_section(
            store_timings(), first_time_timings(args.store_runs), args.store_runs
        )
        print(write_report(args.output, section, store_only=True))
        return 0

    mock_cmd = [sys.executable, "-m", "mock_service", "--host", "127.0.0.1", "--port", "0"]
    mock_cmd += ["--profile", "fast", "--accounts", str(ACCOUNTS)]
    bare_cmd = [sys.executable, str(Path(__file__).resolve()), "--bare-server"]
    mock, mock_url = start(mock_cmd)
    bare, bare_url = start(bare_cmd)
    try:
        if (pin_self := pin(1)) is not None:
            pin_self()
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        rng = random.Random(1)
        mock_paths = [
            f"/api/v1/accounts/profile/{seed_user_id(rng.randrange(ACCOUNTS))}" for _ in range(5000)
        ]
        # only active accounts answer 200; keep the ones that do
        mock_paths = [p for p in mock_paths if _answers(mock_url, p)][:2000]
        targets = {
            "mock": (mock_url, mock_paths, psutil.Process(mock.pid)),
            "bare": (bare_url, ["/ping"], psutil.Process(bare.pid)),
        }
        for url, paths, _ in targets.values():  # warm-up
            asyncio.run(drive(url, paths, 1.0))
        rounds = []
        for i in range(args.rounds):
            order = ["mock", "bare"] if i % 2 == 0 else ["bare", "mock"]
            result = {}
            for name in order:
                url, paths, proc = targets[name]
                result[name] = measure_round(url, paths, args.seconds, proc)
            rounds.append(result)
            print(
                f"round {i + 1}: mock {result['mock']['rps']:,.0f} req/s "
                f"(cpu {result['mock']['server_cpu']:.0%}), bare {result['bare']['rps']:,.0f} "
                f"req/s (cpu {result['bare']['server_cpu']:.0%})",
                flush=True,
            )
    finally:
        for proc in (mock, bare):
            proc.terminate()
            proc.wait(timeout=10)
    sections = throughput_section(rounds, args)
    sections += store_section(store_timings(), first_time_timings(args.store_runs), args.store_runs)
    print(write_report(args.output, sections, store_only=False))
    return 0


def _answers(url: str, path: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url + path, timeout=5) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


if __name__ == "__main__":
    sys.exit(main())
