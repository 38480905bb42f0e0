"""The pool-settings sweep as the report draws it: one table per metric (pool × concurrency).

The recommendation and its rule are ``analysis.pool_pick``'s.
"""

from __future__ import annotations

import pandas as pd

from analysis.tables import PERCENTILE_COLUMNS
from client.metrics import PERCENTILE_NAMES

#: metric column of the window table -> (title, unit); the percentile set past its median
METRICS = {
    "throughput_rps": ("Throughput", "req/s"),
    **{
        column: (f"{name} latency", "ms")
        for name, column in zip(PERCENTILE_NAMES[1:], PERCENTILE_COLUMNS[1:], strict=True)
    },
    "connect_share": ("Connection-wait share of latency", "share"),
    "new_connections": ("Requests that opened a connection inside the window", "requests"),
}


def pivot(windows: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Pool settings as rows, concurrency levels as columns."""
    table = windows.pivot_table(
        index="pool", columns="concurrency", values=metric, aggfunc="mean", observed=True
    )
    table.columns = [f"c={c}" for c in table.columns]
    return table.reset_index()
