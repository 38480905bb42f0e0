"""Every table of a run, computed from its samples and steps: the one analysis.

summary.json (``analysis.summary.summarize``, its cached output), the
terminal, the reports and Locust's outputs all take their figures from here;
drivers and Locust only record samples, steps and timings.

Each function returns a plain DataFrame in machine units (ms, req/s, shares
0..1), unrounded, so tests can check it against numpy on the raw samples and
renderers can format it. Conventions: latency statistics use successful
requests only (numpy's default linear percentiles on ``latency_ns``); request
counts include failures; a window's throughput counts the requests that
*started* inside it, divided by its length.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from client.metrics import PERCENTILE_NAMES, PERCENTILES
from results.run import STEP_COLUMNS
from workload.operations import label, table_order

#: nanoseconds (the samples' unit) per millisecond (the tables')
MS = 1e6
#: the percentile set's table columns: ``p50_ms``, ``p95_ms``, ``p99_ms``
PERCENTILE_COLUMNS: tuple[str, ...] = tuple(f"{name}_ms" for name in PERCENTILE_NAMES)
#: the latency columns of the per-operation and per-window tables
LATENCY_COLUMNS: tuple[str, ...] = ("avg_ms", *PERCENTILE_COLUMNS)
#: the pool and open-loop tables show two of the set: the median and the tail (p50, p99)
MEDIAN_AND_TAIL: tuple[int, int] = (PERCENTILES[0], PERCENTILES[-1])
#: what :func:`pool_figures` returns, in order (the window table's last columns)
POOL_COLUMNS: tuple[str, ...] = (
    "connect_share",
    "new_connections",
    "new_p50_ms",
    "new_p99_ms",
    "reused_p50_ms",
    "reused_p99_ms",
    "tail_requests",
    "tail_new_share",
    "per_worker_min",
    "per_worker_median",
    "per_worker_max",
)
#: the columns of :func:`window_table`, in order (an empty table has them too)
WINDOW_COLUMNS: tuple[str, ...] = (
    "phase",
    "step",
    "pool",
    "concurrency",
    "pattern",
    "requests",
    "errors",
    "error_rate",
    "duration_s",
    "throughput_rps",
    *LATENCY_COLUMNS,
    *POOL_COLUMNS,
)
#: run kind -> (phase of its per-operation latencies, phase of its concurrency windows)
KIND_PHASES: Mapping[str, tuple[str, str]] = {
    "run": ("latency", "throughput"),
    "sweep": ("sweep", "sweep"),
    "locust": ("locust", "locust"),
}

#: every run kind's measured phases: the headline and the thresholds judge these requests
#: (pooling, batch and open-loop phases measure deliberate patterns, not the service's load)
MEASURED_PHASES: tuple[str, ...] = tuple(dict.fromkeys(p for v in KIND_PHASES.values() for p in v))

#: phases whose windows are closed loops: ``concurrency`` workers, numbered 1..concurrency in
#: the samples' ``worker`` column (0: not recorded, as in runs made before it was)
CLOSED_LOOP_PHASES = ("throughput", "sweep")
#: phases whose windows are load levels, judged for churn and fairness (the pooling and
#: batch phases open connections on purpose)
LOAD_PHASES = (*CLOSED_LOOP_PHASES, "locust")

#: a window's tail is made of new connections when more than this share of the requests
#: above its p99 opened one ...
CHURN_TAIL_SHARE = 0.5
#: ... and that tail holds at least this many requests (a p99 of 100 requests is one draw)
CHURN_TAIL_MIN_REQUESTS = 5
#: a closed-loop window was unfair when its least-served worker sent fewer than this share of
#: the median worker's requests (or the median worker sent none) ...
UNFAIR_SHARE = 0.25
#: ... judged only when the workers sent at least this many requests each on average
#: (below that, whether a request started inside the window is chance)
FAIRNESS_MIN_MEAN = 8.0


def percentiles_ms(
    latency_ns: np.ndarray, percentiles: Sequence[float] | np.ndarray = PERCENTILES
) -> np.ndarray:
    """numpy's linear percentiles of latencies in ns, in ms: every table takes its
    percentiles here (NaN for each when there are no values)."""
    if not len(latency_ns):
        return np.full(len(percentiles), np.nan)
    return np.percentile(latency_ns, percentiles) / MS


def _median_and_tail(latency_ns: np.ndarray) -> tuple[float | None, float | None]:
    if not len(latency_ns):
        return None, None
    median, tail = percentiles_ms(latency_ns, MEDIAN_AND_TAIL)
    return float(median), float(tail)


def pool_figures(
    samples: pd.DataFrame,
    mask: np.ndarray,
    *,
    phase: str,
    concurrency: int,
    failed: np.ndarray | None = None,
) -> dict[str, Any]:
    """What the pool did in one window (the rows ``mask`` selects), unrounded.

    ``connect_share``: connection-wait time over latency, summed over the window's
    requests. ``new_connections``: requests whose last attempt opened a connection;
    their p50/p99 beside the reused ones' (ms, successes only; None when there are
    none). ``tail_new_share``: the share of the successful requests slower than the
    window's p99 that opened a connection. ``per_worker_*``: requests each closed-loop
    worker started in the window, workers that started none included (None for other
    phases, or when worker ids were not recorded). ``failed`` (per sample, optional)
    saves recomputing the error mask for every window.
    """
    latency = samples["latency_ns"].to_numpy()[mask]
    connect = samples["connect_ns"].to_numpy()[mask]
    new = samples["new_connection"].to_numpy()[mask]
    if failed is None:
        failed = (samples["error"] != "").to_numpy()
    ok = ~failed[mask]
    total = int(latency.sum())
    good = latency[ok]
    opened, reused = good[new[ok] == 1], good[new[ok] == 0]
    tail_new_share = None
    tail_requests = 0
    if len(good):
        tail = good > np.percentile(good, MEDIAN_AND_TAIL[1])
        tail_requests = int(tail.sum())
        if tail_requests:
            tail_new_share = float((new[ok][tail] == 1).mean())
    new_p50, new_p99 = _median_and_tail(opened)
    reused_p50, reused_p99 = _median_and_tail(reused)
    figures: dict[str, Any] = {
        "connect_share": float(connect.sum()) / total if total else 0.0,
        "new_connections": int((new == 1).sum()),
        "new_p50_ms": new_p50,
        "new_p99_ms": new_p99,
        "reused_p50_ms": reused_p50,
        "reused_p99_ms": reused_p99,
        "tail_requests": tail_requests,
        "tail_new_share": tail_new_share,
        "per_worker_min": None,
        "per_worker_median": None,
        "per_worker_max": None,
    }
    if phase in CLOSED_LOOP_PHASES and concurrency > 0:
        worker = samples["worker"].to_numpy()[mask].astype(np.int64)
        if len(worker) and worker.max() > 0:
            counts = np.bincount(worker, minlength=concurrency + 1)[1:]
            figures["per_worker_min"] = int(counts.min())
            figures["per_worker_median"] = float(np.median(counts))
            figures["per_worker_max"] = int(counts.max())
    return figures


def tail_is_churn(row: Mapping[str, Any]) -> bool:
    """Whether a window's tail is mostly requests that opened a connection (see thresholds)."""
    share = row.get("tail_new_share")
    return (
        share is not None
        and share == share  # not NaN
        and share > CHURN_TAIL_SHARE
        and (row.get("tail_requests") or 0) >= CHURN_TAIL_MIN_REQUESTS
    )


