"""Every table of a run report, computed from the samples (never copied from summary.json).

Each function returns a plain DataFrame in machine units (ms, req/s, shares
0..1) so tests can check it against numpy on the raw samples and renderers
can format it. Conventions, the same as ``results/summary.py``: latency
statistics use successful requests only (numpy's default linear
percentiles on ``latency_ns``); request counts include failures; a window's
throughput counts the requests that *started* inside it, divided by its length.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from results.summary import pool_figures
from workload.operations import label, table_order

MS = 1e6
QUANTILES = (0.5, 0.95, 0.99)


def pattern(concurrency: int) -> str:
    return "Sequential (blocking)" if concurrency == 1 else f"Parallel ({concurrency} workers)"


def _stats(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """requests, errors, avg/p50/p95/p99 ms (successes only) per group, vectorized."""
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
    qs = lat.quantile(list(QUANTILES)).unstack()
    for q, name in zip(QUANTILES, ("p50_ms", "p95_ms", "p99_ms"), strict=True):
        out[name] = qs[q] / MS if q in qs else np.nan
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
    columns = ["operation", "label", "requests", "errors", "avg_ms", "p50_ms", "p95_ms", "p99_ms"]
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
    ``results.summary.pool_figures``: the same numbers summary.json and the
    terminal show; a figure that does not apply (no reused request, not a
    closed loop) is NaN here.
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
        q = np.percentile(ok, [50, 95, 99]) / MS if len(ok) else [np.nan] * 3
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
                "p50_ms": q[0],
                "p95_ms": q[1],
                "p99_ms": q[2],
                **{k: np.nan if v is None else v for k, v in pool.items()},
            }
        )
    return pd.DataFrame(rows)


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
        values = group["latency_ns"].to_numpy() / MS
        rest = values[1:] if mode == "pooled" and len(values) > 1 else values
        opened = values[group["new_connection"].to_numpy() == 1]
        rows.append(
            {
                "mode": mode,
                "requests": len(values),
                "first_ms": float(values[0]),
                "avg_ms": float(rest.mean()),
                "p50_ms": float(np.percentile(rest, 50)),
                "p95_ms": float(np.percentile(rest, 95)),
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


def errors_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Failures by phase, operation and error class, with their share of those requests."""
    columns = ["phase", "operation", "label", "error", "count", "requests", "share"]
    failed = is_error(samples)
    if not failed.any():
        return pd.DataFrame(columns=columns)
    keys = ["phase", "operation"]
    totals = samples.groupby(keys, observed=True).size().rename("requests")
    counts = samples[failed].groupby([*keys, "error"], observed=True).size().rename("count")
    out = counts.reset_index().join(totals, on=keys)
    out["share"] = out["count"] / out["requests"]
    for name in ("phase", "operation", "error"):
        out[name] = out[name].astype(str)
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


def open_loop_table(samples: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """Open-loop windows: achieved rate, response time (from the intended send) vs service time."""
    chosen = steps[steps["phase"] == "open_loop"].reset_index(drop=True)
    rows = []
    latency = samples["latency_ns"].to_numpy()
    lag = samples["lag_ns"].to_numpy()
    for row, mask in zip(
        chosen.itertuples(index=False), window_masks(samples, chosen), strict=True
    ):
        duration = (row.end_ns - row.start_ns) / 1e9
        resp, serv = latency[mask] / MS, (latency[mask] - lag[mask]) / MS
        n = len(resp)
        rows.append(
            {
                "step": row.step,
                "sent": n,
                "achieved_rps": n / duration if duration > 0 else np.nan,
                "late_share": float((lag[mask] > 1_000_000).mean()) if n else 0.0,
                "response_p50_ms": float(np.percentile(resp, 50)) if n else np.nan,
                "response_p99_ms": float(np.percentile(resp, 99)) if n else np.nan,
                "service_p50_ms": float(np.percentile(serv, 50)) if n else np.nan,
                "service_p99_ms": float(np.percentile(serv, 99)) if n else np.nan,
            }
        )
    return pd.DataFrame(rows)


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
    p95 = ok_bins.quantile(0.95) / MS
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
        ms = np.quantile(values, qs) / MS
        rows.append(
            pd.DataFrame({by: str(key), "q": qs, "nines": -np.log10(1 - qs), "latency_ms": ms})
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def locust_side_by_side(summary: dict[str, Any]) -> pd.DataFrame:
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
        for q in ("p50", "p95", "p99"):
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
