"""The run folder's format version: the one this harness writes, the ones it reads, and how an
older folder is brought up to the current shape, so every reader sees one.

A run folder outlives the harness that wrote it: a later ``report`` or ``compare`` must
know an old folder for what it is, fill what it lacks with values that say so, and
refuse a folder from a newer harness rather than misread it. docs/run-format.md
describes each version.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from results.errors import RunFolderError
from results.run_folder import META
from results.schema import COLUMNS

#: the version every run written by this harness carries in meta.json's ``format_version``
FORMAT_VERSION = 2

#: versions this harness reads; 1 is every folder written before meta.json had a version
READABLE = (1, 2)

#: what a version-1 meta.json says about its authentication: it was not recorded
AUTH_NOT_RECORDED = "unknown (not recorded before run format 2)"


class RunFormatError(RunFolderError):
    """A run folder this harness cannot read (a newer version, or a value that is not one);
    the message is one line naming the folder."""


def check_format(meta: Mapping[str, Any], source: Path | str = META) -> int:
    """The format version of a run's meta.json (1 when it has none); RunFormatError otherwise.

    ``source`` names the run folder in the message.
    """
    version = meta.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise RunFormatError(
            f"{source}: run format {version!r} is not a version this harness reads "
            f"({', '.join(map(str, READABLE))})"
        )
    if version > FORMAT_VERSION:
        raise RunFormatError(
            f"{source}: run format {version} is newer than this harness reads "
            f"({FORMAT_VERSION}); upgrade the harness"
        )
    if version not in READABLE:
        raise RunFormatError(
            f"{source}: run format {version} is not one this harness reads "
            f"({', '.join(map(str, READABLE))})"
        )
    return version


def upgrade_meta(meta: Mapping[str, Any], source: Path | str = META) -> dict[str, Any]:
    """A copy of ``meta`` with every key of the current format, after :func:`check_format`.

    ``format_version`` stays the version read, so a report can say the folder is old.
    Keys a version-1 harness did not record are filled with values that render as
    "unknown", never as a guess: no service identity, no TLS details (``None`` for an
    http target, ``{}`` for an https one), and an ``auth`` that says it was not recorded.
    Keys an old folder does have (some version-1 runs recorded them) are kept.
    """
    version = check_format(meta, source)
    upgraded = {**meta, "format_version": version}
    if version < 2:
        upgraded.setdefault(
            "target_info", {"service": None, "version": None, "health": {}, "health_detailed": {}}
        )
        https = str(meta.get("target") or "").startswith("https:")
        upgraded.setdefault("tls", {} if https else None)
        upgraded.setdefault("auth", AUTH_NOT_RECORDED)
    return upgraded


def upgrade_samples(table: pa.Table, version: int) -> pa.Table:
    """samples.parquet of ``version`` with the current columns: a version-1 table without a
    ``worker`` column gets worker 0 (unknown) on every row."""
    if version < 2 and "worker" not in table.column_names:
        index = min(list(COLUMNS).index("worker"), table.num_columns)
        table = table.add_column(index, "worker", pa.array(np.zeros(table.num_rows, np.uint16)))
    return table
