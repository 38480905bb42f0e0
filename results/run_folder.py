"""Creating and writing a run folder, and the names of its files; every file is written
atomically.

Every text written here (JSON, CSV, Markdown, HTML) passes through
:func:`results.redaction.scrub`: whatever a caller forgot to redact, no
registered secret reaches the disk. :mod:`results.run` reads what is written here.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from results.redaction import scrub
from results.samples import SampleBuffer
from results.summary_shape import Summary

#: the run's description: what it measured, with what, against what (docs/run-format.md)
META = "meta.json"
#: one row per request (:mod:`results.schema`)
SAMPLES = "samples.parquet"
#: the analysis's tables, cached (:class:`results.summary_shape.Summary`)
SUMMARY = "summary.json"
#: the scenario a Locust run's processes read (``ACCOUNT_SCENARIO``)
SCENARIO = "scenario.json"

DEFAULT_ROOT = Path("runs")


class WriteError(OSError):
    """A run-folder file could not be written (a full disk, a read-only folder...): the
    message names the file, not the temporary one the failure happened in."""


def new_run_dir(label: str, root: Path = DEFAULT_ROOT) -> Path:
    """``runs/20261126T041500Z-<label>``; a suffix keeps two runs in one second apart."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "run"
    try:
        root.mkdir(parents=True, exist_ok=True)
        for n in range(1000):
            path = root / (f"{stamp}-{safe}" if n == 0 else f"{stamp}-{safe}-{n}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except OSError as error:
        raise WriteError(f"could not create a run folder under {root}: {_reason(error)}") from error
    raise RuntimeError(f"cannot create a run folder under {root}")


def _atomic_write(path: Path, write: Callable[[str], object]) -> None:
    """Write through a temporary file in the same folder, then rename: never a half file."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.close(fd)
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for sharing
        os.replace(tmp, path)
    except BaseException as error:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, WriteError):
            raise WriteError(f"could not write {path}: {_reason(error)}") from error
        raise


def _reason(error: OSError) -> str:
    """``[Errno 28] No space left on device``: the cause without the (temporary) file name."""
    return f"[Errno {error.errno}] {error.strerror}" if error.strerror else str(error)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically, scrubbed of registered secrets; for every text file."""
    path = Path(path)
    clean = scrub(text)
    _atomic_write(path, lambda tmp: Path(tmp).write_text(clean, encoding="utf-8"))
    return path


class RunFolder:
    """The writer of one run folder: meta, samples and summary under their names, and any
    other file (scenario, CSVs, reports) by name."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def meta_path(self) -> Path:
        return self.path / META

    @property
    def samples_path(self) -> Path:
        return self.path / SAMPLES

    @property
    def summary_path(self) -> Path:
        return self.path / SUMMARY

    def write_meta(self, meta: Mapping[str, Any]) -> Path:
        return self.write_json(META, meta)

    def write_summary(self, summary: Summary) -> Path:
        return self.write_json(SUMMARY, summary)

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
