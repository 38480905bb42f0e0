"""Reading a run folder: the one reader every report, comparison, history and tool uses.

:func:`load_run` reads the whole folder into a :class:`Run`; :func:`read_meta` and
:func:`read_summary` read one JSON file, for callers that need no samples (history's
discovery, ``bench.py``); :func:`load_samples` reads the samples alone. Every reader goes
through :mod:`results.run_format`: an older folder is brought up to the current shape, one
from a newer harness is refused. A file that cannot be used raises
:class:`results.errors.RunFolderError` naming it.

A missing ``summary.json`` is tolerated by :func:`load_run` (windows are then inferred
from the samples); a missing ``meta.json`` or ``samples.parquet`` is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from results.errors import RunFolderError
from results.run_folder import META, SAMPLES, SUMMARY
from results.run_format import FORMAT_VERSION, check_format, upgrade_meta, upgrade_samples
from results.schema import CATEGORICAL, COLUMNS, UNMEASURED
from results.summary_shape import StepRow, Summary, keys

#: the kinds of run a folder can hold (meta.json's ``kind``)
KINDS = ("run", "sweep", "locust")
#: the columns of :attr:`Run.steps` that summary.json's ``steps`` rows give
STEP_COLUMNS = tuple(name for name in keys(StepRow) if name in StepRow.__required_keys__)


@dataclass(frozen=True)
class Run:
    """One run folder in memory: its meta (upgraded to the current format), its summary,
    its samples, and its measured windows (``steps``: recorded, or inferred when not)."""

    path: Path
    meta: dict[str, Any]
    summary: Summary
    samples: pd.DataFrame = field(repr=False)
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


def _read_json(path: Path, *, missing_ok: bool = False) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise RunFolderError(f"{path}: missing (is this a run folder?)") from None
    except (OSError, ValueError) as error:
        raise RunFolderError(f"{path}: unreadable JSON ({error})") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path}: expected a JSON object")
    return data


def read_meta(run_dir: Path | str) -> dict[str, Any]:
    """meta.json, upgraded to the current format (its ``format_version`` stays the one read)."""
    run_dir = Path(run_dir)
    return upgrade_meta(_read_json(run_dir / META), run_dir)


def read_summary(run_dir: Path | str, *, missing_ok: bool = False) -> Summary:
    """summary.json; ``{}`` when it is missing and ``missing_ok``."""
    return cast(Summary, _read_json(Path(run_dir) / SUMMARY, missing_ok=missing_ok))


def load_samples(run_dir: Path | str, version: int | None = None) -> pd.DataFrame:
    """samples.parquet with every current column whatever version wrote it; categorical
    columns stay categorical.

    ``version`` is the folder's run format; ``None`` reads it from meta.json (1 when the
    folder has none).
    """
    run_dir = Path(run_dir)
    if version is None:
        has_meta = (run_dir / META).exists()
        version = check_format(_read_json(run_dir / META), run_dir) if has_meta else 1
    path = run_dir / SAMPLES
    try:
        table = upgrade_samples(pq.read_table(path), version)
    except FileNotFoundError:
        raise RunFolderError(f"{path}: missing (is this a run folder?)") from None
    except (OSError, pa.ArrowException) as error:
        raise RunFolderError(f"{path}: unreadable parquet ({error})") from None
    missing = [name for name in COLUMNS if name not in table.column_names]
    if missing:
        raise RunFolderError(f"{path}: missing columns {', '.join(missing)}")
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    for name in CATEGORICAL:
        if not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
    return frame


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


def steps_frame(summary: Summary, samples: pd.DataFrame) -> pd.DataFrame:
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


def load_run(run_dir: Path | str) -> Run:
    """Read a run folder; RunFolderError naming the file when it cannot be used (its
    subclass RunFormatError when a newer harness wrote it)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise RunFolderError(f"{path}: not a run folder (no such directory)")
    meta = read_meta(path)
    summary = read_summary(path, missing_ok=True)
    samples = load_samples(path, meta["format_version"])
    kind = str(meta.get("kind", "run"))
    if kind not in KINDS:
        raise RunFolderError(
            f"{path / META}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    return Run(path, meta, summary, samples, steps_frame(summary, samples))
