"""The release gate as a pipeline meets it: real ``bench.py`` processes on the embedded mock,
their exit codes (0, 1, 2, 4 and 5 here; 3 in test_run_failures.py), the terminal's verdict,
the report's first section, the JUnit XML read by a real consumer, the gate JSON against its
schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped

from analysis.gate_rules import INCONCLUSIVE
from drivers.exit_codes import ExitCode
from mock_service import create_app
from tests._bench import bench, run_dir_from
from tests._live_server import LiveServer, free_port
from tests._summary_schema import assert_valid_gate

OPERATIONS = "get_account_profile, ensure_account"  # the start of the list the error names


def _unwrapped(text: str) -> str:
    return " ".join(text.split())  # the terminal's verdict is wrapped at 80 columns


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two quick runs of the seed mock, one with a threshold it cannot meet."""
    root = tmp_path_factory.mktemp("gate")
    out: dict[str, object] = {"root": root}
    for name, rule in (("strict", "p95<1ms"), ("loose", "p95<10s")):
        result = bench(
            "run", "--quick", "--threshold", rule, "--threshold", "error_rate<1%",
            "--runs-dir", str(root / "runs"), "--label", name,
            "--junit", str(root / f"{name}.xml"), "--gate-json", str(root / f"{name}.json"),
            timeout=300,
        )  # fmt: skip
        out[name] = result
    return out


