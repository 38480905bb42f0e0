"""Every link in report.md and compare.md resolves from the report's own folder, whatever the
working directory was when it was built and whatever it is when it is read: the folder is
what gets attached to a review."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from reports import compare_runs
from tests._run_factory import Spec, make_run

ROOT = Path(__file__).resolve().parents[2]
SMALL = Spec(latency_requests=60, levels=(1, 10), duration_s=1.0, pooling_requests=10)
MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HTML_LINK = re.compile(r"""(?:src|href)="([^"]+)\"""")


def _file_links(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Links to files: not in-page anchors, not embedded data, not web addresses."""
    links = [unquote(link) for link in pattern.findall(text)]
    return [link for link in links if not link.startswith(("#", "data:", "http:", "https:"))]


def _assert_resolve_from(folder: Path, links: list[str]) -> None:
    for link in links:
        assert not Path(link).is_absolute(), link
        assert (folder / link).is_file(), f"{link} does not resolve from {folder}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs under ``<tmp>/work/runs``, built with paths relative to ``<tmp>/work``."""
    work = tmp_path / "work"
    (work / "runs").mkdir(parents=True)
    monkeypatch.chdir(work)
    return work


def test_report_links_resolve_from_the_report_folder(
    workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_run(workdir / "runs", SMALL, "20261126T041500Z-quick")
    result = subprocess.run(  # as a user does: a relative run folder, from the project's parent
        [sys.executable, str(ROOT / "bench.py"), "report", "runs/20261126T041500Z-quick"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = workdir / "runs" / "20261126T041500Z-quick" / "report.md"

    elsewhere = tmp_path / "review"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the reader's working directory is not the builder's
    images = [link for link in _file_links(report.read_text(), MD_LINK) if link.endswith(".png")]
    assert len(images) >= 3, "the report links its pictures"
    _assert_resolve_from(report.parent, _file_links(report.read_text(), MD_LINK))
    html = (report.parent / "report.html").read_text()
    _assert_resolve_from(report.parent, _file_links(html, HTML_LINK))  # images are embedded
    assert "data:image/png;base64," in html


def test_compare_links_resolve_from_the_compare_folder(
    workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_run(workdir / "runs", SMALL, "base")
    make_run(workdir / "runs", Spec(**{**SMALL.__dict__, "seed": 2, "slowdown": 1.3}), "cand")
    result = compare_runs(Path("runs/base"), Path("runs/cand"))  # default: inside the candidate
    folder = (workdir / result.paths.markdown).parent

    elsewhere = tmp_path / "review"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    text = (folder / "compare.md").read_text()
    links = _file_links(text, MD_LINK)
    assert any(link.endswith(".png") for link in links), "the comparison links its pictures"
    _assert_resolve_from(folder, links)
    _assert_resolve_from(folder, _file_links((folder / "compare.html").read_text(), HTML_LINK))
