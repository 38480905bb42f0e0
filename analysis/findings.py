"""Findings: what a run's numbers mean, as rule-based diagnoses computed from its own samples.

Every rule is a function in :data:`RULES` that reads one :class:`RunData` and
returns findings: frozen values with a stable ``id`` (``rule.what``), a
severity, the numbers behind them and the report section that shows them,
and what to try. A rule that applies but has too little data says so (its
``not_enough_data`` finding, severity info) rather than guessing; a rule that
does not apply to the run (no closed loop, no generator health) says nothing,
and so does a rule whose case is absent: a healthy run has no findings.

summary.json keeps them (``findings``), the report opens with them, the
terminal ends with them and ``bench.py compare`` lists the ones that appeared
or disappeared.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis import tables
from analysis.reference import seed_latency, seed_other
from analysis.usl import MIN_LEVELS, fit_usl

SEVERITIES = ("critical", "warning", "info")

#: throughput "stops growing" past a level when the next level adds less than this share
GROWTH_KNEE = 0.10
#: serialised service: over at least this ratio of workers, throughput grows less than
#: FLAT_THROUGHPUT while the mean latency grows at least LATENCY_FOLLOWS x as fast as workers
SERIAL_MIN_WORKER_RATIO = 4.0
FLAT_THROUGHPUT = 1.5
LATENCY_FOLLOWS = 0.5
#: Little's law: a closed loop whose throughput x latency covers less than this share of its
#: workers spent the rest outside the timed request
LITTLE_MIN_BUSY = 0.75
#: a tail cause explains at least this share of the slowest 1%, at least TAIL_LIFT x its
#: share of all requests
TAIL_CAUSE_SHARE = 0.5
TAIL_LIFT = 2.0
TAIL_SLICES = 10  # a window's time is cut in this many slices to find a stall
#: the share of latency spent waiting for (or opening) a connection that deserves a finding
POOL_WAIT_SHARE = 0.2
#: errors above this share of requests deserve a finding; above ERROR_CRITICAL_SHARE, critical
ERROR_SHARE = 0.01
ERROR_CRITICAL_SHARE = 0.05
ERROR_BURST_MIN = 10  # errors needed before a burst can be told from chance
RETRY_AMPLIFICATION = 0.05  # extra attempts per request that count as amplified load
#: a figure off the seed's by more than this factor (either way) is worth a finding
REFERENCE_FACTOR = 1.5

#: minimum sample counts, one per rule (what each counts is in the rule's docstring)
MIN_SAMPLES = {
    "scaling": 50,
    "littles_law": 100,
    "tail": 2000,
    "connections": 100,
    "errors": 100,
    "reference": 100,
    "generator": 0,
}


@dataclass(frozen=True)
class Evidence:
    """The numbers behind a finding, as a sentence and as figures, and the section showing them."""

    text: str
    anchor: str
    figures: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str  # critical, warning, info
    title: str
    evidence: Evidence
    advice: str = ""

    @property
    def rule(self) -> str:
        return self.id.split(".", 1)[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity,
            "title": self.title,
            "evidence": {
                "text": self.evidence.text,
                "anchor": self.evidence.anchor,
                "figures": {k: _plain(v) for k, v in self.evidence.figures},
            },
            "advice": self.advice,
        }


def _plain(value: Any) -> Any:
    """JSON-friendly: numpy scalars to Python, floats to 4 significant places, NaN/inf to None."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if not math.isfinite(value) else float(f"{value:.4g}")
    return value


@dataclass(frozen=True, eq=False)
class RunData:
    """What the rules read: the samples, the load windows (and their sample masks), the rest."""

    samples: pd.DataFrame
    steps: pd.DataFrame
    windows: pd.DataFrame
    masks: tuple[np.ndarray, ...]
    health: tuple[Mapping[str, Any], ...] = ()
    on_seed_mock: bool | None = None  # None: not known (summary.json is written without meta)
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


_WINDOW_COLUMNS = ("phase", "step", "pool", "concurrency", "requests", "errors", "error_rate")
_WINDOW_COLUMNS += ("duration_s", "throughput_rps", "avg_ms", "p50_ms", "p95_ms", "p99_ms")


