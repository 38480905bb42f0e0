"""``bench.py run --quick`` for real: a subprocess against a mock pre-seeded with others' data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from mock_service.launcher import launch
from results import SAMPLES, load_samples, read_meta, read_summary
from tests._bench import bench, run_dir_from
from tests._summary_schema import assert_valid_summary

OTHERS = 300


def snapshot(url: str) -> dict[str, Any]:
    """Every account's full record (inactive ones as their list row), keyed by id."""
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=10) as http:
        page = 1
        while True:
            body = http.get("/api/v1/accounts", params={"page": page, "page_size": 100}).json()
            for row in body["accounts"]:
                profile = http.get(f"/api/v1/accounts/profile/{row['user_id']}")
                out[row["user_id"]] = profile.json() if profile.status_code == 200 else row
            if not body["has_next"]:
                return out
            page += 1


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    runs = tmp_path_factory.mktemp("runs")
    with launch("seed", accounts=OTHERS, seed=3) as url:
        before = snapshot(url)
        result = bench(
            "run",
            "--quick",
            "--target",
            url,
            "--label",
            "ci-quick",
            "--runs-dir",
            str(runs),
            "--no-report",
            "--no-pin",
        )
        after = snapshot(url)
        health = httpx.get(url + "/health/detailed", timeout=10).json()
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = run_dir_from(result.stdout)
    return {
        "stdout": result.stdout,
        "dir": run_dir,
        "before": before,
        "after": after,
        "health": health,
        "summary": read_summary(run_dir),
        "meta": read_meta(run_dir),
        "samples": load_samples(run_dir),
    }


def test_run_never_touches_accounts_it_did_not_create(quick_run) -> None:
    before, after = quick_run["before"], quick_run["after"]
    prefix = quick_run["summary"]["data"]["prefix"]
    assert len(before) == OTHERS
    assert not any(uid.startswith(prefix) for uid in before)
    for user_id, record in before.items():
        assert after[user_id] == record, user_id
    created = [uid for uid in after if uid not in before]
    assert created, "the run creates its own accounts"
    assert all(uid.startswith(prefix + "-") for uid in created)
    assert len(created) == quick_run["summary"]["data"]["accounts_created"]


def test_run_cleans_up_its_accounts_and_records_the_target(quick_run) -> None:
    before, after = quick_run["before"], quick_run["after"]
    created = [after[uid] for uid in after if uid not in before]
    assert created and not any(record["is_active"] for record in created)
    assert quick_run["summary"]["data"]["accounts_left_active"] == 0
    info = quick_run["meta"]["target_info"]
    health = quick_run["health"]
    assert info["version"] == health["version"] and info["service"] == health["service"]
    assert f"service: {info['service']} {info['version']}" in quick_run["stdout"]
    assert quick_run["meta"]["tls"] is None  # plain http


def test_run_folder_holds_meta_samples_summary(quick_run) -> None:
    run_dir: Path = quick_run["dir"]
    assert run_dir.name.endswith("-ci-quick")
    meta = quick_run["meta"]
    for key in (
        "harness_version",
        "git_commit",
        "python",
        "packages",
        "host",
        "target",
        "pool",
        "retry",
        "scenario",
        "command",
        "started_at",
        "ended_at",
    ):
        assert meta.get(key) is not None, key
    assert meta["host"]["cpu_count"] >= 1 and meta["packages"]["httpx"]
    assert meta["scenario"]["name"] == "quick" and meta["complete"] is True
    assert not list(run_dir.glob(".*")), "no temporary files are left behind"
    size = (run_dir / SAMPLES).stat().st_size
    assert size / len(quick_run["samples"]) <= 64


def test_summary_has_the_published_shape(quick_run) -> None:
    """A real run's summary.json validates against docs/summary.schema.json."""
    assert_valid_summary(quick_run["summary"])
    assert quick_run["summary"]["findings"] or quick_run["summary"]["not_judged"]


def test_latency_table_matches_the_samples(quick_run) -> None:
    samples = quick_run["samples"]
    rows = {r["operation"]: r for r in quick_run["summary"]["latency"]}
    assert set(rows) >= {
        "get_account_profile",
        "ensure_account",
        "update_account_profile",
        "update_account_preferences",
        "list_accounts",
        "search_accounts",
    }
    for op, row in rows.items():
        mine = samples[(samples["phase"] == "latency") & (samples["operation"] == op)]
        values = mine["latency_ns"].to_numpy() / 1e6
        assert row["count"] == len(mine) == 40
        assert row["errors"] == 0
        assert row["avg_ms"] == pytest.approx(values.mean(), abs=1e-3)
        for q in (50, 95, 99):
            assert row[f"p{q}_ms"] == pytest.approx(np.percentile(values, q), abs=1e-3)


