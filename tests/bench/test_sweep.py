"""``bench.py sweep``: every pool setting × concurrency cell, in one run folder."""

from __future__ import annotations

import json

import pytest

from client import PoolSettings, Timeouts
from drivers.sweep import parse_grid
from results import load_samples
from tests._bench import bench, run_dir_from


def test_grid_is_every_combination_applied_to_the_base() -> None:
    base = PoolSettings(keepalive_expiry=5.0)
    pools = parse_grid("max_connections=10,100;transport=lean,httpx", base)
    assert [(p.max_connections, p.transport) for p in pools] == [
        (10, "lean"),
        (10, "httpx"),
        (100, "lean"),
        (100, "httpx"),
    ]
    assert all(p.keepalive_expiry == 5.0 for p in pools)
    assert pools[0].max_keepalive_connections == 10  # clamped to fit a 10-connection pool
    with pytest.raises(ValueError, match="accepted keys"):
        parse_grid("max_conns=1,2", base)
    with pytest.raises(ValueError, match="is not key=value"):
        parse_grid("transport", base)
    with pytest.raises(ValueError, match="transport=gevent is not an asyncio engine"):
        parse_grid("transport=lean,gevent", base)


def test_grid_varies_one_timeout_and_keeps_the_base_others() -> None:
    base = PoolSettings(timeouts=Timeouts(connect=2.0))
    pools = parse_grid("read_timeout=1,5", base)
    assert [p.timeouts for p in pools] == [
        Timeouts(connect=2.0, read=1.0),
        Timeouts(connect=2.0, read=5.0),
    ]


def test_sweep_runs_each_cell_and_reports_connection_wait(tmp_path) -> None:
    result = bench(
        "sweep",
        "--profile",
        "fast",
        "--pool-grid",
        "max_connections=2,20",
        "--concurrency",
        "4,8",
        "--duration",
        "1",
        "--warmup",
        "0.2",
        "--runs-dir",
        str(tmp_path),
        "--no-report",
        "--no-pin",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = run_dir_from(result.stdout)
    summary = json.loads((run_dir / "summary.json").read_text())
    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["kind"] == "sweep"
    cells = [(row["pool"], row["concurrency"]) for row in summary["sweep"]]
    assert cells == [
        ("lean/pooled/k2/c2", 4),
        ("lean/pooled/k2/c2", 8),
        ("lean/pooled/k20/c20", 4),
        ("lean/pooled/k20/c20", 8),
    ]
    samples = load_samples(run_dir)
    for row in summary["sweep"]:
        cell = samples[
            (samples["pool"] == row["pool"])
            & (samples["concurrency"] == row["concurrency"])
            & (samples["phase"] == "sweep")
        ]
        assert len(cell) == row["requests"] > 0
        share = cell["connect_ns"].sum() / cell["latency_ns"].sum()
        assert row["connect_share"] == pytest.approx(share, abs=1e-4)
    small = {
        r["concurrency"]: r["connect_share"] for r in summary["sweep"] if r["pool"].endswith("c2")
    }
    large = {
        r["concurrency"]: r["connect_share"] for r in summary["sweep"] if r["pool"].endswith("c20")
    }
    # 8 workers on 2 connections spend most of their time waiting for one; on 20 they do not
    assert small[8] > 0.3 > large[8]
    assert "Pool sweep" in result.stdout