def run_data(
    samples: pd.DataFrame,
    steps: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    health: Iterable[Mapping[str, Any]] = (),
    on_seed_mock: bool | None = None,
) -> RunData:
    frame = steps if isinstance(steps, pd.DataFrame) else tables.steps_table(steps)
    chosen = frame[frame["phase"].isin(tables.LOAD_PHASES)].reset_index(drop=True)
    windows = tables.window_table(samples, chosen, tables.LOAD_PHASES)
    if windows.empty:  # no load window: the table has no columns either
        windows = pd.DataFrame(columns=_WINDOW_COLUMNS)
    return RunData(
        samples=samples,
        steps=frame,
        windows=windows,
        masks=tuple(tables.window_masks(samples, chosen)) if len(chosen) else (),
        health=tuple(health or ()),
        on_seed_mock=on_seed_mock,
        failed=tables.is_error(samples) if len(samples) else np.zeros(0, bool),
    )


#: the report section that shows a load window's figures, by phase
WINDOW_ANCHORS = {"throughput": "concurrency", "sweep": "sweep", "locust": "locust"}


def _anchor(row: Mapping[str, Any]) -> str:
    return WINDOW_ANCHORS.get(row["phase"], "concurrency")


def _where(row: Mapping[str, Any]) -> str:
    where = f"{row['phase']} {row['step']}"
    return f"{where} ({row['pool']})" if row["phase"] == "sweep" and row.get("pool") else where


def not_enough_data(rule: str, have: int, what: str, anchor: str) -> Finding:
    need = MIN_SAMPLES[rule]
    return Finding(
        f"{rule}.not_enough_data",
        "info",
        f"Not enough data for the {rule.replace('_', ' ')} rule",
        Evidence(
            f"{have:,} {what}; the rule needs at least {need:,}.",
            anchor,
            (("have", have), ("need", need)),
        ),
        "Run longer windows (or more requests) to get this diagnosis.",
    )


# -- scaling -----------------------------------------------------------------------------


def _level_table(windows: pd.DataFrame) -> pd.DataFrame:
    return (
        windows.groupby("concurrency", sort=True)
        .agg(
            requests=("requests", "sum"),
            throughput=("throughput_rps", "mean"),
            avg_ms=("avg_ms", "mean"),
        )
        .reset_index()
    )


def scaling(data: RunData) -> list[Finding]:
    """Throughput against workers: serialised, retrograde, or where it stops growing.

    Needs 3 closed-loop levels (per pool) with ``MIN_SAMPLES['scaling']`` requests each.
    """

    closed = data.windows[data.windows["phase"].isin(tables.CLOSED_LOOP_PHASES)]
    if closed.empty:
        return []
    out = []
    for (phase, pool), group in closed.groupby(["phase", "pool"], sort=True):
        levels = _level_table(group)
        suffix = f" ({pool})" if phase == "sweep" and pool else ""
        anchor = "sweep" if phase == "sweep" else "capacity"
        enough = levels[levels["requests"] >= MIN_SAMPLES["scaling"]]
        if len(enough) < MIN_LEVELS:
            out.append(
                not_enough_data(
                    "scaling",
                    int(levels["requests"].min()) if len(levels) >= MIN_LEVELS else 0,
                    f"requests in the smallest window of {len(levels)} concurrency level(s)"
                    f"{suffix} (3 levels needed)",
                    anchor,
                )
            )
            continue
        out += _scaling_group(enough, suffix, anchor)
    return out


