"""Every table against values computed here, with plain numpy on the raw samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import tables
from reports.report_data import analyse
from results import Run, load_samples

REL = 1e-9


def raw(run: Run) -> pd.DataFrame:
    """The samples as plain strings and ints, independent of the reports' loader."""
    frame = load_samples(run.path)
    for col in ("phase", "step", "pool", "operation", "error"):
        frame[col] = frame[col].astype(str)
    return frame


def steps(run: Run) -> list[dict]:
    return run.summary["steps"]


def test_latency_table(run: Run) -> None:
    frame = raw(run)
    table = tables.latency_table(run.samples)
    lat = frame[frame["phase"] == "latency"]
    assert list(table["operation"])[:6] == [
        "get_account_profile",
        "ensure_account",
        "update_account_profile",
        "update_account_preferences",
        "list_accounts",
        "search_accounts",
    ]
    assert list(table["label"])[:2] == ["Get Profile", "Ensure Account"]
    assert set(table["operation"]) == set(lat["operation"])
    for row in table.itertuples():
        group = lat[lat["operation"] == row.operation]
        ok = group.loc[group["error"] == "", "latency_ns"].to_numpy()
        assert row.requests == len(group)
        assert row.errors == int((group["error"] != "").sum())
        assert row.avg_ms == pytest.approx(ok.mean() / 1e6, rel=REL)
        for q in (50, 95, 99):
            assert getattr(row, f"p{q}_ms") == pytest.approx(np.percentile(ok, q) / 1e6, rel=REL)


def _window(frame: pd.DataFrame, step: dict) -> pd.DataFrame:
    return frame[
        (frame["phase"] == step["phase"])
        & (frame["step"] == step["step"])
        & (frame["pool"] == step["pool"])
        & (frame["start_ns"] >= step["start_ns"])
        & (frame["start_ns"] < step["end_ns"])
    ]


def test_window_and_throughput_tables(run: Run) -> None:
    frame = raw(run)
    windows = tables.window_table(run.samples, run.steps)
    expected = [s for s in steps(run) if s["phase"] == "throughput"]
    assert len(windows) == len(expected) == 4
    for row, step in zip(windows.itertuples(), expected, strict=True):
        group = _window(frame, step)
        ok = group.loc[group["error"] == "", "latency_ns"].to_numpy()
        seconds = (step["end_ns"] - step["start_ns"]) / 1e9
        assert row.concurrency == step["concurrency"]
        assert row.requests == len(group)
        assert row.throughput_rps == pytest.approx(len(group) / seconds, rel=REL)
        assert row.error_rate == pytest.approx((group["error"] != "").mean(), rel=REL)
        for q in (50, 95, 99):
            assert getattr(row, f"p{q}_ms") == pytest.approx(np.percentile(ok, q) / 1e6, rel=REL)
        share = group["connect_ns"].sum() / group["latency_ns"].sum()
        assert row.connect_share == pytest.approx(share, rel=REL)
    seed_layout = tables.throughput_table(windows)
    assert list(seed_layout["pattern"]) == [
        "Sequential (blocking)",
        "Parallel (10 workers)",
        "Parallel (50 workers)",
        "Parallel (100 workers)",
    ]
    assert list(seed_layout["throughput_rps"]) == list(windows["throughput_rps"])
    speedup = windows["throughput_rps"].iloc[1] / windows["throughput_rps"].iloc[0]
    assert seed_layout["notes"].iloc[1].startswith(f"{speedup:.1f}x sequential")


