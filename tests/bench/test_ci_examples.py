"""The pipeline examples of docs/ci.md run what this test runs: examples/ci/perf-gate.sh, the
one script both the GitHub Actions workflow and the GitLab CI job call, and keep the folder
it writes. The script runs here for real, on the embedded mock, as a CI runner would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from junitparser import JUnitXml

from drivers.exit_codes import ExitCode
from tests._bench import ROOT
from tests._summary_schema import assert_valid_gate

EXAMPLES = ROOT / "examples" / "ci"
SCRIPT = EXAMPLES / "perf-gate.sh"


def test_both_pipelines_run_the_script_and_keep_its_folder() -> None:
    github = (EXAMPLES / "github-actions.yml").read_text()
    gitlab = (EXAMPLES / "gitlab-ci.yml").read_text()
    for text in (github, gitlab):
        assert "run: examples/ci/perf-gate.sh" in text or "- examples/ci/perf-gate.sh" in text
        assert "PERF_OUT: perf" in text and "perf/" in text  # the folder kept as an artefact
        assert "pip install -e ." in text
    assert "if: always()" in github
    assert "when: always" in gitlab and "junit: perf/junit.xml" in gitlab
    assert os.access(SCRIPT, os.X_OK)


def test_the_script_gates_a_quick_run_on_the_mock(tmp_path: Path) -> None:
    out = tmp_path / "perf"
    env = {**os.environ, "PERF_OUT": str(out), "PYTHON": sys.executable, "PERF_LABEL": "ci-test"}
    result = subprocess.run(
        [str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert "gate passed: 3 pass" in " ".join(result.stdout.split())
    document = json.loads((out / "gate.json").read_text())
    assert_valid_gate(document)
    assert document["passed"] is True and len(document["cells"]) == 3
    [run_dir] = (out / "runs").iterdir()
    assert run_dir.name.endswith("-ci-test") and (run_dir / "report.html").exists()
    assert document["inputs"] == [str(run_dir)]
    suite = next(iter(JUnitXml.fromfile(str(out / "junit.xml"))))
    assert suite.tests == 3 and suite.failures == 0
