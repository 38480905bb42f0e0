"""Connection churn and per-worker fairness per window: computed once, shown alike everywhere."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.summary import summarize
from analysis.tables import CHURN_TAIL_SHARE, UNFAIR_SHARE
from drivers.terminal import print_summary
from reports import build_report
from reports.report_data import analyse
from results import load_run, load_samples
from tests._run_factory import PoolWindow, make_pool_run

REL = 1e-9
CHURNY = "lean/pooled/k2/c100"
STARVED = "lean/pooled/k20/c5"
HEALTHY = "lean/pooled/k20/c100"
WINDOWS = (
    PoolWindow(HEALTHY, unknown=30),
    PoolWindow(CHURNY, churn=0.05),
    PoolWindow(STARVED, starved=6, requests=3000),  # six workers sent nothing
)


@pytest.fixture(scope="module")
def pool_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pool_run(tmp_path_factory.mktemp("pool"), WINDOWS, "pool-sweep")


def _raw(path: Path) -> pd.DataFrame:
    frame = load_samples(path)
    for col in ("phase", "step", "pool", "operation", "error"):
        frame[col] = frame[col].astype(str)
    return frame


def _expected(group: pd.DataFrame, concurrency: int) -> dict[str, float]:
    """The window's pool figures with plain numpy."""
    ok = group[group["error"] == ""]
    lat = ok["latency_ns"].to_numpy()
    new = ok["new_connection"].to_numpy()
    tail = lat > np.percentile(lat, 99)
    counts = np.array([(group["worker"] == w).sum() for w in range(1, concurrency + 1)])
    return {
        "new_connections": int((group["new_connection"] == 1).sum()),
        "new_p50_ms": np.percentile(lat[new == 1], 50) / 1e6 if (new == 1).any() else np.nan,
        "new_p99_ms": np.percentile(lat[new == 1], 99) / 1e6 if (new == 1).any() else np.nan,
        "reused_p50_ms": np.percentile(lat[new == 0], 50) / 1e6,
        "reused_p99_ms": np.percentile(lat[new == 0], 99) / 1e6,
        "tail_new_share": float((new[tail] == 1).mean()),
        "connect_share": group["connect_ns"].sum() / group["latency_ns"].sum(),
        "per_worker_min": counts.min(),
        "per_worker_median": np.median(counts),
        "per_worker_max": counts.max(),
    }


def test_churn_and_fairness_columns_match_numpy(pool_run: Path) -> None:
    run = load_run(pool_run)
    frame = _raw(pool_run)
    windows = analyse(run).windows.set_index("pool")
    for step in run.summary["steps"]:
        group = frame[
            (frame["pool"] == step["pool"])
            & (frame["start_ns"] >= step["start_ns"])
            & (frame["start_ns"] < step["end_ns"])
        ]
        row = windows.loc[step["pool"]]
        for key, value in _expected(group, step["concurrency"]).items():
            if np.isnan(value):
                assert np.isnan(row[key]), key
            else:
                assert row[key] == pytest.approx(value, rel=REL), key
    assert windows.loc[HEALTHY, "new_connections"] == 0  # the 30 unknowns count as neither
    assert windows.loc[CHURNY, "new_connections"] == 200
    assert windows.loc[STARVED, "per_worker_min"] == 0  # workers that sent nothing count
    assert windows.loc[CHURNY, "new_p50_ms"] > 4 * windows.loc[CHURNY, "reused_p50_ms"]