def is_unfair(row: Mapping[str, Any]) -> bool:
    """Whether a closed-loop window starved some workers (see thresholds)."""
    low, median = row.get("per_worker_min"), row.get("per_worker_median")
    if low is None or median is None or low != low or median != median:  # NaN: not recorded
        return False
    concurrency = int(row.get("concurrency") or 0)
    if concurrency < 2 or row.get("requests", 0) < FAIRNESS_MIN_MEAN * concurrency:
        return False
    return median == 0 or low < UNFAIR_SHARE * median


def window_name(row: Mapping[str, Any]) -> str:
    """A load window as every table, finding and comparison names it: ``throughput c=10``,
    ``sweep c=10 (max_connections=10)``, ``locust step 2``."""
    where = f"{row['phase']} {row['step']}"
    return f"{where} ({row['pool']})" if row["phase"] == "sweep" and row.get("pool") else where


def pattern(concurrency: int) -> str:
    return "Sequential (blocking)" if concurrency == 1 else f"Parallel ({concurrency} workers)"


def _stats(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """requests, errors, avg and the percentile set in ms (successes only) per group."""
    failed = frame["error"].cat.codes.to_numpy() != _ok_code(frame["error"])
    grouped = frame.groupby(keys, observed=True, sort=False)
    out = pd.DataFrame({"requests": grouped.size()})
    out["errors"] = (
        pd.Series(failed, index=frame.index)
        .groupby([frame[k] for k in keys], observed=True, sort=False)
        .sum()
    )
    ok = frame.loc[~failed]
    lat = ok.groupby(keys, observed=True, sort=False)["latency_ns"]
    out["avg_ms"] = lat.mean() / MS
    per_group = lat.apply(lambda values: percentiles_ms(values.to_numpy()))
    figures = pd.DataFrame(
        per_group.tolist(), index=per_group.index, columns=list(PERCENTILE_COLUMNS)
    )
    out = out.join(figures)
    out["errors"] = out["errors"].fillna(0).astype(int)
    return out


def _ok_code(errors: pd.Series) -> int:
    cats = errors.cat.categories
    return int(cats.get_loc("")) if "" in cats else -2


def is_error(samples: pd.DataFrame) -> np.ndarray:
    return samples["error"].cat.codes.to_numpy() != _ok_code(samples["error"])


def latency_table(samples: pd.DataFrame, phase: str = "latency") -> pd.DataFrame:
    """The seed's "Single Request Latency" table: one row per operation of ``phase``."""
    frame = samples[samples["phase"] == phase]
    columns = ["operation", "label", "requests", "errors", *LATENCY_COLUMNS]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    stats = _stats(frame, ["operation"]).reset_index()
    stats["operation"] = stats["operation"].astype(str)
    order = table_order(stats["operation"])
    stats = stats.set_index("operation").loc[order].reset_index()
    stats["label"] = stats["operation"].map(label)
    return stats[columns]


def window_masks(samples: pd.DataFrame, steps: pd.DataFrame) -> list[np.ndarray]:
    """For each step row: the samples of its phase/step/pool that started inside its window."""
    start = samples["start_ns"].to_numpy()
    cache: dict[tuple[str, str], np.ndarray] = {}
    masks = []
    for row in steps.itertuples(index=False):
        key = (row.phase, row.step)
        if key not in cache:
            cache[key] = (
                (samples["phase"] == row.phase) & (samples["step"] == row.step)
            ).to_numpy()
        mask = cache[key] & (start >= row.start_ns) & (start < row.end_ns)
        if row.pool:
            mask &= (samples["pool"] == row.pool).to_numpy()
        masks.append(mask)
    return masks


def window_table(
    samples: pd.DataFrame, steps: pd.DataFrame, phases: tuple[str, ...] = ("throughput",)
) -> pd.DataFrame:
    """Per measured window: throughput, latency, errors, and what the pool did.

    The pool's columns (connection wait, churn, per-worker fairness) are
    :func:`pool_figures`; a figure that does not apply (no reused request, not
    a closed loop) is NaN here.
    """
    chosen = steps[steps["phase"].isin(phases)].reset_index(drop=True)
    rows: list[dict[str, Any]] = []
    latency = samples["latency_ns"].to_numpy()
    failed = is_error(samples)
    for row, mask in zip(
        chosen.itertuples(index=False), window_masks(samples, chosen), strict=True
    ):
        duration = (row.end_ns - row.start_ns) / 1e9
        n = int(mask.sum())
        ok = latency[mask & ~failed]
        pool = pool_figures(
            samples, mask, phase=row.phase, concurrency=int(row.concurrency), failed=failed
        )
        rows.append(
            {
                "phase": row.phase,
                "step": row.step,
                "pool": row.pool,
                "concurrency": int(row.concurrency),
                "pattern": pattern(int(row.concurrency)),
                "requests": n,
                "errors": int((mask & failed).sum()),
                "error_rate": float((mask & failed).sum() / n) if n else 0.0,
                "duration_s": duration,
                "throughput_rps": n / duration if duration > 0 else np.nan,
                "avg_ms": float(ok.mean()) / MS if len(ok) else np.nan,
                **dict(zip(PERCENTILE_COLUMNS, percentiles_ms(ok), strict=True)),
                **{k: np.nan if v is None else v for k, v in pool.items()},
            }
        )
    return pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))


