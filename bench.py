"""The harness's command line.

``python bench.py demo`` starts the embedded mock and walks the reference
client through every operation of the contract, printing what each call
cost. (``run``, ``sweep``, ``locust``, ``report`` and ``compare`` arrive with
their issues.)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from client import AccountClient, AccountNotFoundError, PoolSettings
from mock_service.launcher import MockStartError, launch


async def demo(url: str, pool: PoolSettings) -> None:
    """Every operation once, then the seed's pooling and batching effects, measured."""
    run = f"demo-{int(time.time())}"
    async with AccountClient(url, pool=pool) as client:
        print(f"target: {url}  pool: {pool.label()}")
        account = await client.ensure_account(f"auth0|{run}", f"{run}@example.com", "Demo User")
        await client.get_account_profile(account.user_id)
        await client.get_account_by_email(account.email)
        await client.update_account_profile(account.user_id, name="Demo User Renamed")
        await client.update_account_preferences(account.user_id, theme="dark", language="en")
        await client.list_accounts(page=1, page_size=50)
        await client.search_accounts("demo")
        await client.change_account_status(account.user_id, is_active=False, reason="demo")
        await client.change_account_status(account.user_id, is_active=True, reason="demo")
        await client.get_service_stats()
        await client.health_check()
        await client.delete_account(account.user_id, reason="demo cleanup")
        try:
            await client.get_account_profile(account.user_id)
        except AccountNotFoundError as error:
            print(f"after the soft delete: {error}")

        ids = [row.user_id for row in (await client.list_accounts(is_active=True))["accounts"]]
        start = time.perf_counter()
        for user_id in ids:
            await client.get_account_profile(user_id)
        sequential = time.perf_counter() - start
        start = time.perf_counter()
        await asyncio.gather(*(client.get_account_profile(u) for u in ids))
        parallel = time.perf_counter() - start
        print(
            f"{len(ids)} profile reads: sequential {sequential * 1e3:.0f} ms, "
            f"asyncio.gather {parallel * 1e3:.0f} ms ({sequential / parallel:.1f}x)"
        )
        _print_metrics(client.get_metrics())


def _print_metrics(metrics: dict) -> None:
    print(f"\n{'Operation':<28}|{'Count':>6} |{'Avg':>9} |{'P50':>9} |{'P95':>9} |{'P99':>9}")
    print("-" * 28 + "|" + "|".join(["-" * 7] + ["-" * 10] * 4))
    for name, op in metrics["operations"].items():
        print(
            f"{name:<28}|{op['count']:>6} |{op['avg_ms']:>7.1f}ms |{op['p50_ms']:>7.1f}ms "
            f"|{op['p95_ms']:>7.1f}ms |{op['p99_ms']:>7.1f}ms"
        )
    print(
        f"\ntotal_requests={metrics['total_requests']} total_errors={metrics['total_errors']} "
        f"error_rate={metrics['error_rate']:.3f} retries={metrics['total_retries']}"
    )


def _pool(text: str) -> PoolSettings:
    try:
        return PoolSettings.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo_cmd = commands.add_parser("demo", help="walk the client through every operation")
    demo_cmd.add_argument("--target", help="base URL of a service (default: the embedded mock)")
    demo_cmd.add_argument("--profile", default="seed", help="mock profile: fast, seed or a .toml")
    demo_cmd.add_argument(
        "--pool", type=_pool, default=PoolSettings(), help="e.g. max_keepalive=20,transport=httpx"
    )
    args = parser.parse_args(argv)
    try:
        if args.target:
            asyncio.run(demo(args.target, args.pool))
        else:
            with launch(args.profile, accounts=1000) as url:
                asyncio.run(demo(url, args.pool))
    except MockStartError as error:
        print(f"bench.py: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
