"""Report speed: build the full report from 1,000,000 samples, and compare two such runs.

    .venv/bin/python -m benchmarks.report_speed

Targets (issue 6): build <= 15 s and <= 1 GB peak RSS; compare <= 30 s,
bootstrap included. Each measurement runs in a fresh child process, started
by a small intermediate process that times it (interpreter start and imports
included) and reads its peak RSS with ``getrusage(RUSAGE_CHILDREN)`` (it has
no other child). Prints the median of 3 runs as Markdown.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._harness import ROOT, machine, median

SAMPLES = 1_000_000
REPEATS = 3


def _spec(seed: int, slowdown: float = 1.0):  # type: ignore[no-untyped-def]
    from tests._run_factory import Spec

    # 7 operations x 40,000 sequential requests + ~1,820 req/s over 4 levels x 395 s
    return Spec(seed=seed, latency_requests=40_000, duration_s=395.0, slowdown=slowdown)


def _child(task: str, paths: list[str]) -> None:
    """Run one task in this process; print its own timing and peak RSS as JSON."""
    start = time.perf_counter()
    if task == "build":
        from reports import build_report

        build_report(Path(paths[0]), out_dir=Path(paths[1]))
    else:
        from reports import compare_runs

        compare_runs(Path(paths[0]), Path(paths[1]), out_dir=Path(paths[2]), fail_on="p95:+10%")
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "rss": rss}))


def _intermediate(task: str, paths: list[str]) -> None:
    """Spawn the child, wait, and report its wall time and peak RSS (RUSAGE_CHILDREN)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report_speed", "--child", task, *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    inner = json.loads(done.stdout.strip().splitlines()[-1])
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # its only child
    print(json.dumps({"wall": wall, "seconds": inner["seconds"], "rss": rss}))


def _measure(task: str, paths: list[str]) -> tuple[float, float, int]:
    """Wall time, time inside the child, and the child's peak RSS, from a fresh process tree."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report_speed", "--measure", task, *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["wall"], out["seconds"], out["rss"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _intermediate(args.measure[0], args.measure[1:])
        return
    if args.child:
        _child(args.child[0], args.child[1:])
        return
    sys.path.insert(0, str(ROOT))
    from results import load_samples
    from tests._run_factory import make_run

    work = Path(tempfile.mkdtemp(prefix="report-speed-"))
    try:
        t0 = time.perf_counter()
        base = make_run(work, _spec(1), "baseline")
        cand = make_run(work, _spec(2, slowdown=1.05), "candidate")
        made = time.perf_counter() - t0
        sizes = [len(load_samples(p)) for p in (base, cand)]
        results: dict[str, list[tuple[float, float, int]]] = {"build": [], "compare": []}
        for i in range(REPEATS):
            results["build"].append(_measure("build", [str(base), str(work / f"report-{i}")]))
            results["compare"].append(
                _measure("compare", [str(base), str(cand), str(work / f"compare-{i}")])
            )
        print(f"Synthetic runs: {sizes[0]:,} and {sizes[1]:,} samples (made in {made:.1f} s)\n")
        print("| task | wall (median of 3) | in-process | peak RSS (max of 3) | target |")
        print("|---|---:|---:|---:|---|")
        targets = {"build": "<= 15 s, <= 1 GB", "compare": "<= 30 s"}
        names = {"build": "build_report (1M samples)", "compare": "compare_runs (2 x 1M samples)"}
        for task, rows in results.items():
            wall = median([r[0] for r in rows])
            inner = median([r[1] for r in rows])
            rss = max(r[2] for r in rows) / 2**20
            print(
                f"| {names[task]} | {wall:.1f} s | {inner:.1f} s | {rss:,.0f} MB | "
                f"{targets[task]} |"
            )
        print(f"\nCommand: `.venv/bin/python -m benchmarks.report_speed`; machine: {machine()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
