"""Locust speed, side by side: FastHttpUser, HttpUser and the reference-client user.

    .venv/bin/python -m benchmarks.locust_speed [--rounds 3] [--seconds 15] [--users 50]

The server gets core 0 (the mock's ``fast`` profile with 1,000 accounts,
then the raw fixed server of ``benchmarks/fixed_server.py``); every Locust
process gets core 1, one process, the same users, the same duration, the
same request (a profile read). Two measurements per round:

* capacity: users back to back, no think time. Per variant and target, the
  median over the rounds of req/s and p50/p99 from Locust's statistics and
  from the harness's own histograms, and the ratios to ``FastHttpUser``
  measured in the same round. Here the one Locust core is the bottleneck by
  construction, so every variant is (rightly) flagged as saturated.
* the benchmark's load (mock only): every variant paced to the rate
  ``FastHttpUser`` reached in the same round (``Pacer``: each user at
  rate / users tasks per second from a random phase), with the
  generator-health verdict: process CPU% and greenlet lag p99, flagged
  above 90% or 5 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks._harness import free_port, machine, median, server_process
from client.histogram import LatencyHistogram
from locustfiles.launch import ROOT, LocustRun, run_locust
from results import read_summary
from workload.operations import MIX_OPERATIONS
from workload.scenario import scenario_from_dict

SERVER_CPU, LOCUST_CPU = 0, 1
VARIANTS = ("FastHttpUser", "HttpUser", "reference (gevent)", "reference (httpx)")


@dataclass
class Row:
    rps: float
    p50: float
    p99: float
    own_rps: float
    own_p50: float
    own_p99: float
    cpu: float | None = None
    lag_p99: float | None = None
    saturated: bool | None = None


def _final_csv_row(path: Path, name: str) -> dict[str, str]:
    with path.open(newline="") as f:
        return next(r for r in csv.DictReader(f) if r["Name"] == name)


def _baseline(
    user_class: str, url: str, seconds: int, users: int, work: Path, rate: float = 0.0
) -> Row:
    tag = f"{user_class}-paced" if rate else user_class
    prefix, hist_file = work / tag, work / f"{tag}.hist.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BASELINE_HISTOGRAM": str(hist_file),
        "BASELINE_RATE": str(rate / users),
    }
    cmd = [sys.executable, "-m", "locust", "-f", "locustfiles/baselines.py", user_class]
    cmd += ["--headless", "--host", url, "-u", str(users), "-r", str(users)]
    cmd += ["-t", f"{seconds}s", "--stop-timeout", "5", "--csv", str(prefix), "--only-summary"]
    subprocess.run(
        cmd,
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=seconds + 90,
        check=False,
        preexec_fn=lambda: os.sched_setaffinity(0, {LOCUST_CPU}),
    )
    row = _final_csv_row(Path(f"{prefix}_stats.csv"), "Aggregated")
    data = json.loads(hist_file.read_text())
    hist = LatencyHistogram.from_dict(data)
    p50, p99 = (v / 1e6 for v in hist.percentiles((50, 99)))
    rps = float(row["Requests/s"])
    health = data["health"]
    return Row(
        rps,
        float(row["50%"]),
        float(row["99%"]),
        rps,
        p50,
        p99,
        cpu=health["cpu_percent"],
        lag_p99=health["loop_lag_p99_ms"],
        saturated=health["saturated"],
    )


def _reference(
    transport: str, url: str, seconds: int, users: int, work: Path, rate: float = 0.0
) -> Row:
    reads = scenario_from_dict(
        {"weights": {op: int(op == "get_account_profile") for op in MIX_OPERATIONS}}, "reads"
    )
    run_dir = run_locust(
        LocustRun(
            users=users,
            spawn_rate=users,
            run_time=f"{seconds}s",
            target=url,
            scenario=reads,
            pool=f"transport={transport}",
            label=f"speed-{transport}{'-paced' if rate else ''}",
            runs_root=work,
            cpu=LOCUST_CPU,
            user_rate=rate / users,
        )
    )
    summary = read_summary(run_dir)
    row = _final_csv_row(run_dir / "locust_stats_final.csv", "Aggregated")
    own = next(
        o for o in summary["locust"]["operations"] if o["operation"] == "get_account_profile"
    )
    steady = summary["windows"][0] if summary["windows"] else {}
    health = summary["generator_health"][0] if summary["generator_health"] else {}
    return Row(
        rps=float(row["Requests/s"]),
        p50=float(row["50%"]),
        p99=float(row["99%"]),
        own_rps=float(steady.get("requests_per_s", 0.0)),
        own_p50=own["harness"]["p50_ms"],
        own_p99=own["harness"]["p99_ms"],
        cpu=health.get("cpu_percent"),
        lag_p99=health.get("loop_lag_p99_ms"),
        saturated=health.get("saturated"),
    )


def _one_round(url: str, seconds: int, users: int, work: Path, rate: float = 0.0) -> dict[str, Row]:
    """Every variant once: back to back (``rate`` 0), or paced to ``rate`` req/s in all."""
    return {
        "FastHttpUser": _baseline("FastProfileUser", url, seconds, users, work, rate),
        "HttpUser": _baseline("PlainProfileUser", url, seconds, users, work, rate),
        "reference (gevent)": _reference("gevent", url, seconds, users, work, rate),
        "reference (httpx)": _reference("httpx", url, seconds, users, work, rate),
    }


@contextmanager
def _target(name: str) -> Iterator[str]:
    if name == "mock":
        from mock_service.launcher import launch

        with launch("fast", accounts=1000, cpu=SERVER_CPU) as url:
            yield url
    else:
        port = free_port()
        args = ["-m", "benchmarks.fixed_server", str(port), str(SERVER_CPU)]
        with server_process(args, port) as url:
            yield url


def _report(name: str, rounds: list[dict[str, Row]]) -> list[str]:
    def med(variant: str, field: str) -> float:
        values = [getattr(r[variant], field) for r in rounds]
        return median([v for v in values if v is not None])

    ratio = [r["reference (gevent)"].rps / r["FastHttpUser"].rps for r in rounds]
    lines = [
        f"\n### {name}: median of {len(rounds)} rounds\n",
        "| user | req/s (Locust) | p50 / p99 ms (Locust) | req/s (harness) "
        "| p50 / p99 ms (harness) | vs FastHttpUser req/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    fast = med("FastHttpUser", "rps")
    for variant in VARIANTS:
        lines.append(
            f"| {variant} | {med(variant, 'rps'):,.0f} | {med(variant, 'p50'):.0f} / "
            f"{med(variant, 'p99'):.0f} | {med(variant, 'own_rps'):,.0f} | "
            f"{med(variant, 'own_p50'):.2f} / {med(variant, 'own_p99'):.2f} | "
            f"{med(variant, 'rps') / fast:.0%} |"
        )
    lines += [
        "",
        f"reference (gevent) / FastHttpUser req/s, per round: "
        f"{', '.join(f'{x:.0%}' for x in ratio)} (median {median(ratio):.0%}); "
        f"p99 harness {med('reference (gevent)', 'own_p99'):.2f} ms vs "
        f"{med('FastHttpUser', 'own_p99'):.2f} ms",
        "",
        "| user | CPU % | greenlet lag p99 ms | harness would flag (rounds) |",
        "|---|---:|---:|---|",
    ]
    lines += _health_rows(rounds)
    return lines


def _health_rows(rounds: list[dict[str, Row]]) -> list[str]:
    lines = []
    for variant in VARIANTS:
        rows = [r[variant] for r in rounds]
        flagged = sum(bool(r.saturated) for r in rows)
        cpu = median([r.cpu for r in rows if r.cpu is not None])
        lag = median([r.lag_p99 for r in rows if r.lag_p99 is not None])
        lines.append(f"| {variant} | {cpu:.0f} | {lag:.2f} | {flagged} of {len(rows)} |")
    return lines


def _paced_report(rounds: list[dict[str, Row]], offered: list[float]) -> list[str]:
    """Each variant paced to the rate FastHttpUser reached back to back in the same round."""
    lines = [
        f"\n### fast mock, paced to FastHttpUser's rate: median of {len(rounds)} rounds\n",
        f"offered per round: {', '.join(f'{x:,.0f}' for x in offered)} req/s\n",
        "| user | req/s (harness) | of offered | p50 / p99 ms (harness) | CPU % "
        "| greenlet lag p99 ms | harness would flag (rounds) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for variant in VARIANTS:
        rows = [r[variant] for r in rounds]
        held = median([r.own_rps / o for r, o in zip(rows, offered, strict=True)])
        flagged = sum(bool(r.saturated) for r in rows)
        lines.append(
            f"| {variant} | {median([r.own_rps for r in rows]):,.0f} | {held:.0%} | "
            f"{median([r.own_p50 for r in rows]):.2f} / {median([r.own_p99 for r in rows]):.2f} | "
            f"{median([r.cpu for r in rows if r.cpu is not None]):.0f} | "
            f"{median([r.lag_p99 for r in rows if r.lag_p99 is not None]):.2f} | "
            f"{flagged} of {len(rows)} |"
        )
    return lines


def _progress(what: str, rows: dict[str, Row]) -> None:
    print(
        f"{what}: "
        + ", ".join(
            f"{v} {r.own_rps:,.0f}/s{' (flagged)' if r.saturated else ''}" for v, r in rows.items()
        ),
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--targets", default="mock,fixed")
    parser.add_argument(
        "--no-paced", action="store_true", help="skip the paced runs at FastHttpUser's rate"
    )
    args = parser.parse_args(argv)
    if (os.cpu_count() or 1) < 2:
        print("needs 2 cores: the server on one, Locust on the other", file=sys.stderr)
        return 2
    lines = [
        f"Locust speed: {machine()}; {args.users} users, {args.seconds} s, one Locust "
        f"process on core {LOCUST_CPU}, server on core {SERVER_CPU}"
    ]
    with tempfile.TemporaryDirectory(prefix="locust-speed-") as tmp:
        for name in args.targets.split(","):
            rounds, paced, offered = [], [], []
            with _target(name) as url:
                for i in range(args.rounds):
                    work = Path(tmp) / f"{name}-{i}"
                    work.mkdir()
                    rounds.append(_one_round(url, args.seconds, args.users, work))
                    _progress(f"{name} round {i + 1}", rounds[-1])
                    if name == "mock" and not args.no_paced:
                        offered.append(rounds[-1]["FastHttpUser"].rps)
                        paced.append(_one_round(url, args.seconds, args.users, work, offered[-1]))
                        _progress(f"{name} round {i + 1} paced", paced[-1])
            lines += _report("fast mock" if name == "mock" else "fixed server", rounds)
            if paced:
                lines += _paced_report(paced, offered)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