def test_pooling_and_batch(run: Run) -> None:
    frame = raw(run)
    pooling = tables.pooling_table(run.samples)
    assert list(pooling["mode"]) == ["pooled", "no_keepalive", "client_per_request"]
    averages = {}
    for row in pooling.itertuples():
        group = frame[(frame["phase"] == "pooling") & (frame["step"] == row.mode)]
        values = group.sort_values("start_ns")["latency_ns"].to_numpy() / 1e6
        rest = values[1:] if row.mode == "pooled" else values
        assert row.first_ms == pytest.approx(values[0], rel=REL)
        assert row.avg_ms == pytest.approx(rest.mean(), rel=REL)
        assert row.p95_ms == pytest.approx(np.percentile(rest, 95), rel=REL)
        averages[row.mode] = rest.mean()
    assert pooling["vs_pooled"].iloc[1] == pytest.approx(
        averages["no_keepalive"] / averages["pooled"], rel=REL
    )
    pooled_phase = frame[frame["phase"] == "pooling"]
    opened = pooled_phase[pooled_phase["new_connection"] == 1]["latency_ns"].to_numpy() / 1e6
    assert tables.first_request_ms(pooling) == pytest.approx(opened.mean(), rel=REL)
    assert pooling["new_connections"].sum() == len(opened)
    assert tables.pooling_speedup(pooling) == pytest.approx(
        opened.mean() / averages["pooled"], rel=REL
    )
    batch = tables.batch_table(run.samples)
    walls = {}
    for mode in ("sequential", "gather"):
        group = frame[(frame["phase"] == "batch") & (frame["step"] == mode)]
        end = (group["start_ns"] + group["latency_ns"]).max()
        walls[mode] = (end - group["start_ns"].min()) / 1e9
    assert list(batch["wall_s"]) == pytest.approx([walls["sequential"], walls["gather"]], rel=REL)
    assert batch["speedup"].iloc[1] == pytest.approx(walls["sequential"] / walls["gather"], rel=REL)


def test_errors_table(run: Run) -> None:
    frame = raw(run)
    table = tables.errors_table(run.samples)
    failed = frame[frame["error"] != ""]
    assert table["count"].sum() == len(failed)
    for row in table.itertuples():
        mine = failed[
            (failed["phase"] == row.phase)
            & (failed["operation"] == row.operation)
            & (failed["error"] == row.error)
        ]
        total = ((frame["phase"] == row.phase) & (frame["operation"] == row.operation)).sum()
        assert row.count == len(mine)
        assert row.share == pytest.approx(len(mine) / total, rel=REL)


def test_phase_breakdown(run: Run) -> None:
    frame = raw(run)
    table = tables.phase_breakdown(run.samples)
    for row in table.itertuples():
        group = frame[frame["operation"] == row.operation]
        service = (group["latency_ns"] - group["lag_ns"]).to_numpy()
        assert row.requests == len(group)
        assert row.latency_ms == pytest.approx(service.mean() / 1e6, rel=REL)
        parts = 0.0
        for part in ("connect", "send", "wait", "receive"):
            mean = group[f"{part}_ns"].mean() / 1e6
            parts += mean
            assert getattr(row, f"{part}_ms") == pytest.approx(mean, rel=REL)
            assert getattr(row, f"{part}_share") == pytest.approx(mean / row.latency_ms, rel=REL)
        assert row.other_ms == pytest.approx(service.mean() / 1e6 - parts, rel=1e-6)
        assert row.new_connection_share == pytest.approx((group["new_connection"] == 1).mean())


def test_open_loop_table(run: Run) -> None:
    frame = raw(run)
    table = tables.open_loop_table(run.samples, run.steps)
    step = next(s for s in steps(run) if s["phase"] == "open_loop")
    group = _window(frame, step)
    row = table.iloc[0]
    assert row["sent"] == len(group)
    assert row["errors"] == (group["error"] != "").sum()
    ok = group[group["error"] == ""]  # percentiles of successes, as in every other table
    response = ok["latency_ns"].to_numpy() / 1e6
    service = (ok["latency_ns"] - ok["lag_ns"]).to_numpy() / 1e6
    assert row["response_p99_ms"] == pytest.approx(np.percentile(response, 99), rel=REL)
    assert row["service_p50_ms"] == pytest.approx(np.percentile(service, 50), rel=REL)