def _scaling_group(levels: pd.DataFrame, suffix: str, anchor: str) -> list[Finding]:
    n = levels["concurrency"].to_numpy(float)
    x = levels["throughput"].to_numpy(float)
    r = levels["avg_ms"].to_numpy(float)
    fit = fit_usl(n, x)
    sigma = fit.sigma if fit else float("nan")
    kappa = fit.kappa if fit else float("nan")
    workers_ratio = n[-1] / n[0]
    throughput_ratio = x.max() / x[0]
    latency_ratio = r[-1] / r[0]
    figures = (
        ("levels", [int(v) for v in n]),
        ("throughput_rps", [round(float(v), 1) for v in x]),
        ("mean_latency_ms", [round(float(v), 2) for v in r]),
        ("sigma", sigma),
        ("kappa", kappa),
    )
    if (
        workers_ratio >= SERIAL_MIN_WORKER_RATIO
        and throughput_ratio < FLAT_THROUGHPUT
        and latency_ratio >= LATENCY_FOLLOWS * workers_ratio
    ):
        parallel = float(x.max() * r[0] / 1e3)  # requests in service at once, at best
        return [
            Finding(
                "scaling.serialised",
                "critical",
                "The service handles requests nearly one at a time" + suffix,
                Evidence(
                    f"From {n[0]:.0f} to {n[-1]:.0f} workers ({workers_ratio:.0f}x), throughput "
                    f"went from {x[0]:,.1f} to at most {x.max():,.1f} req/s "
                    f"({throughput_ratio:.2f}x) while the mean latency grew "
                    f"{latency_ratio:.1f}x ({r[0]:,.1f} to {r[-1]:,.1f} ms): by Little's law "
                    f"the extra workers only queue. About {parallel:.1f} request(s) in service "
                    f"at once; USL σ = {sigma:.3g}.",
                    anchor,
                    (*figures, ("parallelism", parallel)),
                ),
                "Look for what serialises requests in the service: a blocking call inside an "
                "event loop (sync I/O or CPU work in an async handler), a single database "
                "connection or a pool of one, a global lock, a single-threaded worker.",
            )
        ]
    growth = x[1:] / x[:-1] - 1
    knee_at = next((i for i, g in enumerate(growth) if g < GROWTH_KNEE), None)
    peak = fit.peak_concurrency if fit else math.inf
    retrograde = bool(fit and fit.kappa > 0 and x[-1] < 0.95 * x.max() and peak < n[-1])
    if knee_at is None and not retrograde:
        return []
    knee = n[knee_at] if knee_at is not None else n[int(np.argmax(x))]
    text = (
        f"Throughput grows less than {GROWTH_KNEE:.0%} past {knee:.0f} workers "
        f"({', '.join(f'{a:.0f}: {b:,.0f} req/s' for a, b in zip(n, x, strict=True))}); "
        f"USL σ = {sigma:.3g} (serial share of the work), κ = {kappa:.3g}"
    )
    if math.isfinite(peak):
        text += f", predicted peak at N* ≈ {peak:,.0f} workers"
    if retrograde:
        text += f"; throughput falls past the peak ({x.max():,.0f} to {x[-1]:,.0f} req/s)"
    return [
        Finding(
            "scaling.retrograde" if retrograde else "scaling.limit",
            "warning" if retrograde else "info",
            (
                f"Throughput falls past about {knee:.0f} workers"
                if retrograde
                else f"Throughput stops scaling at about {knee:.0f} workers"
            )
            + suffix,
            Evidence(text + ".", anchor, (*figures, ("knee", float(knee)), ("peak", peak))),
            "Run no more workers than the knee; "
            + (
                "κ > 0 means workers cost each other (cache or lock coherency): look for shared "
                "state every request touches."
                if retrograde
                else "a large σ points at a shared resource (lock, connection, single thread)."
            ),
        )
    ]


# -- Little's law ------------------------------------------------------------------------


def littles_law(data: RunData) -> list[Finding]:
    """Per closed-loop window: workers ≈ throughput × latency, or time went outside requests.

    Judges windows with at least ``MIN_SAMPLES['littles_law']`` requests.
    """
    latency = data.samples["latency_ns"].to_numpy()
    connect = data.samples["connect_ns"].to_numpy()
    gaps, judged = [], 0
    for row, mask in zip(data.windows.to_dict("records"), data.masks, strict=True):
        if row["phase"] not in tables.CLOSED_LOOP_PHASES or row["concurrency"] < 1:
            continue
        if row["requests"] < MIN_SAMPLES["littles_law"]:
            continue
        judged += 1
        mean_s = float(latency[mask].mean()) / 1e9
        busy = row["throughput_rps"] * mean_s
        share = busy / row["concurrency"]
        if share < LITTLE_MIN_BUSY:
            wait = float(connect[mask].sum()) / max(1, int(latency[mask].sum()))
            gaps.append((share, row, busy, mean_s, wait))
    closed = data.windows[data.windows["phase"].isin(tables.CLOSED_LOOP_PHASES)]
    if not judged:
        if closed.empty:
            return []
        return [
            not_enough_data(
                "littles_law",
                int(closed["requests"].max()),
                "requests in the largest closed-loop window",
                "concurrency",
            )
        ]
    if not gaps:
        return []
    share, row, busy, mean_s, wait = min(gaps, key=lambda g: g[0])
    return [
        Finding(
            "littles_law.client_time",
            "warning",
            "Workers spent time outside the timed requests",
            Evidence(
                f"In {_where(row)}, {row['concurrency']} workers but throughput × latency = "
                f"{row['throughput_rps']:,.1f} req/s × {mean_s * 1e3:,.1f} ms = {busy:,.1f} "
                f"requests in flight ({share:.0%} of the workers; {len(gaps)} window(s) under "
                f"{LITTLE_MIN_BUSY:.0%}). The rest of the time was spent in the client, not the "
                f"service (connection wait inside the requests: {wait:.0%} of their time).",
                _anchor(row),
                (
                    ("windows", [_where(g[1]) for g in gaps]),
                    ("workers", int(row["concurrency"])),
                    ("in_flight", busy),
                    ("busy_share", share),
                    ("connect_share", wait),
                ),
            ),
            "Check the generator (CPU, event-loop lag, think time between requests) and "
            "whether workers wait for something the timer does not cover; run fewer workers "
            "per process or more processes.",
        )
    ]


