"""The pieces of the Locust side that need no Locust process (and must not import Locust:
it monkey-patches the importing process)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from argparse import Namespace

import pytest

from client.histogram import LatencyHistogram
from locustfiles import options
from locustfiles.aggregate import RAMP, Aggregate, Timeline
from locustfiles.launch import parse_timespan
from locustfiles.recorder import Recorder
from locustfiles.stages import plan_stages
from results.schema import SCHEMA
from tests.locust._records import record
from workload.scenario import DEFAULT_WEIGHTS


def test_the_launcher_side_does_not_import_locust() -> None:
    """Importing Locust monkey-patches the process: the launcher (and pytest) must not."""
    code = "import sys, locustfiles.launch; assert 'locust' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_merging_two_workers_equals_one_histogram_of_everything() -> None:
    rng = random.Random(5)
    recorders, everything = [Recorder(), Recorder()], LatencyHistogram()
    aggregate = Aggregate()
    for step in range(3):  # three flushes each, as the workers send them
        for index, recorder in enumerate(recorders):
            for i in range(500):
                op = rng.choice(["get_account_profile", "search_accounts"])
                latency = int(rng.lognormvariate(16, 0.8))
                error = "AccountNotFoundError" if i % 97 == 0 else None
                recorder.record(record(op, latency, step * 1_000_000 + i, error))
                everything.record(latency)
            aggregate.add(index, recorder.drain())
    merged = aggregate.merged()
    total = LatencyHistogram()
    for hist in merged.values():
        total.merge(hist)
    assert total.count == everything.count == 3000
    assert total.percentiles((50, 95, 99, 99.9)) == everything.percentiles((50, 95, 99, 99.9))
    for index, state in aggregate.workers.items():
        assert state.rows_reported == state.rows_received == state.requests == 1500, index
    errors = aggregate.merged_errors()
    assert sum(errors.values()) == sum(
        1 for _ in range(2) for _ in range(3) for i in range(500) if i % 97 == 0
    )


def test_rows_become_the_samples_schema_with_steps_from_the_timeline() -> None:
    recorder, aggregate = Recorder(), Aggregate()
    # records carry perf_counter_ns, rows the wall clock: the same conversion, measured here
    # (two clock reads apart from the recorder's, so every start sits 50 ms from a boundary)
    offset = time.time_ns() - time.perf_counter_ns()
    origin = 1_000_000_000_000
    for i in range(10):
        # starts at origin + 0.05 s .. 0.95 s, in wall-clock terms
        start = origin + 50_000_000 + i * 100_000_000
        recorder.record(record("get_account_profile", 5_000_000, start - offset))
    aggregate.add(1, recorder.drain())
    timeline = Timeline()
    timeline.add(origin, 2, RAMP)
    timeline.add(origin + 500_000_000, 5, "steady")
    timeline.add(origin + 2_000_000_000, 0, RAMP)
    table = aggregate.table(origin, timeline, "gevent/pooled/k20/c100")
    assert table.schema.equals(SCHEMA)
    df = table.to_pandas()
    assert list(df["step"].astype(str)) == [RAMP] * 5 + ["steady"] * 5
    assert list(df["concurrency"]) == [2] * 5 + [5] * 5
    assert set(df["worker"]) == {1}
    assert (df["start_ns"].diff().iloc[1:] == 100_000_000).all()  # relative times are exact
    assert abs(df["start_ns"].iloc[0] - 50_000_000) < 50_000_000  # and start from the origin
    assert timeline.windows() == [("steady", origin + 500_000_000, origin + 2_000_000_000, 5)]


def test_pool_defaults_to_gevent_and_round_trips() -> None:
    assert options.parse_pool("").transport == "gevent"
    assert options.parse_pool("max_keepalive=5").max_keepalive_connections == 5
    assert options.parse_pool("transport=httpx").transport == "httpx"
    pool = options.parse_pool("max_connections=7,mode=no_keepalive")
    assert options.parse_pool(options.pool_text(pool)) == pool


def test_option_beats_environment_beats_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNT_POOL", "transport=httpx")
    monkeypatch.setenv("ACCOUNT_WAIT", "0.5-2")
    settings = options.resolve(Namespace(account_pool="max_connections=3"))
    assert settings.pool.max_connections == 3 and settings.pool.transport == "gevent"
    assert settings.wait == (0.5, 2.0)
    assert settings.weights["get_account_profile"] == DEFAULT_WEIGHTS["get_account_profile"]
    with pytest.raises(ValueError, match="--account-wait"):
        options.parse_wait("2-1")


def test_rate_paces_users_and_excludes_think_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNT_RATE", "12.5")
    assert options.resolve(None).rate == 12.5
    assert options.resolve(Namespace(account_rate="0")).rate == 0.0
    for bad in ("-1", "nan", "inf", "fast"):
        with pytest.raises(ValueError, match="--account-rate"):
            options.resolve(Namespace(account_rate=bad))
    with pytest.raises(ValueError, match="--account-rate and --account-wait"):
        options.resolve(Namespace(account_rate="5", account_wait="0.5"))


def test_step_stages_and_labels() -> None:
    stages = plan_stages((1, 10, 10), plateau_s=10, warmup_s=2)
    assert [s.label for s in stages] == ["users=1", "users=10", "users=10#2"]
    assert [(s.start_s, s.measure_from_s, s.end_s) for s in stages][1] == (12, 14, 24)


def test_timespans() -> None:
    assert [parse_timespan(t) for t in ("90", "45s", "1m30s", "1h")] == [90, 45, 90, 3600]
    with pytest.raises(ValueError, match="run_time"):
        parse_timespan("soon")
