"""The driver's own limits: how fast it can load the mock, and how accurately it measures.

One command: ``python -m benchmarks.driver_bench [--rounds 3]``.

* speed: ``bench.py run`` throughput phase at concurrency 100 against the
  ``fast`` mock (no injected delay), mock on core 0 and driver on core 1;
  reports req/s and the driver's generator health (CPU, loop lag).
* sustained: an open loop at 4,000 req/s (profile reads) against the same
  mock: the rate achieved, late and dropped sends, and whether the driver's
  generator health flags it (it must not: at that rate the driver is not the
  saturated side).
* accuracy: an open loop at 500 req/s (at most 50 in flight) against a mock
  whose every answer takes a constant 10 ms; the measured p50/p99 are set
  beside what the mock's ``/_mock/stats`` says it injected.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from benchmarks._harness import ROOT, machine
from mock_service.launcher import launch
from results import Summary, read_summary

SPEED = """
name = "driver-speed"
[latency]
requests = 1
warmup = 1
[throughput]
concurrency = [100]
duration_s = 10.0
warmup_s = 2.0
[data]
accounts = 200
"""
READS_ONLY = """
[weights]
get_account_profile = 1
search_accounts = 0
list_accounts = 0
get_account_by_email = 0
ensure_account = 0
update_account_preferences = 0
update_account_profile = 0
change_account_status = 0
delete_account = 0
"""
CONSTANT_10MS = """
name = "constant-10ms"
new_connection_ms = 0.0
[default_latency]
p50 = 10.0
p95 = 10.0
p99 = 10.0
"""


def bench_run(tmp: Path, *args: str) -> Summary:
    runs = tmp / "runs"
    result = subprocess.run(
        [sys.executable, "bench.py", "run", "--runs-dir", str(runs), "--no-report", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    run_dir = sorted(runs.iterdir())[-1]
    return read_summary(run_dir)


def speed(tmp: Path, mix: str) -> dict:
    scenario = tmp / f"speed-{mix}.toml"
    scenario.write_text(SPEED + (READS_ONLY if mix == "reads" else ""))
    summary = bench_run(
        tmp, "--profile", "fast", "--scenario", str(scenario), "--phases", "throughput"
    )
    [row] = summary["throughput"]
    [health] = [h for h in summary["generator_health"] if h["phase"] == "throughput"]
    return {
        "rps": row["requests_per_s"],
        "p99_ms": row["p99_ms"],
        "cpu": health["cpu_percent"],
        "lag_p99_ms": health["loop_lag_p99_ms"],
        "saturated": health["saturated"],
    }


def sustained(tmp: Path, rate: int = 4000) -> dict:
    tiny = tmp / "sustained.toml"
    tiny.write_text("[data]\naccounts = 200\n" + READS_ONLY)
    summary = bench_run(
        tmp,
        "--profile",
        "fast",
        "--scenario",
        str(tiny),
        "--phases",
        "none",
        "--rate",
        str(rate),
        "--rate-duration",
        "10",
    )
    [row] = summary["open_loop"]
    [health] = [h for h in summary["generator_health"] if h["phase"] == "open_loop"]
    return {
        "rate": rate,
        "achieved": row["achieved_rate"],
        "late": row["late"],
        "dropped": row["dropped"],
        "errors": row["errors"],
        "response_p99_ms": row["response_p99_ms"],
        "cpu": health["cpu_percent"],
        "lag_p99_ms": health["loop_lag_p99_ms"],
        "saturated": health["saturated"],
    }


def accuracy(tmp: Path) -> dict:
    profile = tmp / "constant-10ms.toml"
    profile.write_text(CONSTANT_10MS)
    tiny = tmp / "tiny.toml"
    tiny.write_text("[data]\naccounts = 50\n" + READS_ONLY)
    with launch(str(profile), accounts=0, cpu=0) as url:
        summary = bench_run(
            tmp,
            "--target",
            url,
            "--scenario",
            str(tiny),
            "--phases",
            "none",
            "--rate",
            "500",
            "--rate-duration",
            "10",
        )
        stats = httpx.get(url + "/_mock/stats", timeout=10).json()
    [row] = summary["open_loop"]
    endpoint = _profile_endpoint(stats)
    injected, slept = endpoint["injected_ms"], endpoint["slept_ms"]
    return {
        "sent": row["sent"],
        "late": row["late"],
        "measured_p50_ms": row["response_p50_ms"],
        "measured_p99_ms": row["response_p99_ms"],
        "service_p50_ms": row["service_p50_ms"],
        "service_p99_ms": row["service_p99_ms"],
        "injected_p50_ms": injected["p50"],
        "injected_p99_ms": injected["p99"],
        "slept_p50_ms": slept["p50"],
        "slept_p99_ms": slept["p99"],
        "p50_error_vs_slept_ms": row["response_p50_ms"] - slept["p50"],
        "p99_error_vs_slept_ms": row["response_p99_ms"] - slept["p99"],
        "p50_error_vs_injected_ms": row["response_p50_ms"] - injected["p50"],
        "p99_error_vs_injected_ms": row["response_p99_ms"] - injected["p99"],
    }


def _profile_endpoint(stats: dict) -> dict:
    return next(
        e for name, e in stats["endpoints"].items() if name.startswith("GET") and "profile" in name
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--only",
        default="speed,sustained,accuracy",
        help="which parts, comma-separated (default: all)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        rows: dict[str, list[dict]] = {
            "speed (reads)": [],
            "speed (mix)": [],
            "sustained 4000/s": [],
            "accuracy": [],
        }
        parts = set(args.only.split(","))
        for _ in range(args.rounds):
            if "speed" in parts:
                rows["speed (reads)"].append(speed(tmp, "reads"))
                rows["speed (mix)"].append(speed(tmp, "mix"))
            if "sustained" in parts:
                rows["sustained 4000/s"].append(sustained(tmp))
            if "accuracy" in parts:
                rows["accuracy"].append(accuracy(tmp))
    for name, results in rows.items():
        if not results:
            continue
        print(f"\n{name}: median of {len(results)} rounds")
        for key in results[0]:
            values = [r[key] for r in results]
            if isinstance(values[0], bool):
                print(f"  {key}: {values}")
            else:
                print(
                    f"  {key}: {statistics.median(values):.2f}   (runs: "
                    f"{', '.join(f'{v:.2f}' for v in values)})"
                )


if __name__ == "__main__":
    main()
