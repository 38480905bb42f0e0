"""History speed: ``bench.py history`` over 50 runs of ~100,000 samples each.

    .venv/bin/python -m benchmarks.history_speed [--runs 50]

Target (issue 13): under 30 s on 2 cores. The runs are synthetic run folders
(tests/_run_factory.py) with a 30% step at run 40; their writing is not
timed. The timed part is the command itself in a fresh process (interpreter
start and imports included): loading every run, the bootstrap intervals,
the change points, the plots and the report.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from benchmarks._harness import ROOT, machine
from results import RunFolder, read_meta

STEP_AT = 40


def _write_runs(root: Path, count: int) -> int:
    from tests._run_factory import Spec, make_run

    total = 0
    for i in range(count):
        # 7 operations x 4,000 sequential requests + ~1,820 req/s over 4 levels x 39.5 s
        spec = Spec(
            seed=i + 1,
            latency_requests=4_000,
            duration_s=39.5,
            slowdown=1.3 if i >= STEP_AT else 1.0,
        )
        path = make_run(root, spec, f"run-{i:02d}")
        folder = RunFolder(path)
        meta = read_meta(path)
        meta.update(label=f"v1.{i}.0", started_at=f"2026-11-26T{i // 60:02d}:{i % 60:02d}:00+00:00")
        folder.write_meta(meta)
        total += pq.read_metadata(folder.samples_path).num_rows
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        root.mkdir()
        samples = _write_runs(root, args.runs)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "bench.py", "history", str(root), "--fail-on-change", "p95:+10%"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        if done.returncode not in (0, 1):
            sys.exit(done.stderr)
        changes = next(line for line in done.stdout.splitlines() if "change point" in line)
    print(f"{machine()}\n")
    print("| runs | samples per run | wall time | change points | exit |")
    print("|---:|---:|---:|---|---:|")
    print(
        f"| {args.runs} | {samples // args.runs:,} | {seconds:.1f} s | {changes} | "
        f"{done.returncode} |"
    )


if __name__ == "__main__":
    main()