# -- tail ------------------------------------------------------------------------------


def tail(data: RunData) -> list[Finding]:
    """What the slowest 1% of each load window have in common, and the share each cause explains.

    Needs ``MIN_SAMPLES['tail']`` successful requests in the load windows (20 in the tail).
    """
    samples, failed = data.samples, data.failed
    latency = samples["latency_ns"].to_numpy()
    start = samples["start_ns"].to_numpy()
    in_tail = np.zeros(len(samples), bool)
    loaded = np.zeros(len(samples), bool)
    stall = worker_hits = worker_total = 0
    worker_base = 0.0  # the tail requests one worker would hold if all took turns
    anchor = "concurrency"
    worst_worker: tuple[float, str] = (0.0, "")
    for row, mask in zip(data.windows.to_dict("records"), data.masks, strict=True):
        ok = mask & ~failed
        if ok.sum() < 100:
            continue
        cut = np.percentile(latency[ok], 99)
        here = ok & (latency > cut)
        in_tail |= here
        loaded |= ok
        anchor = _anchor(row)
        if not here.any():
            continue
        slices = np.linspace(
            start[ok].min(), start[ok].max() + 1, TAIL_SLICES + 1
        )  # time slices of the window
        stall += int(np.bincount(np.digitize(start[here], slices), minlength=1).max())
        if row["phase"] in tables.CLOSED_LOOP_PHASES and row["concurrency"] >= 4:
            workers = samples["worker"].to_numpy()[here].astype(np.int64)
            if workers.max() > 0:
                top = np.bincount(workers)
                worker_hits += int(top.max())
                worker_total += int(here.sum())
                worker_base += here.sum() / row["concurrency"]
                share = top.max() / here.sum()
                if share > worst_worker[0]:
                    worst_worker = (float(share), f"worker {int(top.argmax())} in {_where(row)}")
    have = int(loaded.sum())
    if have < MIN_SAMPLES["tail"]:
        if data.windows.empty:
            return []
        return [not_enough_data("tail", have, "successful requests in load windows", "timeline")]
    n_tail = int(in_tail.sum())
    causes: list[tuple[str, str, float, float, str]] = []  # id, text, share, base, anchor
    ops = samples["operation"].astype(str).to_numpy()
    tail_ops = pd.Series(ops[in_tail]).value_counts()
    op = str(tail_ops.index[0])
    base = float((ops[loaded] == op).mean())
    causes.append(("operation", f"operation {op}", tail_ops.iloc[0] / n_tail, base, "phases"))
    new = samples["new_connection"].to_numpy() == 1
    causes.append(
        ("new_connections", "requests that opened a new connection", new[in_tail].mean(),
         new[loaded].mean(), anchor)
    )  # fmt: skip
    retried = samples["attempts"].to_numpy() > 1
    causes.append(
        ("retries", "requests that were retried", retried[in_tail].mean(),
         retried[loaded].mean(), "errors")
    )  # fmt: skip
    causes.append(
        ("stall", "one tenth of each window's time (a burst or stall)", stall / n_tail,
         1 / TAIL_SLICES, "timeline")
    )  # fmt: skip
    if worker_total:
        causes.append(
            ("worker", f"a single worker ({worst_worker[1]})", worker_hits / worker_total,
             worker_base / worker_total, anchor)
        )  # fmt: skip
    explained = [
        c for c in causes if c[2] >= TAIL_CAUSE_SHARE and c[2] >= TAIL_LIFT * max(c[3], 1e-9)
    ]
    advice = {
        "operation": "Profile that operation in the service (its queries, payload size).",
        "new_connections": "Keep connections: raise `max_keepalive_connections` to the "
        "concurrency or lengthen `keepalive_expiry`.",
        "retries": "The tail is back-off and retried attempts: fix the failures first "
        "(see the errors), or lower `backoff_base`.",
        "stall": "Look at the timeline for the stretch: a pause in the service (GC, a "
        "checkpoint, a deploy) or in the generator.",
        "worker": "One worker got the slow requests: check the pool hands connections out "
        "fairly and that no worker holds a bad connection.",
    }
    return [
        Finding(
            f"tail.{cid}",
            "warning",
            f"The slowest 1% are mostly {what}",
            Evidence(
                f"{share:.0%} of the {n_tail:,} requests above their window's p99 are {what}, "
                f"against {base:.0%} of all requests.",
                anchor,
                (("tail_requests", n_tail), ("tail_share", share), ("overall_share", base)),
            ),
            advice[cid],
        )
        for cid, what, share, base, anchor in explained
    ]


