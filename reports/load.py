"""A run folder read into memory: meta, summary and the samples as one typed DataFrame.

Reports read only the run folder (docs/run-format.md), so any run can be
rebuilt or compared later. A missing ``summary.json`` is tolerated (windows
are then inferred from the samples); a missing ``meta.json`` or
``samples.parquet`` is not. A folder of an older format version is upgraded
on reading (:mod:`results.run_format`), one of a newer version is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reports.errors import ReportInputError
from results.run_format import FORMAT_VERSION, upgrade_meta, upgrade_samples
from results.schema import COLUMNS

KINDS = ("run", "sweep", "locust")
STEP_COLUMNS = ("phase", "step", "pool", "concurrency", "start_ns", "end_ns")


@dataclass(frozen=True)
class Run:
    """Everything a report needs from one run folder."""

    path: Path
    meta: dict[str, Any]
    summary: dict[str, Any]
    samples: pd.DataFrame
    steps: pd.DataFrame = field(repr=False)

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", "run"))

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def format_version(self) -> int:
        """The run format the folder was written in (its meta is upgraded to the current one)."""
        return int(self.meta.get("format_version", FORMAT_VERSION))


def _read_json(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise ReportInputError(f"{path}: missing (is this a run folder?)") from None
        return {}
    except (OSError, ValueError) as error:
        raise ReportInputError(f"{path}: unreadable JSON ({error})") from None
    if not isinstance(data, dict):
        raise ReportInputError(f"{path}: expected a JSON object")
    return data


def read_samples(path: Path, version: int = FORMAT_VERSION) -> pd.DataFrame:
    """samples.parquet (of run format ``version``) with every schema column; categoricals
    stay categorical."""
    try:
        table = upgrade_samples(pq.read_table(path), version)
    except FileNotFoundError:
        raise ReportInputError(f"{path}: missing (is this a run folder?)") from None
    except (OSError, pa.ArrowException) as error:
        raise ReportInputError(f"{path}: unreadable parquet ({error})") from None
    missing = [name for name in COLUMNS if name not in table.column_names]
    if missing:
        raise ReportInputError(f"{path}: missing columns {', '.join(missing)}")
    frame = table.to_pandas()
    for name in ("phase", "step", "pool", "operation", "error"):
        if not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
    return frame


#: the step of rows recorded outside any measured window (Locust's ramp-up and warm-up)
UNMEASURED = "ramp"


def _inferred_steps(samples: pd.DataFrame) -> pd.DataFrame:
    """One window per (phase, step, pool) group, first start to last end; never ``ramp``."""
    samples = samples[samples["step"] != UNMEASURED]
    keys = [samples["phase"], samples["step"], samples["pool"]]
    end = samples["start_ns"] + samples["latency_ns"]
    frame = pd.DataFrame(
        {
            "concurrency": samples["concurrency"].groupby(keys, observed=True).max(),
            "start_ns": samples["start_ns"].groupby(keys, observed=True).min(),
            "end_ns": end.groupby(keys, observed=True).max() + 1,
        }
    ).reset_index()
    for name in ("phase", "step", "pool"):
        frame[name] = frame[name].astype(str)
    frame["inferred"] = True
    return frame


def steps_frame(summary: dict[str, Any], samples: pd.DataFrame) -> pd.DataFrame:
    """Measured windows from summary.json, plus an inferred one for any group it lacks.

    A group is covered when summary.json has a step with its phase and step
    name (and pool, when the step names one).
    """
    frame = pd.DataFrame(summary.get("steps") or [], columns=list(STEP_COLUMNS))
    frame["pool"] = frame["pool"].fillna("").astype(str)
    frame["inferred"] = False
    inferred = _inferred_steps(samples)
    covered = set(zip(frame["phase"], frame["step"], frame["pool"], strict=True))
    named = {(p, s) for p, s, pool in covered if not pool}
    keep = [
        (p, s, pool) not in covered and (p, s) not in named
        for p, s, pool in zip(inferred["phase"], inferred["step"], inferred["pool"], strict=True)
    ]
    frame = pd.concat([frame, inferred.loc[keep, frame.columns]], ignore_index=True)
    frame["concurrency"] = frame["concurrency"].astype(int)
    frame["start_ns"] = frame["start_ns"].astype("int64")
    frame["end_ns"] = frame["end_ns"].astype("int64")
    frame["inferred"] = frame["inferred"].astype(bool)
    return frame


def load_run(path: Path | str) -> Run:
    """Read a run folder; raises ReportInputError naming the file when it cannot be used,
    and results.run_format.RunFormatError when a newer harness wrote it."""
    path = Path(path)
    if not path.is_dir():
        raise ReportInputError(f"{path}: not a run folder (no such directory)")
    meta = upgrade_meta(_read_json(path / "meta.json", required=True), path)
    summary = _read_json(path / "summary.json", required=False)
    samples = read_samples(path / "samples.parquet", meta["format_version"])
    kind = str(meta.get("kind", "run"))
    if kind not in KINDS:
        raise ReportInputError(
            f"{path / 'meta.json'}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    return Run(path, meta, summary, samples, steps_frame(summary, samples))
