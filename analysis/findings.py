"""Findings: the one diagnosis of a run, as rules computed from its own samples and context.

Every rule is a function in :data:`RULES` that reads one :class:`RunData` and
returns findings: frozen values with a stable ``id`` (``rule.what``), a
severity, the numbers behind them and the report section that shows them,
and what to try. A rule that applies but cannot judge this run (too few
requests, too few levels) returns a :class:`NotJudged` with the reason in its
own words rather than guessing: the footnote of the findings list, not a
finding. A rule that does not apply (no closed loop, no generator health)
says nothing, and so does a rule whose case is absent: a healthy run has no
findings. Notices that are not statistics (TLS not verified, a run cut short)
are findings of the ``notices`` rule.

One cause is said once: :func:`find` folds a finding that another explains
into it (the slowest 1% that are the new connections of a churning pool; the
starved workers that are the ones that waited for new connections).

This module is the only place a diagnosis is worded: summary.json keeps the
findings (``findings``, ``not_judged``), the report opens with them, the
terminal ends with them and ``bench.py compare`` lists the ones that appeared
or disappeared.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis import tables
from analysis.reference import seed_latency, seed_other
from analysis.tables import window_name
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
    "notices": 0,
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


@dataclass(frozen=True)
class NotJudged:
    """A rule that could not judge this run, and why, in words a reader can act on."""

    rule: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason}


@dataclass(frozen=True)
class Diagnosis:
    """A run's findings, most severe first, and the rules that could not judge it."""

    findings: tuple[Finding, ...] = ()
    not_judged: tuple[NotJudged, ...] = ()

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def as_summary(self) -> dict[str, list[dict[str, Any]]]:
        """The ``findings`` and ``not_judged`` entries of summary.json."""
        return {
            "findings": [f.as_dict() for f in self.findings],
            "not_judged": [n.as_dict() for n in self.not_judged],
        }


@dataclass(frozen=True)
class RunFacts:
    """What the rules know of a run beside its samples: where it ran and how it ended."""

    on_seed_mock: bool | None = None  # None: not known
    tls_unverified: bool = False
    cut_short: str | None = None  # the reason, when the run did not complete

    @classmethod
    def of(
        cls,
        meta: Mapping[str, Any] | None,
        *,
        complete: bool = True,
        cut_short: str | None = None,
    ) -> RunFacts:
        """From meta.json (None: not known) and how the run ended."""
        if not complete and not cut_short:
            cut_short = "no reason recorded"
        if meta is None:
            return cls(cut_short=cut_short)
        return cls(
            on_seed_mock=is_seed_mock(meta),
            tls_unverified=(meta.get("tls") or {}).get("verify") is False,
            cut_short=cut_short,
        )


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
class RuleInput:
    """What the rules read: the samples, the load windows (and their sample masks), the rest."""

    samples: pd.DataFrame
    steps: pd.DataFrame
    windows: pd.DataFrame
    masks: tuple[np.ndarray, ...]
    health: tuple[Mapping[str, Any], ...] = ()
    facts: RunFacts = RunFacts()
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


_WINDOW_COLUMNS = tables.WINDOW_COLUMNS


def rule_input(
    samples: pd.DataFrame,
    steps: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    health: Iterable[Mapping[str, Any]] = (),
    facts: RunFacts = RunFacts(),
) -> RuleInput:
    frame = steps if isinstance(steps, pd.DataFrame) else tables.steps_table(steps)
    chosen = frame[frame["phase"].isin(tables.LOAD_PHASES)].reset_index(drop=True)
    windows = tables.window_table(samples, chosen, tables.LOAD_PHASES)
    if windows.empty:  # no load window: the table has no columns either
        windows = pd.DataFrame(columns=_WINDOW_COLUMNS)
    return RuleInput(
        samples=samples,
        steps=frame,
        windows=windows,
        masks=tuple(tables.window_masks(samples, chosen)) if len(chosen) else (),
        health=tuple(health or ()),
        facts=facts,
        failed=tables.is_error(samples) if len(samples) else np.zeros(0, bool),
    )


#: the report section that shows a load window's figures, by phase
WINDOW_ANCHORS = {"throughput": "concurrency", "sweep": "sweep", "locust": "locust"}


def _anchor(row: Mapping[str, Any]) -> str:
    return WINDOW_ANCHORS.get(row["phase"], "concurrency")


_where = window_name

Judged = list[Finding | NotJudged]