# -- connections -----------------------------------------------------------------------


def connections(data: RunData) -> list[Finding]:
    """Churn, connection wait and unfair pools in the load windows (``analysis.tables``
    thresholds), with the setting to change. Judges windows of ``MIN_SAMPLES`` requests."""
    need = MIN_SAMPLES["connections"]
    rows = [r for r in data.windows.to_dict("records") if r["requests"] >= need]
    if not rows:
        if data.windows.empty:
            return []
        return [
            not_enough_data(
                "connections",
                int(data.windows["requests"].max()),
                "requests in the largest load window",
                "concurrency",
            )
        ]
    out = []
    churn = [r for r in rows if tables.tail_is_churn(r)]
    if churn:
        r = max(churn, key=lambda r: r["tail_new_share"])
        out.append(
            Finding(
                "connections.churn",
                "warning",
                "Connection churn inside measured windows",
                Evidence(
                    f"In {_where(r)}, {r['tail_new_share']:.0%} of the requests above p99 "
                    f"opened a new connection ({int(r['new_connections']):,} in the window; "
                    f"p50 {r['new_p50_ms']:,.1f} ms new against {r['reused_p50_ms']:,.1f} ms "
                    f"reused); {len(churn)} window(s) in all.",
                    _anchor(r),
                    (
                        ("windows", [_where(c) for c in churn]),
                        ("tail_new_share", r["tail_new_share"]),
                        ("new_connections", int(r["new_connections"])),
                    ),
                ),
                f"Raise `max_keepalive_connections` to at least the concurrency "
                f"({int(r['concurrency'])}), or lengthen `keepalive_expiry` if it already is.",
            )
        )
    waiting = [r for r in rows if (r.get("connect_share") or 0) > POOL_WAIT_SHARE]
    if waiting:
        r = max(waiting, key=lambda r: r["connect_share"])
        out.append(
            Finding(
                "connections.pool_wait",
                "warning",
                "Requests waited for a connection",
                Evidence(
                    f"In {_where(r)}, {r['connect_share']:.0%} of the requests' time went to "
                    f"waiting for (or opening) a connection, more than {POOL_WAIT_SHARE:.0%}; "
                    f"{len(waiting)} window(s) in all.",
                    _anchor(r),
                    (
                        ("windows", [_where(w) for w in waiting]),
                        ("connect_share", r["connect_share"]),
                        ("concurrency", int(r["concurrency"])),
                    ),
                ),
                f"Raise `max_connections` to at least the concurrency ({int(r['concurrency'])}); "
                "the latency measured so far includes the pool's queue.",
            )
        )
    unfair = [r for r in rows if tables.is_unfair(r)]
    if unfair:
        r = unfair[0]
        out.append(
            Finding(
                "connections.unfair",
                "warning",
                "The pool starved some workers",
                Evidence(
                    f"In {_where(r)}, the least-served of {int(r['concurrency'])} workers sent "
                    f"{int(r['per_worker_min']):,} requests against a median of "
                    f"{r['per_worker_median']:,g} (under {tables.UNFAIR_SHARE:.0%}).",
                    _anchor(r),
                    (
                        ("windows", [_where(u) for u in unfair]),
                        ("per_worker_min", int(r["per_worker_min"])),
                        ("per_worker_median", r["per_worker_median"]),
                    ),
                ),
                "Check `max_connections` against the workers, and whether the engine hands "
                "freed connections to waiters first come, first served.",
            )
        )
    return out