def test_throughput_table_matches_the_windows(quick_run) -> None:
    samples, summary = quick_run["samples"], quick_run["summary"]
    rows = summary["throughput"]
    assert [r["concurrency"] for r in rows] == [1, 10, 50, 100]
    for row, step in zip(
        rows, [s for s in summary["steps"] if s["phase"] == "throughput"], strict=True
    ):
        inside = samples[
            (samples["phase"] == "throughput")
            & (samples["step"] == step["step"])
            & (samples["start_ns"] >= step["start_ns"])
            & (samples["start_ns"] < step["end_ns"])
        ]
        duration = (step["end_ns"] - step["start_ns"]) / 1e9
        assert duration == pytest.approx(1.5, abs=0.01)
        assert row["requests_per_s"] == pytest.approx(len(inside) / duration, rel=1e-3)
        assert row["p95_ms"] == pytest.approx(
            np.percentile(inside["latency_ns"] / 1e6, 95), abs=1e-3
        )
        assert set(inside["operation"].astype(str)) >= {"get_account_profile", "search_accounts"}
    # closed loop: more workers, more throughput, until the mock's capacity
    assert rows[1]["requests_per_s"] > 4 * rows[0]["requests_per_s"]


def test_seed_profile_reproduces_the_seed_tables_loosely(quick_run) -> None:
    """Loose bounds for 40 samples and 1.5 s windows; BENCHMARKS.md has the full run."""
    seed_latency = {
        "get_account_profile": (15, 12),
        "ensure_account": (20, 18),
        "update_account_profile": (18, 15),
        "update_account_preferences": (16, 14),
        "list_accounts": (25, 22),
        "search_accounts": (22, 20),
    }
    rows = {r["operation"]: r for r in quick_run["summary"]["latency"]}
    for op, (avg, p50) in seed_latency.items():
        assert rows[op]["avg_ms"] == pytest.approx(avg, rel=0.4), op
        assert rows[op]["p50_ms"] == pytest.approx(p50, rel=0.4), op
    rates = [r["requests_per_s"] for r in quick_run["summary"]["throughput"]]
    for measured, seed in zip(rates, (50, 400, 800, 900), strict=True):
        assert measured == pytest.approx(seed, rel=0.5)


def test_pooling_and_batch_effects(quick_run) -> None:
    summary = quick_run["summary"]
    pooled, no_keepalive, per_client = summary["pooling"]
    assert (pooled["mode"], no_keepalive["mode"], per_client["mode"]) == (
        "pooled",
        "no_keepalive",
        "client_per_request",
    )
    assert pooled["first_ms"] > 2 * pooled["avg_ms"]  # the new-connection cost, paid once
    assert no_keepalive["avg_ms"] > 2 * pooled["avg_ms"]  # ... or every time
    assert summary["batch"]["speedup"] > 4
    phases = quick_run["samples"].groupby("phase", observed=True).size()
    assert phases["pooling"] == 30 and phases["batch"] == 200


def test_terminal_shows_the_seed_layout(quick_run) -> None:
    out = quick_run["stdout"]
    assert "Operation                | Avg     | P50   | P95   | P99" in out
    assert "Pattern                  | Throughput | Notes" in out
    assert "Sequential (blocking)" in out and "Parallel (100 workers)" in out
    assert f"\nrun folder: {quick_run['dir']}\n" in out
    # the verdict last: the headline figures and the findings by severity
    verdict = out.split("\nVerdict\n")[-1].splitlines()
    assert verdict[0].startswith("  peak ") and "req/s (throughput c=" in verdict[0]
    assert verdict[1].startswith("  p50 ") and "measured requests" in verdict[1]
    assert verdict[-1].startswith("  findings: ") and all(len(line) <= 80 for line in verdict)


def test_generator_health_is_recorded_per_measured_window(quick_run) -> None:
    summary = quick_run["summary"]
    health = summary["generator_health"]
    assert len(health) == len(summary["steps"])
    for reading in health:
        assert reading["cpu_percent"] >= 0 and reading["loop_lag_p99_ms"] >= 0
        assert reading["saturated"] == (
            reading["cpu_percent"] > 90 or reading["loop_lag_p99_ms"] > 5
        )
