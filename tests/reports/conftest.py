from __future__ import annotations

from pathlib import Path

import pytest

from reports import ReportPaths, build_report
from results import Run, load_run
from tests._run_factory import Spec, make_run

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

RUN_SPEC = Spec(open_loop_rate=200, error_rate=0.02, saturated_steps=("c=100",))


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def run_dir(runs_root: Path) -> Path:
    """A standard run against the seed mock: every phase, 2% errors, one saturated step."""
    return make_run(runs_root, RUN_SPEC, "run")


@pytest.fixture(scope="session")
def sweep_dir(runs_root: Path) -> Path:
    return make_run(runs_root, Spec(kind="sweep"), "sweep")


@pytest.fixture(scope="session")
def locust_dir(runs_root: Path) -> Path:
    return make_run(runs_root, Spec(kind="locust", profile="fast"), "locust")


@pytest.fixture(scope="session")
def run(run_dir: Path) -> Run:
    return load_run(run_dir)


@pytest.fixture(scope="session")
def run_report(run_dir: Path) -> ReportPaths:
    return build_report(run_dir)


@pytest.fixture(scope="session")
def sweep_report(sweep_dir: Path) -> ReportPaths:
    return build_report(sweep_dir)


@pytest.fixture(scope="session")
def locust_report(locust_dir: Path) -> ReportPaths:
    return build_report(locust_dir)
