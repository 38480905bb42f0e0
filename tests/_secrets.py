"""Reading a whole run folder back for a secret: every file's bytes, and parquet decoded."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq


def assert_nowhere(run_dir: Path, secret: str) -> None:
    """Not in any file's bytes, nor in any string the parquet files hold once decompressed."""
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in files), sorted(p.name for p in files)
    for path in files:
        assert secret.encode() not in path.read_bytes(), path.relative_to(run_dir)
        if path.suffix == ".parquet":
            text = json.dumps(pq.read_table(path).to_pylist(), default=str)
            assert secret not in text, path.name
