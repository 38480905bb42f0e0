"""One analysis: stored runs' tables rebuilt from their samples, and no table logic elsewhere.

``tests/data/run_folders/`` holds short real runs (``bench.py run --quick``,
a two-setting ``bench.py sweep`` and a 3 s ``bench.py locust``, their samples
thinned) with the summary.json and report CSVs the harness wrote from those
samples *before* the tables moved into ``analysis/``. Rebuilding them from the
stored samples must give the same figures.
"""

from __future__ import annotations

import ast
import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.summary import summarize
from analysis.tables import MEASURED_PHASES
from reports import build_report
from results import load_samples

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "tests" / "data" / "run_folders"
#: named, not globbed: a fixture missing from a checkout fails rather than vanishes
FIXTURES = ("quick", "sweep", "locust")

#: summary.json keys the analysis computes (everything else was recorded by the driver)
DERIVED = frozenset(
    {"complete", "cut_short", "requests", "latency", "throughput", "windows", "errors"}
    | {"pooling", "pooling_first_request_ms", "pooling_speedup", "open_loop", "sweep"}
)
#: the driver computed these from already-rounded figures (pooling: the rounded per-mode means;
#: batch: the rounded wall times), so the analysis's unrounded ones may differ by one unit in
#: the last stored place
ROUNDED_INPUTS = {"pooling_first_request_ms": 0.001, "pooling_speedup": 0.01, "speedup": 0.01}
OPEN_LOOP_FIGURES = ("achieved_rate", "response_p50_ms", "response_p99_ms", "errors")
OPEN_LOOP_FIGURES += ("service_p50_ms", "service_p99_ms")


def _recorded(stored: dict[str, Any]) -> dict[str, Any]:
    """What the driver handed ``summarize`` beside the samples and steps."""
    extras = {k: v for k, v in stored.items() if k not in DERIVED and k != "steps"}
    if "batch" in extras:
        extras["batch"] = {k: extras["batch"][k] for k in ("count", "sequential_s", "gather_s")}
    if "open_loop" in stored:  # bench.py runs; Locust runs have none
        extras["open_loop_runs"] = [
            {k: v for k, v in run.items() if k not in OPEN_LOOP_FIGURES}
            for run in stored["open_loop"]
        ]
    return extras


def _assert_same(stored: Any, rebuilt: Any, where: str = "") -> None:
    if isinstance(stored, dict):
        assert isinstance(rebuilt, dict), where
        assert stored.keys() == rebuilt.keys(), where
        for key in stored:
            _assert_same(stored[key], rebuilt[key], f"{where}.{key}")
    elif isinstance(stored, list):
        assert isinstance(rebuilt, list) and len(stored) == len(rebuilt), where
        for i, (a, b) in enumerate(zip(stored, rebuilt, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(stored, float) and not isinstance(rebuilt, bool):
        key = where.rsplit(".", 1)[-1]
        tolerance = ROUNDED_INPUTS.get(key, 0.0)
        assert isinstance(rebuilt, float | int), where
        assert math.isclose(stored, rebuilt, rel_tol=1e-9, abs_tol=tolerance * 1.0001), (
            f"{where}: stored {stored}, rebuilt {rebuilt}"
        )
    else:
        assert type(stored) is type(rebuilt) and stored == rebuilt, (
            f"{where}: stored {stored!r}, rebuilt {rebuilt!r}"
        )


@pytest.mark.parametrize("name", FIXTURES)
def test_summary_json_is_the_analysis_of_the_stored_samples(name: str) -> None:
    run = RUNS / name
    stored = json.loads((run / "summary.json").read_text())
    rebuilt = summarize(
        load_samples(run),
        stored["steps"],
        extras=_recorded(stored),
        complete=stored["complete"],
        cut_short=stored["cut_short"],
    )
    # the fixtures predate findings (tests/analysis/test_findings.py checks them) and the
    # headline, checked here against the raw samples
    rebuilt.pop("findings")
    rebuilt.pop("not_judged")
    _assert_headline(load_samples(run), rebuilt.pop("headline"), stored["windows"])
    _assert_same(stored, json.loads(json.dumps(rebuilt)), name)
    assert stored["windows"]  # the comparison had something to compare


def _assert_headline(samples: pd.DataFrame, headline: Any, windows: list[Any]) -> None:
    """The verdict's figures: every request of the measured phases, percentiles of the
    successful ones, the fastest window."""
    measured = samples[samples["phase"].astype(str).isin(MEASURED_PHASES)]
    failed = measured["error"].astype(str) != ""
    assert headline["requests"] == len(measured) and headline["errors"] == int(failed.sum())
    ok_ms = measured.loc[~failed, "latency_ns"].to_numpy() / 1e6
    assert headline["p95_ms"] == pytest.approx(float(np.percentile(ok_ms, 95)))
    loaded = [w for w in windows if w["phase"] in MEASURED_PHASES]
    assert headline["peak_rps"] == max(w["requests_per_s"] for w in loaded)


@pytest.mark.parametrize("name", FIXTURES)
def test_report_tables_are_the_analysis_of_the_stored_samples(name: str, tmp_path: Path) -> None:
    run = tmp_path / name
    shutil.copytree(RUNS / name, run, ignore=shutil.ignore_patterns("*.csv"))
    build_report(run, out_dir=tmp_path / "out")
    stored_csvs = sorted(p.name for p in (RUNS / name).glob("*.csv"))
    assert stored_csvs == sorted(p.name for p in (tmp_path / "out").glob("*.csv"))
    for csv in stored_csvs:
        stored = pd.read_csv(RUNS / name / csv, keep_default_na=False, na_values=[""])
        rebuilt = pd.read_csv(tmp_path / "out" / csv, keep_default_na=False, na_values=[""])
        assert list(stored.columns) == list(rebuilt.columns), csv
        assert len(stored) == len(rebuilt), csv
        for column in stored.columns:
            a, b = stored[column], rebuilt[column]
            if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
                assert np.allclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True), (csv, column)
            else:
                assert list(a.astype(str)) == list(b.astype(str)), (csv, column)


#: the only modules outside ``analysis/`` that may take a percentile, and why
PERCENTILES_ALLOWED = {
    # the generator's event-loop lag (health samples, not request samples)
    "results/health.py": "loop lag",
}
STATISTICS = frozenset({"percentile", "quantile", "nanpercentile", "nanquantile", "median"})
PACKAGES = ("drivers", "locustfiles", "reports", "results", "workload")


def _statistic_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in STATISTICS | {"percentiles"}
    ]


def test_no_table_statistics_outside_the_analysis() -> None:
    """A percentile, quantile or median taken outside ``analysis/`` is a second analysis."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if str(path.relative_to(ROOT)) not in PERCENTILES_ALLOWED:
                found += _statistic_calls(path)
    assert not found, "table statistics outside analysis/: " + ", ".join(found)


def test_the_check_finds_a_percentile(tmp_path: Path) -> None:
    """The check above is not vacuous: it sees the calls the old copies made."""
    assert _statistic_calls(ROOT / "analysis" / "tables.py")


def test_analysis_never_reaches_up_into_reports_or_down_into_the_generators() -> None:
    """The flow is run folder -> analysis -> reports: analysis/ imports neither side."""
    upward = []
    for path in sorted((ROOT / "analysis").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name.split(".")[0] in ("reports", "drivers", "locustfiles", "bench"):
                    upward.append(f"{path.name}: {name}")
    assert not upward, upward