def test_timeline_and_spectrum(run: Run) -> None:
    frame = raw(run)
    line = tables.timeline(run.samples)
    origin = frame["start_ns"].min()
    bins = (frame["start_ns"] - origin) // 1_000_000_000
    counts = bins.value_counts().sort_index()
    assert list(line["requests_per_s"]) == list(counts.to_numpy().astype(float))
    ok = frame["error"] == ""
    third = counts.index[3]
    expected = np.percentile(frame.loc[ok & (bins == third), "latency_ns"], 95) / 1e6
    assert line["p95_ms"].iloc[3] == pytest.approx(expected, rel=REL)
    lat = frame[(frame["phase"] == "latency") & ok]
    spectrum = tables.spectrum(run.samples[run.samples["phase"] == "latency"])
    mine = spectrum[spectrum["operation"] == "search_accounts"]
    values = lat.loc[lat["operation"] == "search_accounts", "latency_ns"].to_numpy()
    assert mine["latency_ms"].to_numpy() == pytest.approx(
        np.quantile(values, mine["q"].to_numpy()) / 1e6, rel=REL
    )
    assert mine["q"].max() <= 1 - 1 / len(values)  # no percentile the data cannot support


def test_seed_comparison(run: Run) -> None:
    analysis = analyse(run)
    cell = analysis.seed_latency.set_index(["operation", "metric"]).loc[("list_accounts", "p95")]
    measured = analysis.latency.set_index("operation").loc["list_accounts", "p95_ms"]
    assert cell["seed_ms"] == 45.0
    assert cell["ratio"] == pytest.approx(measured / 45.0, rel=REL)
    other = analysis.seed_other.set_index("item")
    seq = analysis.windows.set_index("concurrency").loc[1, "throughput_rps"]
    assert other.loc["Sequential (blocking)", "ratio"] == pytest.approx(seq / 50.0, rel=REL)
    assert other.loc["Parallel (100+ workers)", "seed"] == 900.0
    assert "Speed-up" in other.index


def test_notices_are_findings(run: Run) -> None:
    found = {f.id for f in analyse(run).findings}
    # 2% errors, c=100 saturated, run complete and TLS not in play
    assert {"errors.rate", "generator.saturated"} <= found
    assert not {i for i in found if i.startswith("notices.")}


def test_sweep_tables_and_recommendation(sweep_dir) -> None:
    from reports import sweep
    from results import load_run

    run = load_run(sweep_dir)
    frame = raw(run)
    analysis = analyse(run)
    windows = analysis.windows
    assert len(windows) == 12 and windows["pool"].nunique() == 3
    for step in steps(run):
        group = _window(frame, step)
        row = windows[(windows["pool"] == step["pool"]) & (windows["step"] == step["step"])]
        ok = group.loc[group["error"] == "", "latency_ns"].to_numpy()
        assert row["p99_ms"].iloc[0] == pytest.approx(np.percentile(ok, 99) / 1e6, rel=REL)
        share = group["connect_ns"].sum() / group["latency_ns"].sum()
        assert row["connect_share"].iloc[0] == pytest.approx(share, rel=REL)
    p99 = sweep.pivot(windows, "p99_ms").set_index("pool")
    assert list(p99.columns) == ["c=1", "c=10", "c=50", "c=100"]
    # the rule, recomputed by hand at the highest level
    top = windows[windows["concurrency"] == 100]
    eligible = top[top["p99_ms"] <= top["p99_ms"].min() * 1.1]
    best = eligible.loc[eligible["throughput_rps"].idxmax(), "pool"]
    assert analysis.recommendation is not None
    assert analysis.recommendation.pool == best == "aiohttp/pooled/k20/c100"
    assert "within 10% of the best p99" in analysis.recommendation.sentence()


def test_locust_users_over_time(locust_dir) -> None:
    from results import load_run

    run = load_run(locust_dir)
    frame = raw(run)
    line = tables.timeline(run.samples)
    bins = (frame["start_ns"] - frame["start_ns"].min()) // 1_000_000_000
    assert list(line["users"]) == list(frame.groupby(bins)["concurrency"].max())
    assert line["users"].max() == 100
    analysis = analyse(run)
    assert analysis.latency_phase == "locust"
    assert list(analysis.windows["concurrency"]) == [10, 50, 100]
