"""bench.py history: synthetic run series with planted steps, skipped runs, the gate, the page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from unittest.mock import ANY as ANY_TEXT

import numpy as np
import pandas as pd
import pytest

import bench
from analysis.gate_rules import FAIL
from analysis.summary import summarize
from reports.history import HistoryResult, build_history, collect, run_cells
from results import load_run
from tests._run_factory import Spec, make_run
from tests.reports.test_html_chromium import CHECK, CHROMIUM, _chromium

LEVELS = (1, 10)
STEP = 0.3  # planted: every latency x1.3, so throughput / 1.3


def make_series(
    root: Path, n: int, step_at: int | None, *, seed0: int = 1, scenario: str = "synthetic"
) -> list[Path]:
    """``n`` runs labelled v1.0.0.. v1.<n-1>.0, started in *reverse* order of release, each
    slowed by 1 + STEP from run ``step_at`` on."""
    paths = []
    for i in range(n):
        slowdown = 1 + STEP if step_at is not None and i >= step_at else 1.0
        spec = Spec(seed=seed0 + i, slowdown=slowdown, levels=LEVELS, duration_s=2.0)
        path = make_run(root, spec, f"2026112{i % 10}T0{i // 10}0000Z-{scenario}-{i:02d}")
        _edit_meta(
            path,
            label=f"v1.{i}.0",
            started_at=f"2026-11-{28 - i:02d}T04:15:00+00:00",
            scenario={"name": scenario},
        )
        paths.append(path)
    return paths


def _edit_meta(path: Path, **changes: object) -> None:
    meta_path = path / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta.update(changes)
    meta_path.write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def stepped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, HistoryResult]:
    """12 releases with a step at run 8, one run of another scenario, one on another profile."""
    root = tmp_path_factory.mktemp("stepped")
    make_series(root, 12, 8)
    other = make_run(root, Spec(seed=99, levels=LEVELS, duration_s=2.0), "other-scenario")
    _edit_meta(
        other, label="v1.3.5", started_at="2026-11-01T00:00:00+00:00", scenario={"name": "checkout"}
    )
    slow = make_run(root, Spec(seed=98, levels=LEVELS, duration_s=2.0, profile="slow"), "slow")
    _edit_meta(slow, label="v1.4.5", started_at="2026-11-02T00:00:00+00:00")
    return root, build_history(root, fail_on_change="p95:+10%,throughput:-5%")


def test_runs_are_ordered_by_release_and_others_are_skipped_with_why(stepped) -> None:
    _, result = stepped
    assert [r.label for r in result.runs] == [f"v1.{i}.0" for i in range(12)]
    assert result.order.startswith("release")
    why = {s.path.name: s.why for s in result.skipped}
    assert set(why) == {"other-scenario", "slow"}
    assert "scenario 'checkout'" in why["other-scenario"]
    assert "slow" in why["slow"]
    frame = pd.read_csv(result.paths.csv)
    assert set(frame["run"]) == {r.name for r in result.runs}


def test_the_planted_step_is_found_at_its_run_with_its_size(stepped) -> None:
    _, result = stepped
    frame = pd.read_csv(result.paths.csv)
    checked = 0
    for metric, step in (("p50", STEP), ("throughput", 1 / (1 + STEP) - 1)):
        for cell, series in frame[frame["metric"] == metric].groupby("cell"):
            before = series[series["index"] < 8]["value"]
            noise = before.std() / before.mean()  # the run-to-run noise of this series
            found = [c for c in result.changes if c.cell == cell and c.metric == metric]
            assert [c.index for c in found] == [8], (cell, metric)
            assert abs(found[0].change - step) < 3 * noise + 0.02, (cell, metric)
            assert found[0].regression and found[0].p_value <= 0.01
            checked += 1
    assert checked == 7 + len(LEVELS)
    # a step inside the history does not fail the gate: only one the newest run starts
    assert not result.failures and FAIL not in {g.outcome for g in result.gates}, [
        g.describe() for g in result.gates if g.outcome == FAIL
    ]
    table = pd.read_csv(result.paths.change_csv)
    assert len(table) == len(result.changes)


def test_runs_without_a_step_show_at_most_one_false_change(tmp_path: Path) -> None:
    make_series(tmp_path, 12, None, seed0=200)
    result = build_history(tmp_path)
    series = pd.read_csv(result.paths.csv).groupby(["cell", "metric"]).ngroups
    assert series >= 20
    assert len(result.changes) <= 1


def test_each_run_has_a_confidence_interval_around_its_value(stepped) -> None:
    _, result = stepped
    frame = pd.read_csv(result.paths.csv)
    assert (frame["ci_low"] <= frame["value"]).all() and (frame["value"] <= frame["ci_high"]).all()
    latency = frame[frame["metric"] != "throughput"]  # the factory paces requests evenly
    assert (latency["ci_high"] > latency["ci_low"]).all()


def test_a_run_without_samples_contributes_its_summary_figures(tmp_path: Path) -> None:
    (path,) = make_series(tmp_path, 1, None)
    run = load_run(path)
    steps = run.steps.drop(columns="inferred").to_dict("records")
    summary = summarize(run.samples, steps)
    (path / "summary.json").write_text(json.dumps(summary))
    (history_run,) = collect(path.parent)[0]
    with_samples = pd.DataFrame(run_cells(history_run)).set_index(["cell", "metric"])
    (path / "samples.parquet").unlink()
    from_summary = pd.DataFrame(run_cells(history_run)).set_index(["cell", "metric"])
    assert from_summary["ci_low"].isna().all()
    shared = from_summary.index.intersection(with_samples.index)
    assert len(shared) == len(with_samples)
    assert np.allclose(
        from_summary.loc[shared, "value"], with_samples.loc[shared, "value"], rtol=0.02
    )


@pytest.fixture(scope="module")
def newest_step(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("newest")
    make_series(root, 11, 10, seed0=50)
    return root


def test_gate_fails_when_the_newest_run_starts_a_step(
    newest_step: Path, tmp_path: Path, capsys
) -> None:
    code = bench.main(
        ["history", str(newest_step), "--out", str(tmp_path / "a"), "--fail-on-change", "p95:+10%"]
    )
    out = capsys.readouterr().out
    assert code == 1
    unwrapped = " ".join(out.split())
    assert re.search(r"FAIL p95:\+10% — [^—]*the newest run starts a change point", unwrapped)
    # the same step under a looser limit passes
    code = bench.main(
        ["history", str(newest_step), "--out", str(tmp_path / "b"), "--fail-on-change", "p95:+60%"]
    )
    assert code == 0


def test_without_a_step_at_the_newest_run_the_gate_says_what_it_could_tell(
    stepped, tmp_path: Path, capsys
) -> None:
    """No change point at the newest run: a loose rule passes; a tight one the runs' noise
    cannot rule out is inconclusive, which fails by default and passes when asked."""
    root, _ = stepped

    def history(*args: str) -> tuple[int, str]:
        code = bench.main(["history", str(root), "--out", str(tmp_path), *args])
        return code, " ".join(capsys.readouterr().out.split())

    assert history("--fail-on-change", "p95:+40%") == (0, ANY_TEXT)
    code, out = history("--fail-on-change", "p95:+10%")
    assert code == 1 and "INCONCLUSIVE p95:+10%" in out and "FAIL " not in out
    assert "could detect is about ±" in out
    assert history("--fail-on-change", "p95:+10%", "--inconclusive", "pass")[0] == 0


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--fail-on-change", "p95:10"], "--fail-on-change"),
        (["--fail-on-change", "throughput:+5%"], "--fail-on-change"),
        (["--scenario", "nothing-like-it"], "nothing-like-it"),
    ],
)
def test_bad_input_exits_2_with_one_line(stepped, tmp_path: Path, capsys, args, named) -> None:
    root, _ = stepped
    assert bench.main(["history", str(root), "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0]


def test_a_missing_folder_is_bad_input(tmp_path: Path, capsys) -> None:
    assert bench.main(["history", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err


def test_a_corrupt_run_is_skipped_not_fatal(tmp_path: Path) -> None:
    make_series(tmp_path, 6, None)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "meta.json").write_text("{not json")
    result = build_history(tmp_path)
    assert [s.path.name for s in result.skipped] == ["broken"]
    assert len(result.runs) == 6


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_history_html_renders_in_chromium(stepped, tmp_path: Path) -> None:
    _, result = stepped
    page = result.paths.html.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", CHECK + "</body>"), encoding="utf-8")
    dom = _chromium(["--dump-dom", probe.as_uri()], tmp_path / "profile")
    found = re.search(r"images=(\d+) broken=(\d+) sections=(\d+)", dom)
    assert found, "the page did not finish loading"
    images, broken, sections = map(int, found.groups())
    assert images == len(result.paths.images) == 4
    assert broken == 0
    assert sections >= 4
