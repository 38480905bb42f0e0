"""The seed's two tables and the run's other figures, then its findings, in the terminal.

What the figures mean is said once, by the findings (``analysis.findings``); this module
only prints them.
"""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from analysis.findings import SEVERITIES
from analysis.gate_rules import Inconclusive
from analysis.gates import GateResult, counts, gate_failed
from client.metrics import PERCENTILE_NAMES


def print_summary(summary: Mapping[str, Any], out: TextIO = sys.stdout) -> None:
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
        print("Connections and workers:", file=out)
        for row in summary["throughput"]:
            print(f"  {row['pattern']}: {pool_line(row)}", file=out)
    if summary.get("sweep"):
        print("\nPool sweep", file=out)
        print(
            f"{'Pool setting':<30}| {'Conc':>5} | {'req/s':>8} | {'P95':>8} | {'P99':>8} | "
            f"{'Conn. wait':>10} | {'New conn.':>9} | Per worker min/med/max",
            file=out,
        )
        print(
            "|".join("-" * width for width in (30, 7, 10, 10, 10, 12, 11, 22)),
            file=out,
        )
        for row in summary["sweep"]:
            print(
                f"{row['pool']:<30}| {row['concurrency']:>5} | {row['requests_per_s']:>8.0f} | "
                f"{row['p95_ms']:>6.1f}ms | {row['p99_ms']:>6.1f}ms | "
                f"{row.get('connect_share', 0.0):>10.1%} | {row.get('new_connections', 0):>9} | "
                f"{_per_worker(row)}",
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
    errors = sum(e["count"] for e in summary.get("errors", []))
    if errors:
        print(f"errors: {errors} (by class and operation in summary.json)", file=out)
    print_findings(summary.get("findings") or [], out, summary.get("not_judged") or [])


#: how each severity is flagged in the terminal
_MARKS = {"critical": "!!", "warning": "! ", "info": "- "}


def print_findings(
    findings: Sequence[dict[str, Any]],
    out: TextIO = sys.stdout,
    not_judged: Sequence[dict[str, Any]] = (),
) -> None:
    """summary.json's findings, last: what the numbers above mean and what to try; then,
    as a footnote, the rules that could not judge this run."""
    if not findings:
        print("\nFindings: none (every rule that could judge the run found it healthy)", file=out)
    else:
        print("\nFindings", file=out)
    for f in findings:
        print(f"{_MARKS.get(f['severity'], '- ')} [{f['severity']}] {f['title']}", file=out)
        print(f"     {f['evidence']['text']}", file=out)
        if f.get("advice"):
            print(f"     try: {f['advice']}", file=out)
    if not_judged:
        print(
            "Not judged: " + "; ".join(f"{n['rule']} ({n['reason']})" for n in not_judged), file=out
        )


def pool_line(row: dict[str, Any]) -> str:
    """A window's churn, connection wait and fairness, in one line."""
    new = row.get("new_connections", 0)
    if new:
        text = (
            f"{new} new connections (p50 {_ms_or(row.get('new_p50_ms'))}, p99 "
            f"{_ms_or(row.get('new_p99_ms'))}) vs reused p50 {_ms_or(row.get('reused_p50_ms'))}, "
            f"p99 {_ms_or(row.get('reused_p99_ms'))}"
        )
    else:
        text = "no new connections"
    text += f"; conn. wait {row.get('connect_share', 0.0):.1%}"
    if row.get("per_worker_min") is not None:
        text += f"; requests per worker min/median/max {_per_worker(row)}"
    return text


def _per_worker(row: dict[str, Any]) -> str:
    if row.get("per_worker_min") is None:
        return "n/a"
    return f"{row['per_worker_min']}/{row['per_worker_median']:g}/{row['per_worker_max']}"


def _ms_or(value: float | None) -> str:
    return "n/a" if value is None else _ms(value)


def _ms(value: float) -> str:
    return f"{value:.0f}ms" if value >= 10 else f"{value:.1f}ms"


#: the terminal the verdict is wrapped for
WIDTH = 80


def print_headline(
    summary: Mapping[str, Any],
    results: Sequence[GateResult] = (),
    inconclusive: Inconclusive = "pass",
    out: TextIO | None = None,
) -> None:
    """The verdict, last: the run's headline figures, each threshold with its verdict, and
    the findings by severity; what a person reads first when the run ends."""
    out = out or sys.stdout  # looked up now: a test's capture replaces it
    print("\nVerdict", file=out)
    for line in headline_lines(summary, results, inconclusive):
        print(textwrap.fill(line, WIDTH, subsequent_indent="    "), file=out)


def headline_lines(
    summary: Mapping[str, Any], results: Sequence[GateResult], inconclusive: Inconclusive
) -> list[str]:
    figures = summary.get("headline") or {}
    lines = []
    if figures.get("peak_rps") is not None:
        lines.append(f"  peak {figures['peak_rps']:,.0f} req/s ({figures['peak_window']})")
    latency = ", ".join(f"{name} {_ms_or(figures.get(f'{name}_ms'))}" for name in PERCENTILE_NAMES)
    if figures.get("requests"):
        rate = figures.get("error_rate") or 0.0
        lines.append(f"  {latency}; errors {rate:.2%} of {figures['requests']:,} measured requests")
    by_severity = Counter(f["severity"] for f in summary.get("findings") or [])
    found = ", ".join(f"{n} {sev}" for sev in SEVERITIES if (n := by_severity.get(sev)))
    lines.append(f"  findings: {found or 'none'}")
    return lines + gate_lines(results, inconclusive)


def print_gate(
    results: Sequence[GateResult], inconclusive: Inconclusive, out: TextIO | None = None
) -> None:
    """compare's and history's last block: the gate's verdict and each gated cell."""
    out = out or sys.stdout
    print("\nGate", file=out)
    lines = gate_lines(results, inconclusive, show_passed=False)  # the report lists them all
    for line in lines or ["  no gate (no --fail-on rule)"]:
        print(textwrap.fill(line, WIDTH, subsequent_indent="    "), file=out)


def gate_lines(
    results: Sequence[GateResult], inconclusive: Inconclusive, *, show_passed: bool = True
) -> list[str]:
    if not results:
        return []
    tally = counts(results)
    verdict = "FAILED" if gate_failed(results, inconclusive) else "passed"
    lines = [
        f"  gate {verdict}: "
        + ", ".join(f"{n} {outcome}" for outcome, n in tally.items() if n)
        + f" (inconclusive counts as {inconclusive})"
    ]
    if tally["inconclusive"] and inconclusive == "pass":
        lines.append(
            "  warning: an inconclusive cell's interval straddles its limit: the run could "
            "not tell; a longer run narrows it (--inconclusive fail makes it fail)"
        )
    shown = [r for r in results if show_passed or r.outcome != "pass"]
    return lines + [f"  {r.describe()}" for r in shown]