def too_few(rule: str, have: int, what: str) -> NotJudged:
    """The rule applies but its minimum (``MIN_SAMPLES``) was not met."""
    return NotJudged(rule, f"{have:,} {what}; it needs at least {MIN_SAMPLES[rule]:,}")


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


def scaling(data: RuleInput) -> Judged:
    """Throughput against workers: serialised, retrograde, or where it stops growing.

    Needs 3 closed-loop levels (per pool) with ``MIN_SAMPLES['scaling']`` requests each.
    """

    closed = data.windows[data.windows["phase"].isin(tables.CLOSED_LOOP_PHASES)]
    if closed.empty:
        return []
    out: Judged = []
    few_levels: list[pd.DataFrame] = []  # per pool: fewer levels than a fit needs
    few_requests: list[tuple[pd.DataFrame, str]] = []
    for (phase, pool), group in closed.groupby(["phase", "pool"], sort=True):
        levels = _level_table(group)
        suffix = f" ({pool})" if phase == "sweep" and pool else ""
        anchor = "sweep" if phase == "sweep" else "capacity"
        enough = levels[levels["requests"] >= MIN_SAMPLES["scaling"]]
        if len(levels) < MIN_LEVELS:
            few_levels.append(levels)
        elif len(enough) < MIN_LEVELS:
            few_requests.append((levels, suffix))
        else:
            out += _scaling_group(enough, suffix, anchor)
    if few_levels:
        ran = sorted({int(c) for levels in few_levels for c in levels["concurrency"]})
        most = max(len(levels) for levels in few_levels)
        where = f" for each of {len(few_levels)} pool settings" if len(few_levels) > 1 else ""
        out.append(
            NotJudged(
                "scaling",
                f"only {_count(most, 'concurrency level')} ran{where} "
                f"({', '.join(map(str, ran))} {'worker' if ran == [1] else 'workers'}); "
                f"a scaling fit needs at least {MIN_LEVELS}",
            )
        )
    if few_requests:
        levels, suffix = min(few_requests, key=lambda item: int(item[0]["requests"].min()))
        what = f"requests in the smallest of {len(levels)} concurrency levels{suffix}"
        out.append(too_few("scaling", int(levels["requests"].min()), what))
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _scaling_group(levels: pd.DataFrame, suffix: str, anchor: str) -> Judged:
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