def test_summary_terminal_and_report_show_the_same_numbers(pool_run: Path) -> None:
    run = load_run(pool_run)
    summary = summarize(load_samples(pool_run), run.summary["steps"])
    report = analyse(run).windows.set_index("pool")
    keys = ("new_connections", "per_worker_min", "per_worker_median", "per_worker_max")
    for row in summary["windows"]:
        mine = report.loc[row["pool"]]
        for key in keys:
            assert row[key] == mine[key], key
        for key in ("new_p99_ms", "reused_p50_ms", "reused_p99_ms"):
            if row[key] is not None:
                assert row[key] == pytest.approx(mine[key], abs=5e-4), key
        assert row["connect_share"] == pytest.approx(mine["connect_share"], abs=5e-5)
    out = io.StringIO()
    print_summary({**summary, "sweep": summary["windows"]}, out)
    text = out.getvalue()
    churny = next(r for r in summary["windows"] if r["pool"] == CHURNY)
    starved = next(r for r in summary["windows"] if r["pool"] == STARVED)
    assert f"| {churny['new_connections']:>9} |" in text
    pw = starved
    assert f"{pw['per_worker_min']}/{pw['per_worker_median']:g}/{pw['per_worker_max']}" in text
    findings = text[text.index("\nFindings") :]
    assert f"In sweep c=20 ({CHURNY})" in findings
    assert "`max_keepalive_connections` to at least the concurrency (20)" in findings
    assert f"In sweep c=20 ({STARVED}), the least-served of 20 workers sent 0" in findings
    assert f"({HEALTHY})" not in findings


def test_findings_name_churn_and_starvation_only(pool_run: Path) -> None:
    found = {f.id: f for f in analyse(load_run(pool_run)).findings}
    assert {"connections.churn", "connections.unfair"} <= set(found)
    churn, unfair = found["connections.churn"], found["connections.unfair"]
    assert dict(churn.evidence.figures)["windows"] == [f"sweep c=20 ({CHURNY})"]
    assert dict(churn.evidence.figures)["tail_new_share"] > CHURN_TAIL_SHARE
    assert "`max_keepalive_connections` to at least the concurrency (20)" in churn.advice
    # the starved workers of STARVED sent nothing: nothing ties them to connections
    assert dict(unfair.evidence.figures)["windows"] == [f"sweep c=20 ({STARVED})"]
    assert f"(under {UNFAIR_SHARE:.0%})" in unfair.evidence.text
    assert "`max_connections`" in unfair.advice


def test_healthy_windows_raise_no_pool_warning(tmp_path: Path) -> None:
    healthy = (
        PoolWindow(HEALTHY, churn=0.002),  # a few reconnects, not the tail
        PoolWindow("lean/pooled/k20/c50", starved=2, starved_requests=120),  # 120 vs ~210
        PoolWindow("lean/pooled/k20/c10", concurrency=100, requests=300, starved=10),  # 3/worker
    )
    run = make_pool_run(tmp_path, healthy, "healthy")
    analysis = analyse(load_run(run))
    assert not [f for f in analysis.findings if f.rule == "connections"]
    windows = analysis.windows.set_index("pool")
    assert windows.loc[HEALTHY, "new_connections"] == 8


def test_fairness_only_for_closed_loops_with_worker_ids(locust_dir: Path, run: object) -> None:
    locust = analyse(load_run(locust_dir)).windows
    assert locust["per_worker_min"].isna().all()  # Locust users are not told apart
    assert locust["new_connections"].notna().all()
    throughput = analyse(run).windows  # the factory's closed loops take turns
    assert (throughput["per_worker_max"] - throughput["per_worker_min"] <= 1).all()


def test_pool_report_shows_churn_fairness_and_reasons(pool_run: Path, tmp_path: Path) -> None:
    text = build_report(pool_run, out_dir=tmp_path).markdown.read_text()
    findings = text[text.index("## Findings") : text.index("\n## ", text.index("## Findings") + 3)]
    churn = "**Connection churn inside measured windows** (warning). In sweep c=20"
    assert f"{churn} ({CHURNY})" in findings
    assert f"**The pool starved some workers** (warning). In sweep c=20 ({STARVED})" in findings
    assert text.count("Connection churn") == 1  # said once, in the findings
    assert "| New conn. | New P50 | New P99 | Reused P50 | Reused P99 |" in text
    assert "| Min/worker | Median/worker | Max/worker |" in text
    assert "Runner-up:" in text and "Not picked because" in text
    assert (tmp_path / "sweep_new_connections.png").exists()
