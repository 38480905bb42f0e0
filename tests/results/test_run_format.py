"""The run folder's format version: written by every writer, read by every reader, old folders
upgraded, newer ones refused with one line (docs/run-format.md, results/run_format.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import bench as bench_cli
from reports import build_report
from results import RunFolder, load_run, load_samples, read_meta
from results.meta import base_meta
from results.run_format import (
    AUTH_NOT_RECORDED,
    FORMAT_VERSION,
    READABLE,
    RunFormatError,
    check_format,
)
from tests._run_factory import Spec, make_run

ROOT = Path(__file__).resolve().parents[2]
SMALL = Spec(latency_requests=60, levels=(1, 10), duration_s=1.0, pooling_requests=10)
V2_KEYS = ("target_info", "tls", "auth")


def _rewrite_meta(path: Path, change: Any) -> dict[str, Any]:
    folder = RunFolder(path)
    meta = change(read_meta(path))
    folder.write_meta(meta)
    return meta


def _as_version_1(meta: dict[str, Any]) -> dict[str, Any]:
    """What a harness before the format was versioned wrote: none of the version-2 keys."""
    return {k: v for k, v in meta.items() if k not in ("format_version", *V2_KEYS)}


def _drop_worker_column(path: Path) -> None:
    samples = RunFolder(path).samples_path
    table = pq.read_table(samples)
    pq.write_table(table.drop(["worker"]), samples)


def test_every_meta_carries_the_current_version() -> None:
    meta = base_meta("run", target="http://127.0.0.1:9")
    assert meta["format_version"] == FORMAT_VERSION == READABLE[-1]
    assert check_format(meta) == FORMAT_VERSION


def test_a_current_run_round_trips(tmp_path: Path) -> None:
    path = make_run(tmp_path, SMALL, "v2")
    written = _rewrite_meta(
        path,
        lambda meta: {
            **meta,
            **base_meta(
                "run", token="T0KEN", target="https://127.0.0.1:9", target_info={"service": "svc"}
            ),
            "tls": {"verify": True, "ca_cert": None, "client_certificate": False},
        },
    )
    run = load_run(path)
    assert run.format_version == FORMAT_VERSION
    assert run.meta == json.loads(json.dumps(written, default=str))  # nothing filled in
    assert run.meta["auth"] == "bearer token ***"
    assert load_samples(path)["worker"].max() > 0  # the closed loop's workers are kept


def test_a_version_1_folder_is_upgraded_and_its_report_builds(tmp_path: Path) -> None:
    path = make_run(tmp_path, SMALL, "v1")
    _rewrite_meta(path, _as_version_1)
    _drop_worker_column(path)

    run = load_run(path)
    assert run.format_version == 1
    assert run.meta["auth"] == AUTH_NOT_RECORDED
    assert run.meta["tls"] is None  # an http target: no TLS to describe
    assert run.meta["target_info"]["service"] is None
    assert (run.samples["worker"] == 0).all() and len(run.samples) > 0
    assert (load_samples(path)["worker"] == 0).all()

    report = build_report(path, out_dir=tmp_path / "report")
    text = report.markdown.read_text(encoding="utf-8")
    assert AUTH_NOT_RECORDED in text  # said, not guessed
    assert "## Single Request Latency" in text


def test_an_https_version_1_run_claims_nothing_about_its_tls(tmp_path: Path) -> None:
    path = make_run(tmp_path, SMALL, "v1-https")
    _rewrite_meta(path, lambda meta: {**_as_version_1(meta), "target": "https://10.0.0.1"})
    run = load_run(path)
    assert run.meta["tls"] == {}
    text = build_report(path, out_dir=tmp_path / "report").markdown.read_text(encoding="utf-8")
    assert "NOT verified" not in text and "verified against" not in text


def test_what_a_late_version_1_run_recorded_is_kept(tmp_path: Path) -> None:
    path = make_run(tmp_path, SMALL, "v1-late")
    recorded = {"verify": False, "ca_cert": None, "client_certificate": False}
    _rewrite_meta(path, lambda meta: {**_as_version_1(meta), "tls": recorded})
    assert load_run(path).meta["tls"] == recorded


@pytest.mark.parametrize("version", ["2", 2.0, None, True, [2]])
def test_a_version_that_is_not_a_whole_number_is_refused(version: Any) -> None:
    with pytest.raises(RunFormatError, match=r"^runs/X: run format .* is not a version"):
        check_format({"format_version": version}, "runs/X")


def test_an_unknown_older_version_is_refused() -> None:
    with pytest.raises(RunFormatError, match=r"^runs/X: run format 0 is not one this harness"):
        check_format({"format_version": 0}, "runs/X")


def test_a_newer_version_is_refused_with_one_line(tmp_path: Path) -> None:
    path = make_run(tmp_path, SMALL, "future")
    newer = FORMAT_VERSION + 5
    _rewrite_meta(path, lambda meta: {**meta, "format_version": newer})
    expected = (
        f"{path}: run format {newer} is newer than this harness reads ({FORMAT_VERSION}); "
        "upgrade the harness"
    )
    with pytest.raises(RunFormatError) as raised:
        load_run(path)
    assert str(raised.value) == expected
    with pytest.raises(RunFormatError):
        load_samples(path)

    result = subprocess.run(
        [sys.executable, "bench.py", "report", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"bench.py report: {expected}"
    assert not (path / "report.md").exists()


def test_compare_refuses_a_newer_run_too(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = make_run(tmp_path, SMALL, "base")
    cand = make_run(tmp_path, SMALL, "cand")
    _rewrite_meta(cand, lambda meta: {**meta, "format_version": FORMAT_VERSION + 1})
    assert bench_cli.main(["compare", str(base), str(cand)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"bench.py compare: {cand}: run format {FORMAT_VERSION + 1} is newer")
    assert len(err.splitlines()) == 1
