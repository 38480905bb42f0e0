"""Samples in memory and on disk: bytes per sample and the RAM a million of them need.

One command: ``python -m benchmarks.sample_memory [--samples 1000000]``. It fills a
:class:`results.SampleBuffer` with realistic records in a child process, writes
``samples.parquet`` and reads it back, and reports bytes per sample in memory and
on disk, the child's peak RSS, and the cost of one ``add``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._harness import machine


def child(count: int) -> dict[str, float]:
    from analysis.summary import summarize
    from client.metrics import Phases, RequestRecord
    from results import RunFolder, SampleBuffer, load_samples

    rng = random.Random(1)
    ops = ["get_account_profile", "search_accounts", "list_accounts", "ensure_account"]
    buffer = SampleBuffer()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    for i in range(count):
        latency = int(rng.lognormvariate(16.5, 0.5))
        record = RequestRecord(
            operation=ops[i % 4],
            started_at=0.0,
            latency_ns=latency,
            attempts=1,
            status=200,
            error=None,
            bytes_sent=0,
            bytes_received=300,
            phases=Phases(latency // 50, latency // 100, latency - latency // 10, latency // 20),
            new_connection=False,
            start_ns=i * 1_000_000,
        )
        buffer.add(
            record,
            phase="throughput",
            step=f"c={10 * (i // 250_000 + 1)}",
            concurrency=10,
            pool="aiohttp/pooled/k20/c100",
            origin_ns=0,
        )
    add_us = (time.perf_counter() - t0) / count * 1e6
    with tempfile.TemporaryDirectory() as tmp:
        folder = RunFolder(Path(tmp))
        t0 = time.perf_counter()  # what a run does at its end (drivers/standard_run.py)
        nbytes = buffer.nbytes()
        table = buffer.to_arrow()
        del buffer  # the table now holds the only reference to the columns
        folder.write_samples(table)
        frame = table.to_pandas(split_blocks=True, self_destruct=True)
        del table
        summary = summarize(
            frame,
            [
                {
                    "phase": "throughput",
                    "step": "c=10",
                    "concurrency": 10,
                    "start_ns": 0,
                    "end_ns": count * 1_000_000,
                }
            ],
        )
        write_s = time.perf_counter() - t0
        assert summary["requests"] == count
        del frame
        disk = folder.samples_path.stat().st_size
        t0 = time.perf_counter()
        frame = load_samples(tmp)
        read_s = time.perf_counter() - t0
        assert len(frame) == count
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "samples": count,
        "memory_bytes_per_sample": nbytes / count,
        "disk_bytes_per_sample": disk / count,
        "add_us": add_us,
        "write_and_summarize_s": write_s,
        "read_s": read_s,
        "peak_rss_mb": peak_kib / 1024,
        "baseline_rss_mb": base / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.samples)))
        return
    print(f"machine: {machine()}")
    results = []
    for _ in range(args.rounds):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.sample_memory",
                "--child",
                "--samples",
                str(args.samples),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(out))
    keys = results[0].keys()
    print("| measure | median | runs |\n|---|---:|---|")
    for key in keys:
        values = sorted(r[key] for r in results)
        print(
            f"| {key} | {values[len(values) // 2]:.2f} | {', '.join(f'{v:.2f}' for v in values)} |"
        )


if __name__ == "__main__":
    main()