def littles_law(data: RuleInput) -> Judged:
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
            too_few(
                "littles_law",
                int(closed["requests"].max()),
                "requests in the largest closed-loop window",
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


def tail(data: RuleInput) -> Judged:
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
        return [too_few("tail", have, "successful requests in the load windows")]
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


def connections(data: RuleInput) -> Judged:
    """Churn, connection wait and unfair pools in the load windows (``analysis.tables``
    thresholds), with the setting to change. Judges windows of ``MIN_SAMPLES`` requests.

    Workers starved because they were the ones waiting for new connections are one cause
    with the churn (or the wait), so they are said in that finding, not as an unfair pool.
    """
    need = MIN_SAMPLES["connections"]
    judged = [
        (r, m)
        for r, m in zip(data.windows.to_dict("records"), data.masks, strict=True)
        if r["requests"] >= need
    ]
    if not judged:
        if data.windows.empty:
            return []
        largest = int(data.windows["requests"].max())
        return [too_few("connections", largest, "requests in the largest load window")]
    rows = [r for r, _ in judged]
    unfair = [(r, _starved_by_connections(data, r, m)) for r, m in judged if tables.is_unfair(r)]
    explained = {window_name(r): shares for r, shares in unfair if shares is not None}
    out: list[Finding | NotJudged] = []
    churn = [r for r in rows if tables.tail_is_churn(r)]
    waiting = [r for r in rows if (r.get("connect_share") or 0) > POOL_WAIT_SHARE]
    if churn:
        r = max(churn, key=lambda r: r["tail_new_share"])
        starved = _starved_text(explained, churn)
        out.append(
            Finding(
                "connections.churn",
                "warning",
                "Connection churn inside measured windows",
                Evidence(
                    f"In {window_name(r)}, {r['tail_new_share']:.0%} of the requests above p99 "
                    f"opened a new connection ({int(r['new_connections']):,} in the window; "
                    f"p50 {r['new_p50_ms']:,.1f} ms new against {r['reused_p50_ms']:,.1f} ms "
                    f"reused); {len(churn)} window(s) in all.{starved}",
                    _anchor(r),
                    (
                        ("windows", [window_name(c) for c in churn]),
                        ("tail_new_share", r["tail_new_share"]),
                        ("new_connections", int(r["new_connections"])),
                        ("starved_windows", [w for w in explained if _in(w, churn)]),
                    ),
                ),
                f"Raise `max_keepalive_connections` to at least the concurrency "
                f"({int(r['concurrency'])}), or lengthen `keepalive_expiry` if it already is: "
                "every connection the pool closes is reopened by the next request.",
            )
        )
    if waiting:
        r = max(waiting, key=lambda r: r["connect_share"])
        starved = "" if churn else _starved_text(explained, waiting)
        out.append(
            Finding(
                "connections.pool_wait",
                "warning",
                "Requests waited for a connection",
                Evidence(
                    f"In {window_name(r)}, {r['connect_share']:.0%} of the requests' time went "
                    f"to waiting for (or opening) a connection, more than "
                    f"{POOL_WAIT_SHARE:.0%}; {len(waiting)} window(s) in all.{starved}",
                    _anchor(r),
                    (
                        ("windows", [window_name(w) for w in waiting]),
                        ("connect_share", r["connect_share"]),
                        ("concurrency", int(r["concurrency"])),
                    ),
                ),
                f"Raise `max_connections` to at least the concurrency ({int(r['concurrency'])}); "
                "the latency measured so far includes the pool's queue.",
            )
        )
    folded = churn + waiting
    alone = [
        r for r, _ in unfair if not (window_name(r) in explained and _in(window_name(r), folded))
    ]
    if alone:
        r = alone[0]
        out.append(
            Finding(
                "connections.unfair",
                "warning",
                "The pool starved some workers",
                Evidence(
                    f"In {window_name(r)}, the least-served of {int(r['concurrency'])} workers "
                    f"sent {int(r['per_worker_min']):,} requests against a median of "
                    f"{r['per_worker_median']:,g} (under {tables.UNFAIR_SHARE:.0%}).",
                    _anchor(r),
                    (
                        ("windows", [window_name(u) for u in alone]),
                        ("per_worker_min", int(r["per_worker_min"])),
                        ("per_worker_median", r["per_worker_median"]),
                    ),
                ),
                "Check `max_connections` against the workers, and whether the engine hands "
                "freed connections to waiters first come, first served.",
            )
        )
    return out


def _in(name: str, rows: list[dict[str, Any]]) -> bool:
    return any(window_name(r) == name for r in rows)


def _starved_by_connections(
    data: RuleInput, row: Mapping[str, Any], mask: np.ndarray
) -> tuple[float, float] | None:
    """(starved workers' share of time on connections, the others') when the starved workers
    are the ones that waited for connections: at least ``POOL_WAIT_SHARE`` of their time, and
    at least ``TAIL_LIFT`` x the others' rate of new connections per request. None when
    something else starved them.

    Time on connections: the whole of each request that opened one (a slow accept shows as
    a late answer, not as connect time) plus the pool wait of the others.
    """
    samples = data.samples
    worker = samples["worker"].to_numpy()[mask].astype(np.int64)
    if not len(worker) or worker.max() < 1:
        return None
    size = max(int(row["concurrency"]), int(worker.max())) + 1
    latency = samples["latency_ns"].to_numpy()[mask].astype(float)
    new = samples["new_connection"].to_numpy()[mask] == 1
    on_connections = np.where(new, latency, samples["connect_ns"].to_numpy()[mask])

    def per_worker(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(worker, weights=weights, minlength=size)[1:]

    counts, spent, waited, opened = (
        per_worker(),
        per_worker(latency),
        per_worker(on_connections),
        per_worker(new.astype(float)),
    )
    starved = counts < tables.UNFAIR_SHARE * float(np.median(counts))
    if not starved.any() or starved.all() or not counts[starved].sum():
        return None
    share = float(waited[starved].sum() / max(spent[starved].sum(), 1.0))
    others = float(waited[~starved].sum() / max(spent[~starved].sum(), 1.0))
    rate = opened[starved].sum() / counts[starved].sum()
    others_rate = opened[~starved].sum() / max(counts[~starved].sum(), 1)
    if share >= POOL_WAIT_SHARE and rate >= TAIL_LIFT * others_rate and rate > 0:
        return share, others
    return None


def _starved_text(explained: Mapping[str, tuple[float, float]], rows: list[dict[str, Any]]) -> str:
    here = [(name, shares) for name, shares in explained.items() if _in(name, rows)]
    if not here:
        return ""
    name, (share, others) = here[0]
    return (
        f" The workers it starved in {name} are the ones that waited for new connections: "
        f"{share:.0%} of their time went to connections, against {others:.0%} for the others."
    )


# -- errors ----------------------------------------------------------------------------


def errors(data: RuleInput) -> Judged:
    """Error rate and classes, bursts on the timeline, and retries per request.

    Needs ``MIN_SAMPLES['errors']`` requests in the run.
    """
    samples, failed = data.samples, data.failed
    n = len(samples)
    if n < MIN_SAMPLES["errors"]:
        return [too_few("errors", n, "requests in the run")] if n else []
    out: Judged = []
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


def reference(data: RuleInput) -> Judged:
    """The largest differences from the seed's published tables (latency, throughput).

    Needs ``MIN_SAMPLES['reference']`` requests per operation of the latency phase.
    """

    latency = tables.latency_table(data.samples)
    if latency.empty:
        return []
    have = int(latency["requests"].min())
    if have < MIN_SAMPLES["reference"]:
        return [too_few("reference", have, "requests per operation in the latency phase")]
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
    calibration = bool(data.facts.on_seed_mock)
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


def generator(data: RuleInput) -> Judged:
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


# -- notices ---------------------------------------------------------------------------


def cut_short_notice(reason: str) -> Finding:
    """The notice of a run that did not finish (also added to a summary after the fact)."""
    return Finding(
        "notices.cut_short",
        "warning",
        "The run was cut short",
        Evidence(
            f"{reason}. The tables cover the steps that finished.",
            "metadata",
            (("reason", reason),),
        ),
        "Run it to the end before comparing it with another run.",
    )


def notices(data: RuleInput) -> Judged:
    """What a reader must know before trusting any figure: TLS unverified, a run cut short,
    windows inferred from the samples. No sample minimum."""
    out: Judged = []
    facts = data.facts
    if facts.tls_unverified:
        out.append(
            Finding(
                "notices.tls_unverified",
                "warning",
                "TLS certificate verification was off",
                Evidence(
                    "The run passed `--insecure`: nothing proves these figures came from the "
                    "intended service.",
                    "metadata",
                ),
                "Pass `--ca-cert` with the CA that signed the target's certificate.",
            )
        )
    if facts.cut_short:
        out.append(cut_short_notice(facts.cut_short))
    if "inferred" in data.steps and bool(data.steps["inferred"].any()):
        out.append(
            Finding(
                "notices.inferred_windows",
                "info",
                "Some windows were inferred from the samples",
                Evidence(
                    "summary.json did not list every measured window; those were taken from "
                    "the samples (first start to last end).",
                    "metadata",
                ),
                "Rebuild the report from a run folder with its summary.json.",
            )
        )
    return out


#: every rule, in the order findings are listed (ties of severity keep this order)
RULES: tuple[Callable[[RuleInput], Judged], ...] = (
    notices,
    scaling,
    littles_law,
    tail,
    connections,
    errors,
    reference,
    generator,
)

#: a finding that another explains is folded into it: (folded, into, when also found)
FOLDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("tail.new_connections", "connections.churn", ()),
    ("tail.new_connections", "connections.pool_wait", ()),
    ("tail.worker", "connections.unfair", ()),
    ("tail.worker", "connections.churn", ()),
    ("tail.retries", "errors.retries", ()),
    # a "stall" whose requests are the new connections: they all started at the window's start
    ("tail.stall", "connections.churn", ("tail.new_connections",)),
)


def find(data: RuleInput) -> Diagnosis:
    """Every rule's findings, one per cause, most severe first, and what could not be judged."""
    judged = [item for rule in RULES for item in rule(data)]
    found = [f for f in judged if isinstance(f, Finding)]
    ids = {f.id for f in found}
    folded = {
        gone
        for gone, into, also in FOLDS
        if gone in ids and into in ids and all(other in ids for other in also)
    }
    kept = sorted(
        (f for f in found if f.id not in folded), key=lambda f: SEVERITIES.index(f.severity)
    )
    return Diagnosis(tuple(kept), tuple(n for n in judged if isinstance(n, NotJudged)))


def findings_for(
    samples: pd.DataFrame,
    steps: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    health: Iterable[Mapping[str, Any]] = (),
    facts: RunFacts = RunFacts(),
) -> Diagnosis:
    return find(rule_input(samples, steps, health=health, facts=facts))


def is_seed_mock(meta: Mapping[str, Any]) -> bool:
    """The embedded mock on the ``seed`` profile: the reference rule is its calibration check."""
    return bool(meta.get("embedded_mock")) and meta.get("mock_profile") == "seed"
