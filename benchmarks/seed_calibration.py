"""Does the ``seed`` mock still reproduce the seed's two tables? Fresh full runs, every cell.

``python -m benchmarks.seed_calibration --runs 3`` runs ``bench.py run`` (the
default scenario on the embedded ``seed`` mock, as ``make run`` does) that many
times, one after the other, and prints each run's 28 cells (6 operations x
avg/p50/p95/p99, and the 4 throughput patterns) as measured / seed, with how
many are within the tolerance. ``--from DIR ...`` judges existing run folders
instead. Exit 1 when any run has a cell outside the tolerance.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis.reference import LATENCY_MS, THROUGHPUT_RPS, seed_latency
from results import read_summary

ROOT = Path(__file__).resolve().parents[1]
#: a cell holds when measured / seed is within this share of 1
TOLERANCE = 0.15


def cells(summary: dict) -> pd.DataFrame:
    """The 28 cells of one run's summary.json: name, seed, measured, ratio."""
    latency = seed_latency(pd.DataFrame(summary["latency"]))
    rows = [
        (f"{r.label} {r.metric}", r.seed_ms, r.measured_ms) for r in latency.itertuples(index=False)
    ]
    by_level = {row["concurrency"]: row["requests_per_s"] for row in summary["throughput"]}
    for level, (pattern, published, _) in THROUGHPUT_RPS.items():
        rows.append((pattern, published, by_level.get(level, float("nan"))))
    frame = pd.DataFrame(rows, columns=["cell", "seed", "measured"])
    frame["ratio"] = frame["measured"] / frame["seed"]
    frame["holds"] = (frame["ratio"] - 1).abs() <= TOLERANCE
    return frame


def expected_cells() -> int:
    return 4 * len(LATENCY_MS) + len(THROUGHPUT_RPS)


def fresh_run(runs_dir: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "bench.py", "run", "--no-report", "--runs-dir", str(runs_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench.py run failed ({done.returncode}): {done.stderr[-2000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("run folder: "))
    return Path(line.removeprefix("run folder: ").strip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh full runs (default: 3)")
    parser.add_argument("--from", dest="folders", nargs="+", type=Path, help="run folders")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folders = args.folders or [fresh_run(Path(tmp)) for _ in range(args.runs)]
        tables = [cells(read_summary(f)) for f in folders]
    wide = pd.DataFrame({"cell": tables[0]["cell"], "seed": tables[0]["seed"]})
    for i, table in enumerate(tables, 1):
        wide[f"run {i}"] = table["ratio"].round(2)
    print(wide.to_string(index=False))
    failed = 0
    for i, table in enumerate(tables, 1):
        held = int(table["holds"].sum())
        off = ", ".join(f"{r.cell} {r.ratio:.2f}x" for r in table.itertuples() if not r.holds)
        print(
            f"run {i}: {held}/{expected_cells()} cells within {TOLERANCE:.0%}"
            + (f" (off: {off})" if off else "")
        )
        failed += held != expected_cells()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