# -- errors ----------------------------------------------------------------------------


def errors(data: RunData) -> list[Finding]:
    """Error rate and classes, bursts on the timeline, and retries per request.

    Needs ``MIN_SAMPLES['errors']`` requests in the run.
    """
    samples, failed = data.samples, data.failed
    n = len(samples)
    if n < MIN_SAMPLES["errors"]:
        return [not_enough_data("errors", n, "requests in the run", "errors")] if n else []
    out = []
    count = int(failed.sum())
    rate = count / n
    worst = max(
        (r for r in data.windows.to_dict("records") if r["requests"] >= MIN_SAMPLES["errors"]),
        key=lambda r: r["error_rate"],
        default=None,
    )
    worst_rate = worst["error_rate"] if worst else 0.0
    if rate > ERROR_SHARE or worst_rate > ERROR_SHARE:
        classes = samples.loc[failed, "error"].astype(str).value_counts()
        listed = ", ".join(f"{k} {v:,}" for k, v in classes.head(3).items())
        where = f"; worst window {_where(worst)} at {worst_rate:.1%}" if worst else ""
        out.append(
            Finding(
                "errors.rate",
                "critical" if max(rate, worst_rate) > ERROR_CRITICAL_SHARE else "warning",
                f"{rate:.1%} of requests failed",
                Evidence(
                    f"{count:,} of {n:,} requests failed ({listed}){where}.",
                    "errors",
                    (
                        ("error_rate", rate),
                        ("worst_window_rate", worst_rate),
                        ("classes", {str(k): int(v) for k, v in classes.items()}),
                    ),
                ),
                "Read the error classes: timeouts point at the service's capacity or the "
                "client's timeout, 5xx at the service; compare the rate per window with the load.",
            )
        )
    if count >= ERROR_BURST_MIN:
        seconds = (samples["start_ns"].to_numpy() // 1_000_000_000).astype(np.int64)
        per_s = pd.DataFrame({"errors": failed.astype(int), "requests": 1}).groupby(seconds).sum()
        per_s = per_s.sort_values("errors", ascending=False)
        top = max(1, len(per_s) // 10)
        share = float(per_s["errors"].iloc[:top].sum() / count)
        load = float(per_s["requests"].iloc[:top].sum() / n)  # those seconds' share of requests
        if len(per_s) >= 10 and share >= 0.5 and share >= TAIL_LIFT * load:
            out.append(
                Finding(
                    "errors.burst",
                    "warning",
                    "Errors came in a burst",
                    Evidence(
                        f"{share:.0%} of the {count:,} errors fell in {top} of the run's "
                        f"{len(per_s)} seconds with requests, which sent {load:.0%} of them.",
                        "timeline",
                        (("burst_share", share), ("burst_seconds", top), ("errors", count)),
                    ),
                    "Line the burst up with the service's logs and the timeline: a restart, a "
                    "dependency's outage, a full queue.",
                )
            )
    attempts = samples["attempts"].to_numpy().astype(np.int64)
    extra = float(attempts.sum() / n - 1)
    if extra > RETRY_AMPLIFICATION:
        out.append(
            Finding(
                "errors.retries",
                "warning",
                f"Retries amplified the load by {extra:.0%}",
                Evidence(
                    f"{int((attempts > 1).sum()):,} requests were retried: "
                    f"{attempts.sum() / n:.2f} attempts per request.",
                    "errors",
                    (("attempts_per_request", attempts.sum() / n),),
                ),
                "Retries add load when the service is already failing: cap `max_retries`, "
                "raise `backoff_base`, and fix the failures they hide.",
            )
        )
    return out


# -- reference -------------------------------------------------------------------------


def reference(data: RunData) -> list[Finding]:
    """The largest differences from the seed's published tables (latency, throughput).

    Needs ``MIN_SAMPLES['reference']`` requests per operation of the latency phase.
    """

    latency = tables.latency_table(data.samples)
    if latency.empty:
        return []
    have = int(latency["requests"].min())
    if have < MIN_SAMPLES["reference"]:
        return [not_enough_data("reference", have, "requests per operation", "latency")]
    closed = data.windows[data.windows["phase"] == "throughput"]
    rows = [
        (f"{r.label} {r.metric}", r.seed_ms, r.measured_ms, r.ratio, "ms")
        for r in seed_latency(latency).itertuples(index=False)
        if r.metric != "avg"
    ]
    if not closed.empty:
        other = seed_other(closed, pd.DataFrame(), pd.DataFrame())
        rows += [
            (f"{r.item} throughput", r.seed, r.measured, r.ratio, "req/s")
            for r in other.itertuples(index=False)
        ]
    rows = [r for r in rows if r[3] == r[3] and r[3] > 0]
    off = sorted(
        (r for r in rows if max(r[3], 1 / r[3]) > REFERENCE_FACTOR),
        key=lambda r: -abs(math.log(r[3])),
    )
    if not off:
        return []
    listed = "; ".join(
        f"{name} {m:,.1f} {u} vs {s:,.1f} ({ratio:.2f}x)" for name, s, m, ratio, u in off[:3]
    )
    calibration = bool(data.on_seed_mock)
    return [
        Finding(
            "reference.calibration" if calibration else "reference.differences",
            "warning" if calibration else "info",
            "The seed mock is off its calibration"
            if calibration
            else "Where the target differs most from the seed's figures",
            Evidence(
                f"{len(off)} of {len(rows)} figures differ from the seed's by more than "
                f"{REFERENCE_FACTOR:g}x; the largest: {listed}.",
                "seed" if calibration else "latency",
                tuple((name, ratio) for name, _, _, ratio, _ in off[:5]),
            ),
            "On the seed mock this is the harness's calibration check: look at the generator "
            "and the host's load."
            if calibration
            else "Compare with the service's own budgets; the seed's figures are a reference, "
            "not a target.",
        )
    ]


# -- generator -------------------------------------------------------------------------


def generator(data: RunData) -> list[Finding]:
    """Windows where the load generator itself was the limit (summary's ``generator_health``).

    Needs the recorded health of each window (no sample minimum).
    """
    saturated = [h for h in data.health if h.get("saturated")]
    if not saturated:
        return []
    worst = max(saturated, key=lambda h: h.get("cpu_percent") or 0)
    return [
        Finding(
            "generator.saturated",
            "critical",
            "The load generator was the limit",
            Evidence(
                f"{len(saturated)} window(s) saturated the generator, e.g. {worst.get('phase')} "
                f"{worst.get('step')} at CPU {worst.get('cpu_percent', '?')}% with loop lag p99 "
                f"{worst.get('loop_lag_p99_ms', '?')} ms: those figures measure the harness.",
                "metadata",
                (("windows", [f"{h.get('phase')} {h.get('step')}" for h in saturated]),),
            ),
            "Use fewer workers per process, the `lean` engine, more Locust processes, or a "
            "generator host of its own.",
        )
    ]


#: every rule, in the order findings are listed (ties of severity keep this order)
RULES: tuple[Callable[[RunData], list[Finding]], ...] = (
    scaling,
    littles_law,
    tail,
    connections,
    errors,
    reference,
    generator,
)


def find(data: RunData) -> tuple[Finding, ...]:
    """Every rule's findings, most severe first."""
    found = [f for rule in RULES for f in rule(data)]
    return tuple(sorted(found, key=lambda f: SEVERITIES.index(f.severity)))


def findings_for(
    samples: pd.DataFrame,
    steps: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    health: Iterable[Mapping[str, Any]] = (),
    on_seed_mock: bool | None = None,
) -> tuple[Finding, ...]:
    return find(run_data(samples, steps, health=health, on_seed_mock=on_seed_mock))


def is_seed_mock(meta: Mapping[str, Any]) -> bool:
    """The embedded mock on the ``seed`` profile: the reference rule is its calibration check."""
    return bool(meta.get("embedded_mock")) and meta.get("mock_profile") == "seed"
