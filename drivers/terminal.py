"""The seed's two tables, and the run's warnings, printed in the terminal."""

from __future__ import annotations

import sys
from typing import Any, TextIO


def print_summary(summary: dict[str, Any], out: TextIO = sys.stdout) -> None:
    if summary.get("cut_short"):
        print(f"\n!! run cut short: {summary['cut_short']}", file=out)
    if summary.get("latency"):
        print("\nSingle Request Latency", file=out)
        print(f"{'Operation':<25}| {'Avg':<8}| {'P50':<6}| {'P95':<6}| P99", file=out)
        print("-" * 25 + "|" + "-" * 9 + "|" + "-" * 7 + "|" + "-" * 7 + "|" + "-" * 7, file=out)
        for row in summary["latency"]:
            print(
                f"{row['label']:<25}| {_ms(row['avg_ms']):<8}| {_ms(row['p50_ms']):<6}"
                f"| {_ms(row['p95_ms']):<6}| {_ms(row['p99_ms'])}",
                file=out,
            )
    if summary.get("throughput"):
        print("\nThroughput (requests/second)", file=out)
        print(f"{'Pattern':<25}| {'Throughput':<11}| Notes", file=out)
        print("-" * 25 + "|" + "-" * 12 + "|" + "-" * 24, file=out)
        for row in summary["throughput"]:
            notes = f"p50 {row['p50_ms']:.0f} ms, p99 {row['p99_ms']:.0f} ms"
            if row["error_rate"]:
                notes += f", errors {row['error_rate']:.1%}"
            rate = f"{row['requests_per_s']:.0f} req/s"
            print(f"{row['pattern']:<25}| {rate:<11}| {notes}", file=out)
    if summary.get("sweep"):
        print("\nPool sweep", file=out)
        print(
            f"{'Pool setting':<30}| {'Conc':>5} | {'req/s':>8} | {'P95':>8} | {'P99':>8} | "
            "Conn. wait",
            file=out,
        )
        print(
            "-" * 30
            + "|"
            + "-" * 7
            + "|"
            + "-" * 10
            + "|"
            + "-" * 10
            + "|"
            + "-" * 10
            + "|"
            + "-" * 11,
            file=out,
        )
        for row in summary["sweep"]:
            print(
                f"{row['pool']:<30}| {row['concurrency']:>5} | {row['requests_per_s']:>8.0f} | "
                f"{row['p95_ms']:>6.1f}ms | {row['p99_ms']:>6.1f}ms | {row['connect_share']:>9.1%}",
                file=out,
            )
    if summary.get("pooling"):
        pooled = summary["pooling"][0]
        first = summary.get("pooling_first_request_ms") or pooled["first_ms"]
        print(
            f"\nPooling: first request (a new connection) {first:.1f} ms, pooled "
            f"{pooled['avg_ms']:.1f} ms ({summary.get('pooling_speedup', 0):.1f}x); "
            + ", ".join(f"{r['mode']} {r['avg_ms']:.1f} ms" for r in summary["pooling"][1:]),
            file=out,
        )
    if summary.get("batch"):
        b = summary["batch"]
        print(
            f"Batch of {b['count']}: sequential {b['sequential_s']:.2f} s, "
            f"asyncio.gather {b['gather_s']:.2f} s ({b['speedup']:.1f}x; "
            f"{b.get('gather_new_connections', 0)} of them opened a new connection)",
            file=out,
        )
    for row in summary.get("open_loop", []):
        print(
            f"Open loop {row['rate']:g}/s: sent {row['sent']}, late {row['late']}, "
            f"dropped {row['dropped']}; response p50 {row['response_p50_ms']} ms "
            f"p99 {row['response_p99_ms']} ms; service p50 {row['service_p50_ms']} ms "
            f"p99 {row['service_p99_ms']} ms",
            file=out,
        )
    for h in summary.get("generator_health", []):
        if h["saturated"]:
            print(
                f"!! generator saturated in {h['phase']} {h['step']}: CPU {h['cpu_percent']:.0f}%,"
                f" loop lag p99 {h['loop_lag_p99_ms']:.1f} ms: these numbers describe the harness",
                file=out,
            )
    errors = sum(e["count"] for e in summary.get("errors", []))
    if errors:
        print(f"errors: {errors} (by class and operation in summary.json)", file=out)


def _ms(value: float) -> str:
    return f"{value:.0f}ms" if value >= 10 else f"{value:.1f}ms"