def throughput_table(windows: pd.DataFrame) -> pd.DataFrame:
    """The seed's "Throughput (requests/second)" layout: Pattern, Throughput, Notes.

    Notes are measured, not the seed's opinions: the speed-up over the
    sequential pattern, the scaling efficiency (speed-up / workers) and p95.
    """
    if windows.empty:
        return pd.DataFrame(columns=["pattern", "concurrency", "throughput_rps", "notes"])
    frame = windows.sort_values("concurrency").reset_index(drop=True)
    base = frame.loc[frame["concurrency"] == 1, "throughput_rps"]
    seq = float(base.iloc[0]) if len(base) else np.nan
    notes = []
    for row in frame.itertuples(index=False):
        parts = []
        if row.concurrency != 1 and np.isfinite(seq) and seq > 0:
            speedup = row.throughput_rps / seq
            parts.append(f"{speedup:.1f}x sequential, {speedup / row.concurrency:.0%} efficiency")
        parts.append(f"p95 {_fmt_ms(row.p95_ms)}")
        if row.error_rate > 0:
            parts.append(f"{row.error_rate:.1%} errors")
        notes.append("; ".join(parts))
    out = frame[["pattern", "concurrency", "throughput_rps"]].copy()
    out["notes"] = notes
    return out


def _fmt_ms(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def pooling_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Pooled vs the anti-patterns: first request, then the rest, and the ratio to pooled.

    As in the driver: the pooled row's averages leave out its first request
    (the one that opens the connection); the other modes keep every request.
    """
    frame = samples[samples["phase"] == "pooling"]
    columns = [
        "mode",
        "requests",
        "first_ms",
        "avg_ms",
        "p50_ms",
        "p95_ms",
        "vs_pooled",
        "new_connections",
        "new_connection_ms",
    ]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for mode in _ordered(frame["step"], ("pooled", "no_keepalive", "client_per_request")):
        group = frame[frame["step"] == mode].sort_values("start_ns", kind="stable")
        latency = group["latency_ns"].to_numpy()
        values = latency / MS
        rest = slice(1, None) if mode == "pooled" and len(values) > 1 else slice(None)
        opened = values[group["new_connection"].to_numpy() == 1]
        # a mode holds tens of requests: the set's p99 would be its maximum
        p50, p95 = percentiles_ms(latency[rest], PERCENTILES[:2])
        rows.append(
            {
                "mode": mode,
                "requests": len(values),
                "first_ms": float(values[0]),
                "avg_ms": float(values[rest].mean()),
                "p50_ms": float(p50),
                "p95_ms": float(p95),
                "new_connections": len(opened),
                "new_connection_ms": float(opened.mean()) if len(opened) else float("nan"),
            }
        )
    out = pd.DataFrame(rows)
    pooled = out.loc[out["mode"] == "pooled", "avg_ms"]
    out["vs_pooled"] = out["avg_ms"] / float(pooled.iloc[0]) if len(pooled) else np.nan
    return out[columns]


def first_request_ms(pooling: pd.DataFrame) -> float:
    """The seed's "first request": the mean of every request that opened a connection.

    One pooled client's first request is a single draw; the anti-patterns
    open a connection on every request, so together they give a stable mean.
    """
    count = pooling["new_connections"].sum() if not pooling.empty else 0
    if not count:
        return float("nan")
    weighted = (pooling["new_connection_ms"].fillna(0.0) * pooling["new_connections"]).sum()
    return float(weighted / count)


def pooling_speedup(pooling: pd.DataFrame) -> float:
    """The seed's "3.3x": a request that opens a connection over a pooled one."""
    pooled = pooling[pooling["mode"] == "pooled"]
    if pooled.empty:
        return float("nan")
    return float(first_request_ms(pooling) / pooled["avg_ms"].iloc[0])


def batch_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Sequential vs asyncio.gather: wall time from first start to last end, and speed-up."""
    frame = samples[samples["phase"] == "batch"]
    columns = ["mode", "requests", "wall_s", "throughput_rps", "avg_ms", "speedup"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for mode in _ordered(frame["step"], ("sequential", "gather")):
        group = frame[frame["step"] == mode]
        start = group["start_ns"].to_numpy()
        end = start + group["latency_ns"].to_numpy()
        wall = (end.max() - start.min()) / 1e9
        rows.append(
            {
                "mode": mode,
                "requests": len(group),
                "wall_s": wall,
                "throughput_rps": len(group) / wall if wall > 0 else np.nan,
                "avg_ms": float(group["latency_ns"].mean()) / MS,
            }
        )
    out = pd.DataFrame(rows)
    seq = out.loc[out["mode"] == "sequential", "wall_s"]
    out["speedup"] = float(seq.iloc[0]) / out["wall_s"] if len(seq) else np.nan
    return out[columns]


def _ordered(values: pd.Series, preferred: tuple[str, ...]) -> list[str]:
    present = set(values.astype(str).unique())
    return [v for v in preferred if v in present] + sorted(present - set(preferred))


def error_counts(samples: pd.DataFrame) -> pd.DataFrame:
    """Failures by phase, operation and error class (groups in the samples' category order)."""
    columns = ["phase", "operation", "error", "count"]
    failed = is_error(samples)
    if not failed.any():
        return pd.DataFrame(columns=columns)
    counts = samples[failed].groupby(["phase", "operation", "error"], observed=True).size()
    out = counts.rename("count").reset_index()
    for name in ("phase", "operation", "error"):
        out[name] = out[name].astype(str)
    return out[columns]


def errors_table(samples: pd.DataFrame) -> pd.DataFrame:
    """:func:`error_counts` with their share of those requests, most frequent first per phase."""
    columns = ["phase", "operation", "label", "error", "count", "requests", "share"]
    counts = error_counts(samples)
    if counts.empty:
        return pd.DataFrame(columns=columns)
    keys = ["phase", "operation"]
    totals = samples.groupby(keys, observed=True).size().rename("requests").reset_index()
    for name in keys:
        totals[name] = totals[name].astype(str)
    out = counts.merge(totals, on=keys, how="left")
    out["share"] = out["count"] / out["requests"]
    out["label"] = out["operation"].map(label)
    return out.sort_values(["phase", "count"], ascending=[True, False])[columns].reset_index(
        drop=True
    )


PHASE_PARTS = ("connect", "send", "wait", "receive")


def phase_breakdown(samples: pd.DataFrame) -> pd.DataFrame:
    """Where each operation's time goes, over every recorded request of the run.

    Means in ms of the last attempt's phases; ``other_ms`` is the rest of the
    service time (latency - open-loop lag): client overhead, retries and
    back-off. Shares are of the mean service time.
    """
    service = samples["latency_ns"] - samples["lag_ns"]
    frame = pd.DataFrame(
        {
            "operation": samples["operation"],
            "service": service,
            **{p: samples[f"{p}_ns"] for p in PHASE_PARTS},
            "new": samples["new_connection"] == 1,
        }
    )
    grouped = frame.groupby("operation", observed=True)
    means = grouped[["service", *PHASE_PARTS]].mean() / MS
    out = pd.DataFrame({"requests": grouped.size(), "latency_ms": means["service"]})
    for p in PHASE_PARTS:
        out[f"{p}_ms"] = means[p]
    out["other_ms"] = out["latency_ms"] - out[[f"{p}_ms" for p in PHASE_PARTS]].sum(axis=1)
    for p in (*PHASE_PARTS, "other"):
        out[f"{p}_share"] = out[f"{p}_ms"] / out["latency_ms"]
    out["new_connection_share"] = grouped["new"].mean()
    out = out.reset_index()
    out["operation"] = out["operation"].astype(str)
    out = out.set_index("operation").loc[table_order(out["operation"])].reset_index()
    out.insert(1, "label", out["operation"].map(label))
    return out


#: an open-loop request was late when it went out more than this after its intended send
LATE_NS = 1_000_000


def open_loop_table(samples: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """Open-loop windows: achieved rate, response time (from the intended send) vs service time.

    Percentiles are of the successful requests, as everywhere; ``sent`` and
    ``errors`` count every request that started inside the window.
    """
    columns = [
        "step",
        "sent",
        "errors",
        "achieved_rps",
        "late_share",
        "response_p50_ms",
        "response_p99_ms",
        "service_p50_ms",
        "service_p99_ms",
    ]
    chosen = steps[steps["phase"] == "open_loop"].reset_index(drop=True)
    rows = []
    latency = samples["latency_ns"].to_numpy()
    lag = samples["lag_ns"].to_numpy()
    failed = is_error(samples)
    for row, mask in zip(
        chosen.itertuples(index=False), window_masks(samples, chosen), strict=True
    ):
        duration = (row.end_ns - row.start_ns) / 1e9
        ok = mask & ~failed
        response = percentiles_ms(latency[ok], MEDIAN_AND_TAIL)
        service = percentiles_ms(latency[ok] - lag[ok], MEDIAN_AND_TAIL)
        n = int(mask.sum())
        rows.append(
            {
                "step": row.step,
                "sent": n,
                "errors": int((mask & failed).sum()),
                "achieved_rps": n / duration if duration > 0 else np.nan,
                "late_share": float((lag[mask] > LATE_NS).mean()) if n else 0.0,
                "response_p50_ms": float(response[0]),
                "response_p99_ms": float(response[1]),
                "service_p50_ms": float(service[0]),
                "service_p99_ms": float(service[1]),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def operation_percentiles(samples: pd.DataFrame) -> pd.DataFrame:
    """The percentile set in ms per operation over every recorded row, failures included.

    Locust's outputs set these beside the merged histograms, which hold every
    row too, to show what the histograms' bucketing costs.
    """
    columns = ["operation", "requests", *PERCENTILE_COLUMNS]
    rows = []
    operation = samples["operation"].astype(str).to_numpy()
    latency = samples["latency_ns"].to_numpy()
    for op in sorted(set(operation)):
        values = latency[operation == op]
        figures = dict(zip(PERCENTILE_COLUMNS, percentiles_ms(values), strict=True))
        rows.append({"operation": op, "requests": len(values), **figures})
    return pd.DataFrame(rows, columns=columns)


def steps_table(steps: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The recorded steps (dicts, as in summary.json) as the frame the window tables take."""
    frame = pd.DataFrame(list(steps), columns=list(STEP_COLUMNS))
    frame["pool"] = frame["pool"].fillna("").astype(str)
    return frame


def timeline(samples: pd.DataFrame, bin_s: float = 1.0) -> pd.DataFrame:
    """Per time bin (by start): requests/s, p95 of successes, and the most users running."""
    columns = ["t_s", "requests_per_s", "p95_ms", "users", "phase"]
    if samples.empty:
        return pd.DataFrame(columns=columns)
    width = int(bin_s * 1e9)
    start = samples["start_ns"].to_numpy()
    origin = start.min()
    bins = (start - origin) // width
    failed = is_error(samples)
    counts = np.bincount(bins)
    present = counts > 0
    ok_bins = pd.Series(samples["latency_ns"].to_numpy()[~failed]).groupby(bins[~failed])
    p95 = ok_bins.apply(lambda values: percentiles_ms(values.to_numpy(), (95,))[0])
    users = pd.Series(samples["concurrency"].to_numpy()).groupby(bins).max()
    phase_codes = (
        pd.Series(samples["phase"].cat.codes.to_numpy())
        .groupby(bins)
        .agg(lambda s: s.value_counts().index[0])
    )
    index = np.flatnonzero(present)
    out = pd.DataFrame(
        {
            "t_s": (origin / 1e9) + index * bin_s,
            "requests_per_s": counts[index] / bin_s,
            "p95_ms": p95.reindex(index).to_numpy(),
            "users": users.reindex(index).to_numpy(),
            "phase": samples["phase"].cat.categories[phase_codes.reindex(index).to_numpy()],
        }
    )
    return out[columns]


SPECTRUM_Q = np.concatenate(
    [np.linspace(0.5, 0.9, 9), 1 - np.logspace(-1, -4, 31)[1:]]
)  # 0.5 ... 0.9999 on a nines axis


def supported_quantiles(n: int) -> np.ndarray:
    """The spectrum's quantiles that ``n`` samples support (q <= 1 - 1/n, and p50 always)."""
    limit = max(0.5, 1 - 1 / n)
    return SPECTRUM_Q[np.less_equal(SPECTRUM_Q, limit)]


def spectrum(samples: pd.DataFrame, by: str = "operation") -> pd.DataFrame:
    """Latency percentile spectrum per group (successes): q, nines = -log10(1-q), ms.

    Points beyond what the group's size supports (q > 1 - 1/n) are dropped:
    a p99.99 from 400 requests would just be the maximum.
    """
    failed = is_error(samples)
    ok = samples.loc[~failed, [by, "latency_ns"]]
    rows = []
    for key, group in ok.groupby(by, observed=True):
        values = group["latency_ns"].to_numpy()
        qs = supported_quantiles(len(values))
        ms = percentiles_ms(values, qs * 100)
        rows.append(
            pd.DataFrame({by: str(key), "q": qs, "nines": -np.log10(1 - qs), "latency_ms": ms})
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def histogram_table(histograms: Mapping[str, Any]) -> pd.DataFrame:
    """Per operation, a merged latency histogram's count, mean, percentile set and max in ms.

    ``histograms`` maps operation -> ``client.histogram.LatencyHistogram`` (what
    the Locust workers send the master; bucketed, so its percentiles are the
    bucket's middle).
    """
    columns = ["operation", "count", *LATENCY_COLUMNS, "max_ms"]
    rows = []
    for op, hist in sorted(histograms.items()):
        values = hist.percentiles(PERCENTILES)
        rows.append(
            {
                "operation": op,
                "count": hist.count,
                "avg_ms": hist.mean / MS,
                **{c: v / MS for c, v in zip(PERCENTILE_COLUMNS, values, strict=True)},
                "max_ms": hist.max / MS,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def headline(samples: pd.DataFrame, windows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The verdict first: every measured request's error rate and percentile set, and the
    peak window's throughput (the first line of the terminal's last block and the report)."""
    phase = samples["phase"].astype(str).to_numpy() if len(samples) else np.zeros(0, str)
    measured = np.isin(phase, MEASURED_PHASES)
    failed = is_error(samples) if len(samples) else np.zeros(0, bool)
    n, k = int(measured.sum()), int((measured & failed).sum())
    ok = samples["latency_ns"].to_numpy()[measured & ~failed] if len(samples) else np.zeros(0)
    loaded = [w for w in windows if w.get("phase") in MEASURED_PHASES]
    peak = max(loaded, key=lambda w: float(w.get("requests_per_s") or 0), default=None)
    return {
        "requests": n,
        "errors": k,
        "error_rate": k / n if n else None,
        **{
            column: (None if math.isnan(v) else float(v))
            for column, v in zip(PERCENTILE_COLUMNS, percentiles_ms(ok), strict=True)
        },
        "peak_rps": float(peak["requests_per_s"]) if peak else None,
        "peak_window": window_name(peak) if peak else None,
    }
