"""``write_outputs`` is a pure function of a plain result: no Locust, no plugin, no cycle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from client.histogram import LatencyHistogram
from locustfiles.aggregate import Aggregate, Timeline
from locustfiles.outputs import (
    FINAL_CSV,
    LocustFigures,
    LocustResult,
    Window,
    WorkerCounts,
    write_outputs,
)
from locustfiles.recorder import Recorder
from results.health import HealthReading
from tests.locust._records import record

POOL = "gevent/pooled/k20/c100"
SECOND = 1_000_000_000


def test_outputs_import_neither_the_plugin_nor_locust() -> None:
    """The plugin imports outputs, never the other way round (and Locust patches on import)."""
    code = (
        "import sys, locustfiles.outputs\n"
        "assert 'locustfiles.plugin' not in sys.modules, 'outputs imports the plugin'\n"
        "assert 'locust' not in sys.modules, 'outputs imports Locust'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _result(elapsed_s: float, planned_s: float | None) -> LocustResult:
    """Two workers' rows over two seconds; one step, the second, measured."""
    aggregate, histograms = Aggregate(), {"get_account_profile": LatencyHistogram()}
    for worker in (1, 2):
        recorder = Recorder()
        for i in range(100):
            error = "AccountNotFoundError" if i % 25 == 0 else None
            latency = (1 + i % 10) * 1_000_000
            recorder.record(record("get_account_profile", latency, i * 20_000_000, error))
            histograms["get_account_profile"].record(latency)
        aggregate.add(worker, recorder.drain())
    # rows start on the wall clock: the run's origin is the first row's start
    origin = int(aggregate.table(0, Timeline(), POOL).column("start_ns").to_numpy().min())
    timeline = Timeline()
    timeline.add(origin, 1, "ramp")
    timeline.add(origin + SECOND, 2, "steady")
    timeline.add(origin + 3 * SECOND, 0, "ramp")
    calm = HealthReading.from_samples(30.0, np.full(50, 500_000), np.zeros(50))
    busy = HealthReading.from_samples(95.0, np.full(50, 700_000), np.zeros(50))
    return LocustResult(
        samples=aggregate.table(origin, timeline, POOL),
        pool=POOL,
        windows=(Window("steady", 2, SECOND, 3 * SECOND, {1: calm, 2: busy}),),
        histograms=histograms,
        errors=aggregate.merged_errors(),
        workers=(WorkerCounts(1, 100, 100, 100), WorkerCounts(2, 100, 100, 100)),
        locust_stats={"get_account_profile": LocustFigures(200, 8, 5.5, 5, 9, 10, 10, 99.44)},
        locust_total=LocustFigures(200, 8, 5.5, 5, 9, 10, 10, 99.44),
        locust_csv="Type,Name\r\nGET,get_account_profile\r\n",
        elapsed_s=elapsed_s,
        planned_s=planned_s,
        user_wait_s=(0.0, 0.0),
        user_rate=None,
    )


def test_write_outputs_needs_only_the_result(tmp_path: Path) -> None:
    summary = write_outputs(_result(elapsed_s=4.0, planned_s=4.0), tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert (tmp_path / FINAL_CSV).read_bytes() == b"Type,Name\r\nGET,get_account_profile\r\n"
    assert (tmp_path / "samples.parquet").is_file()
    assert summary["complete"] is True
    [step] = summary["steps"]
    assert (step["step"], step["concurrency"], step["pool"]) == ("steady", 2, POOL)
    assert (step["requests"], step["errors"]) == (100, 4)  # each worker's rows 50..99
    [health] = summary["generator_health"]
    assert (health["cpu_percent"], health["saturated"]) == (95.0, True)  # the worst worker
    assert [w["saturated"] for w in health["workers"]] == [False, True]
    locust = summary["locust"]
    assert locust["merged_requests"] == locust["locust_requests"] == 200
    assert locust["operations"][0]["locust"]["requests_per_s"] == 99.4
    assert [e["count"] for e in locust["errors"]] == [8]


def test_a_run_stopped_early_is_cut_short(tmp_path: Path) -> None:
    summary = write_outputs(_result(elapsed_s=2.0, planned_s=10.0), tmp_path)
    assert summary["complete"] is False
    assert summary["cut_short"] == "stopped after 2.0 s of a planned 10 s"
