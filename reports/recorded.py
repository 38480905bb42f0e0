"""The report's tables of what a run recorded, shown as recorded: its metadata, Locust's figures.

Nothing here is a statistic of the samples: every table computed from them
lives in ``analysis.tables`` (the one analysis summary.json, the terminal,
Locust's outputs and compare use too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from client.metrics import PERCENTILE_NAMES
from workload.operations import label, table_order


def locust_side_by_side(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Per operation, the harness's unrounded figures beside Locust's own (a Locust run)."""
    rows = []
    for op in (summary.get("locust") or {}).get("operations") or []:
        own, theirs = op.get("harness") or {}, op.get("locust") or {}
        row: dict[str, Any] = {
            "operation": op["operation"],
            "label": label(op["operation"]),
            "count": own.get("count", np.nan),
            "locust_count": theirs.get("count", np.nan),
        }
        for q in PERCENTILE_NAMES:
            row[f"{q}_ms"] = own.get(f"{q}_ms", np.nan)
            row[f"locust_{q}_ms"] = theirs.get(f"{q}_ms", np.nan)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    order = table_order(frame["operation"])
    return frame.set_index("operation").loc[order].reset_index()


def metadata_table(meta: dict[str, Any], samples: pd.DataFrame) -> pd.DataFrame:
    """Run metadata as (item, value) rows: target, versions, pool settings, host."""
    host = meta.get("host") or {}
    pool = meta.get("pool") or {}
    packages = meta.get("packages") or {}
    retry = meta.get("retry") or {}
    items = [
        ("kind", meta.get("kind", "run")),
        ("run format", meta.get("format_version") or 1),
        ("command", meta.get("command")),
        ("target", meta.get("target")),
        ("auth", meta.get("auth")),
        ("target /health", _kv((meta.get("target_info") or {}).get("health") or {})),
        (
            "target /health/detailed",
            _kv((meta.get("target_info") or {}).get("health_detailed") or {}),
        ),
        ("tls", _kv(meta.get("tls") or {})),
        ("embedded mock", meta.get("embedded_mock")),
        ("mock profile", meta.get("mock_profile")),
        ("started", meta.get("started_at")),
        ("ended", meta.get("ended_at")),
        ("requests recorded", f"{len(samples):,}"),
        ("pool", pool.get("label") or _kv(pool)),
        ("pool settings", _kv({k: v for k, v in pool.items() if k != "label"})),
        ("retry", _kv(retry)),
        (
            "harness",
            f"{meta.get('harness_version', '?')} @ {str(meta.get('git_commit', '?'))[:12]}",
        ),
        ("python", meta.get("python")),
        ("packages", _kv(packages)),
        (
            "host",
            f"{host.get('hostname', '?')}: {host.get('cpu_count', '?')} CPUs, "
            f"{host.get('cpu_model', '?')}, {host.get('platform', '?')}",
        ),
    ]
    return pd.DataFrame(
        [(k, "" if v is None else str(v)) for k, v in items if v not in (None, "", {})],
        columns=["item", "value"],
    )


def _kv(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items())
