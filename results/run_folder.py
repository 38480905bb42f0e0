"""Creating, writing and reading a run folder; every file is written atomically.

Every text written here (JSON, CSV, Markdown, HTML) passes through
:func:`results.redaction.scrub`: whatever a caller forgot to redact, no
registered secret reaches the disk.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from results.redaction import scrub
from results.samples import SampleBuffer

DEFAULT_ROOT = Path("runs")


def new_run_dir(label: str, root: Path = DEFAULT_ROOT) -> Path:
    """``runs/20261126T041500Z-<label>``; a suffix keeps two runs in one second apart."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "run"
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        path = root / (f"{stamp}-{safe}" if n == 0 else f"{stamp}-{safe}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a run folder under {root}")


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then rename: never a half file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically, scrubbed of registered secrets; for every text file."""
    path = Path(path)
    clean = scrub(text)
    _atomic_write(path, lambda tmp: Path(tmp).write_text(clean, encoding="utf-8"))
    return path


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def meta_path(self) -> Path:
        return self.path / "meta.json"

    @property
    def samples_path(self) -> Path:
        return self.path / "samples.parquet"

    @property
    def summary_path(self) -> Path:
        return self.path / "summary.json"

    def write_json(self, name: str, data: Any) -> Path:
        return write_text(self.path / name, json.dumps(data, indent=2, default=str) + "\n")

    def write_text(self, name: str, text: str) -> Path:
        return write_text(self.path / name, text)

    def write_samples(self, samples: SampleBuffer | pa.Table) -> Path:
        table = samples if isinstance(samples, pa.Table) else samples.to_arrow()
        _atomic_write(
            self.samples_path,
            lambda tmp: pq.write_table(table, tmp, compression="zstd", compression_level=6),
        )
        return self.samples_path

    def meta(self) -> dict[str, Any]:
        return json.loads(self.meta_path.read_text(encoding="utf-8"))

    def summary(self) -> dict[str, Any]:
        return json.loads(self.summary_path.read_text(encoding="utf-8"))


def load_samples(run_dir: Path | str) -> pd.DataFrame:
    """The samples of a run as a DataFrame (categorical columns stay categorical)."""
    table = pq.read_table(Path(run_dir) / "samples.parquet")
    return table.to_pandas(split_blocks=True, self_destruct=True)
