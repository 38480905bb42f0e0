"""The command line builds the report once the run is measured; drivers never build one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bench as bench_cli
from drivers.standard_run import EXIT_OK, EXIT_PREFLIGHT, EXIT_TARGET, Outcome
from tests._run_factory import make_run

ROOT = Path(__file__).resolve().parents[2]


def test_drivers_do_not_import_reports() -> None:
    """The flow runs drivers -> run folder -> reports, never back up."""
    offenders = []
    for path in sorted((ROOT / "drivers").glob("**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            offenders += [
                f"{path.name}:{node.lineno}" for m in modules if m.split(".")[0] == "reports"
            ]
    assert offenders == []


def test_a_finished_run_gets_its_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run_dir = make_run(tmp_path)
    code = bench_cli.report_after_run(Outcome(run_dir, {}, EXIT_TARGET), wanted=True)
    assert code == EXIT_TARGET
    assert capsys.readouterr().out == f"report: {run_dir / 'report.html'}\n"
    assert (run_dir / "report.md").is_file()


def test_a_report_that_cannot_be_built_is_said_and_keeps_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    broken = tmp_path / "not-a-run"
    broken.mkdir()
    code = bench_cli.report_after_run(Outcome(broken, {}, EXIT_OK), wanted=True)
    assert code == EXIT_OK
    assert capsys.readouterr().out.startswith("report: could not be built (")


def test_no_report_when_asked_or_when_nothing_was_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run_dir = make_run(tmp_path)
    assert bench_cli.report_after_run(Outcome(run_dir, {}, EXIT_OK), wanted=False) == 0
    gone = Outcome(tmp_path / "removed", {}, EXIT_PREFLIGHT)
    assert bench_cli.report_after_run(gone, wanted=True) == EXIT_PREFLIGHT
    assert capsys.readouterr().out == ""
    assert not (run_dir / "report.md").exists()