def test_a_threshold_the_run_cannot_meet_fails_it_everywhere(quick_runs: dict) -> None:
    root: Path = quick_runs["root"]
    result = quick_runs["strict"]
    assert result.returncode == ExitCode.GATE_FAILED, result.stdout + result.stderr
    tail = _unwrapped(result.stdout.split("\nVerdict\n")[-1])  # the terminal's last block
    assert "gate FAILED: 1 pass, 1 fail" in tail
    assert "FAIL p95<1ms — all measured requests:" in tail and "limit 1 ms" in tail
    assert "PASS error_rate<1% — all measured requests: 0.00%" in tail

    run_dir = run_dir_from(result.stdout)
    report = (run_dir / "report.md").read_text()
    first = report.split("\n## ")[1]  # the report's first section
    assert first.startswith("Verdict") and "❌ **Thresholds failed: 1 pass, 1 fail" in first
    assert "| fail | p95<1ms | all measured requests |" in first
    html = (run_dir / "report.html").read_text()
    assert 'class="callout bad"' in html and 'class="gate-fail"' in html

    suite = next(iter(JUnitXml.fromfile(str(root / "strict.xml"))))
    assert (suite.name, suite.tests, suite.failures, suite.skipped) == ("bench.py run", 2, 1, 0)
    cases = {case.name: case for case in suite}
    [failure] = cases["p95<1ms [all measured requests]"].result
    assert isinstance(failure, Failure) and "limit 1 ms" in failure.message
    assert "interval (95%)" in failure.text and "measured:" in failure.text
    assert cases["error_rate<1% [all measured requests]"].is_passed

    document = json.loads((root / "strict.json").read_text())
    assert_valid_gate(document)
    assert document["passed"] is False and document["exit_code"] == ExitCode.GATE_FAILED
    assert document["inputs"] == [str(run_dir)]
    [p95] = [c for c in document["cells"] if c["rule"] == "p95<1ms"]
    assert p95["outcome"] == "fail" and p95["ci_low"] > p95["limit"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["gate"]["results"] == document["cells"]  # one verdict, kept in both


def test_a_threshold_the_run_meets_passes(quick_runs: dict) -> None:
    root: Path = quick_runs["root"]
    result = quick_runs["loose"]
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert "gate passed: 2 pass" in _unwrapped(result.stdout.split("\nVerdict\n")[-1])
    document = json.loads((root / "loose.json").read_text())
    assert_valid_gate(document)
    assert document["passed"] is True and document["counts"] == {
        "pass": 2,
        "fail": 0,
        "inconclusive": 0,
    }
    suite = next(iter(JUnitXml.fromfile(str(root / "loose.xml"))))
    assert suite.tests == 2 and suite.failures == 0 and all(case.is_passed for case in suite)


def test_two_quick_runs_cannot_rule_out_a_5_percent_slowdown(
    quick_runs: dict, tmp_path: Path
) -> None:
    """The same profile twice: their p95 intervals are wider than +5%, so the gate says
    inconclusive with the smallest change it could detect, and fails (the default)."""
    base = run_dir_from(quick_runs["loose"].stdout)
    cand = run_dir_from(quick_runs["strict"].stdout)
    junit, gate = tmp_path / "compare.xml", tmp_path / "compare.json"
    result = bench(
        "compare", str(base), str(cand), "--fail-on", "p95:+5%", "--out", str(tmp_path / "c"),
        "--junit", str(junit), "--gate-json", str(gate),
    )  # fmt: skip
    assert result.returncode == ExitCode.GATE_FAILED, result.stdout + result.stderr
    document = json.loads(gate.read_text())
    assert_valid_gate(document)
    inconclusive = [c for c in document["cells"] if c["outcome"] == INCONCLUSIVE]
    assert inconclusive and document["counts"]["inconclusive"] == len(inconclusive)
    for cell in inconclusive:
        assert cell["detectable"] > 0.05
        assert "smallest change this comparison could detect" in cell["detail"]
    out = _unwrapped(result.stdout)
    assert "gate FAILED:" in out and "(inconclusive counts as fail)" in out
    assert "INCONCLUSIVE p95:+5% —" in out and "could detect is about ±" in out
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    assert suite.name == "bench.py compare" and suite.tests == len(document["cells"])
    assert suite.failures >= len(inconclusive)  # inconclusive counts as fail

    lenient = tmp_path / "lenient.xml"
    result = bench(
        "compare", str(base), str(cand), "--fail-on", "p95:+5%", "--out", str(tmp_path / "d"),
        "--inconclusive", "pass", "--junit", str(lenient),
    )  # fmt: skip
    suite = next(iter(JUnitXml.fromfile(str(lenient))))
    skipped = [case for case in suite if any(isinstance(r, Skipped) for r in case.result)]
    assert len(skipped) == len(inconclusive)
    failed = suite.failures
    assert result.returncode == (ExitCode.GATE_FAILED if failed else ExitCode.OK), result.stdout


def test_a_scope_that_matches_nothing_is_bad_input_naming_what_exists(tmp_path: Path) -> None:
    result = bench("run", "--quick", "--threshold", "nosuchop:p95<1s", "--runs-dir", str(tmp_path))
    assert result.returncode == ExitCode.BAD_INPUT
    [line] = result.stderr.strip().splitlines()
    assert "unknown scope 'nosuchop'" in line and OPERATIONS in line
    result = bench("run", "--quick", "--threshold", "c=7:p95<1s", "--runs-dir", str(tmp_path))
    assert result.returncode == ExitCode.BAD_INPUT
    assert "this run has no level c=7; it has c=1, c=10, c=50, c=100" in result.stderr
    assert not any(tmp_path.iterdir()), "refused before any load: no run folder"


def test_an_unreachable_target_is_exit_4_and_an_error_for_the_ci(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    junit, gate = tmp_path / "junit.xml", tmp_path / "gate.json"
    result = bench(
        "run", "--quick", "--target", url, "--runs-dir", str(tmp_path / "runs"),
        "--junit", str(junit), "--gate-json", str(gate),
    )  # fmt: skip
    assert result.returncode == ExitCode.TARGET_FAILED, result.stdout + result.stderr
    assert result.stderr.strip().startswith(f"bench.py run: --target {url} does not answer")
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    assert (suite.tests, suite.errors) == (1, 1)  # the CI system shows why, not nothing
    [error] = next(iter(suite)).result
    assert error.message == "exit 4: the target could not be measured"
    document = json.loads(gate.read_text())
    assert_valid_gate(document)
    assert document["passed"] is False and document["exit_code"] == 4 and not document["cells"]


def test_the_harness_failing_is_exit_5(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.write_text("a file where the runs folder goes")
    result = bench("run", "--quick", "--phases", "latency", "--runs-dir", str(runs))
    assert result.returncode == ExitCode.INTERNAL, result.stdout + result.stderr
    assert "could not create a run folder under" in result.stderr


TINY = """
[latency]
requests = 20
warmup = 1
[data]
accounts = 8
[thresholds]
all = ["p95<10s"]
get_account_profile = ["p99<10s"]
"""


def test_a_scenarios_thresholds_and_the_flags_add_up(
    tmp_path: Path, live_server: Callable[..., LiveServer]
) -> None:
    url = live_server(create_app("fast")).url
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY)
    gate = tmp_path / "gate.json"
    result = bench(
        "run", "--target", url, "--scenario", str(scenario), "--phases", "latency",
        "--threshold", "error_rate<1%", "--runs-dir", str(tmp_path / "runs"), "--no-report",
        "--gate-json", str(gate),
    )  # fmt: skip
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    document = json.loads(gate.read_text())
    assert [c["rule"] for c in document["cells"]] == [
        "p95<10s",
        "get_account_profile:p99<10s",
        "error_rate<1%",
    ]
    # ~140 requests, none failed, cannot show an error rate under 1%: Wilson's interval
    # reaches past it; a threshold's inconclusive passes by default, with a warning
    assert [c["outcome"] for c in document["cells"]] == ["pass", "pass", "inconclusive"]
    assert "warning: an inconclusive cell" in _unwrapped(result.stdout)
    result = bench(
        "run", "--target", url, "--scenario", str(scenario), "--phases", "latency",
        "--threshold", "error_rate<1%", "--runs-dir", str(tmp_path / "runs"), "--no-report",
        "--inconclusive", "fail",
    )  # fmt: skip
    assert result.returncode == ExitCode.GATE_FAILED, result.stdout + result.stderr

    scenario.write_text(TINY.replace('"p95<10s"', '"p95 under 10s"'))
    result = bench("run", "--target", url, "--scenario", str(scenario), "--runs-dir", str(tmp_path))
    assert result.returncode == ExitCode.BAD_INPUT
    assert "[thresholds]: cannot read 'p95 under 10s'" in result.stderr
