"""summary.json's shape as TypedDicts, and the JSON Schema published from them.

``analysis.summary.summarize`` writes this shape and :class:`results.Run` carries it, so a
type checker sees a misspelt key on both sides. The TypedDicts are the source of truth:
``docs/summary.schema.json`` is :func:`schema_text`'s output, and a test fails when the two
differ (its message says how to regenerate the file). docs/run-format.md says what each
figure means.

This module keeps its annotations evaluated (no ``from __future__ import annotations``):
Python 3.11 only tells ``NotRequired`` keys apart when they are.
"""

import json
import types
from typing import (
    Any,
    Literal,
    NotRequired,
    TypedDict,
    Union,
    get_args,
    get_origin,
    is_typeddict,
)

# --- the rows of the seed's tables and of every measured window ---


class LatencyRow(TypedDict):
    """One operation of the latency phase: the seed's "Single Request Latency" table."""

    operation: str
    label: str
    count: int
    avg_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


class WindowRow(TypedDict):
    """One measured window (requests that started inside it): rate, latency, pool figures.

    The pool figures (``connect_share`` to ``per_worker_max``) came with run format 2;
    each is ``null`` when the window has nothing to compute it from.
    """

    phase: str
    step: str
    pattern: str
    concurrency: int
    pool: str
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_rate: float
    connect_share: NotRequired[float | None]
    new_connections: NotRequired[int | None]
    new_p50_ms: NotRequired[float | None]
    new_p99_ms: NotRequired[float | None]
    reused_p50_ms: NotRequired[float | None]
    reused_p99_ms: NotRequired[float | None]
    tail_requests: NotRequired[int | None]
    tail_new_share: NotRequired[float | None]
    per_worker_min: NotRequired[int | None]
    per_worker_median: NotRequired[float | None]
    per_worker_max: NotRequired[int | None]


class StepRow(TypedDict):
    """A measured window as the driver recorded it, in ns from the run's origin.

    Locust's windows add the requests that started in them and how many failed.
    """

    phase: str
    step: str
    concurrency: int
    pool: str
    start_ns: int
    end_ns: int
    requests: NotRequired[int]
    errors: NotRequired[int]


class ErrorRow(TypedDict):
    """Failed requests of one error class, per phase and operation."""

    phase: str
    operation: str
    error: str
    count: int


class PoolingRow(TypedDict):
    """One connection mode of the pooling phase (pooled, no keep-alive, a client per request)."""

    mode: str
    requests: int
    first_ms: float | None
    avg_ms: float | None
    p50_ms: float | None
    new_connections: NotRequired[int | None]
    new_connection_ms: NotRequired[float | None]


class BatchSection(TypedDict):
    """The batch phase: the same requests one after another, then gathered."""

    count: int
    sequential_s: float
    gather_s: float
    speedup: float | None
    gather_new_connections: NotRequired[int]


class OpenLoopRow(TypedDict):
    """One open-loop rate: the driver's schedule counts and the window's figures."""

    rate: float
    step: str
    scheduled: int
    sent: int
    late: int
    dropped: int
    achieved_rate: float | None
    response_p50_ms: float | None
    response_p99_ms: float | None
    service_p50_ms: float | None
    service_p99_ms: float | None
    errors: int


# --- the load generator and the run's data ---


class HealthFigures(TypedDict):
    """A generator's own figures over a window (``null``: no sample fell inside it)."""

    phase: NotRequired[str]
    step: NotRequired[str]
    cpu_percent: float | None
    loop_lag_p50_ms: float | None
    loop_lag_p99_ms: float | None
    loop_lag_max_ms: float | None
    timer_overshoot_p99_ms: float | None
    saturated: bool


class WorkerHealthRow(HealthFigures):
    """One Locust worker process's figures over a window."""

    worker: int


class HealthRow(HealthFigures):
    """A window's generator health; under Locust the worst worker's, then each worker's."""

    workers: NotRequired[list[WorkerHealthRow]]


class DataSection(TypedDict):
    """The accounts the run created (every one under ``prefix``) and left behind."""

    prefix: str
    accounts_created: int
    accounts_left_active: int


# --- the diagnosis ---


class EvidenceDict(TypedDict):
    """The numbers behind a finding: a sentence, the report section showing them, figures."""

    text: str
    anchor: str
    figures: dict[str, Any]


class FindingRow(TypedDict):
    """One finding of ``analysis.findings``, most severe first."""

    id: str
    rule: str
    severity: Literal["critical", "warning", "info"]
    title: str
    evidence: EvidenceDict
    advice: str


class NotJudgedRow(TypedDict):
    """A rule that could not judge the run, and why."""

    rule: str
    reason: str


class HeadlineDict(TypedDict):
    """The verdict first: every measured request (the kind's latency and load phases)."""

    requests: int
    errors: int
    error_rate: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    peak_rps: float | None
    peak_window: str | None


class GateRow(TypedDict):
    """One threshold or gated cell (``analysis.gates.GateResult``); ``null``: not a number."""

    kind: Literal["threshold", "compare", "history"]
    rule: str
    cell: str
    statistic: str
    unit: str
    measured: float | None
    limit: float | None
    ci_low: float | None
    ci_high: float | None
    outcome: Literal["pass", "fail", "inconclusive"]
    detail: str
    detectable: float | None
    key: str


class GateSection(TypedDict):
    """The run's thresholds: each cell's verdict, and whether the gate failed."""

    inconclusive: Literal["fail", "pass"]
    failed: bool
    results: list[GateRow]


#: the commands that write a gate
GateCommand = Literal["run", "sweep", "locust", "compare", "history"]


class GateDocument(TypedDict):
    """``--gate-json``: the verdicts a pipeline reads (``format`` and ``version`` first;
    a new key is a new version). ``inputs``: the run folders judged; ``complete``: false
    when the run was cut short (the cells are those that ran); ``passed``: exit code 0;
    ``level``: the intervals'."""

    format: Literal["account-perf-gate"]
    version: Literal[1]
    command: GateCommand
    inputs: list[str]
    complete: bool
    inconclusive: Literal["fail", "pass"]
    passed: bool
    exit_code: int
    level: float
    counts: dict[str, int]
    cells: list[GateRow]


# --- Locust's section ---


class HarnessFigures(TypedDict):
    """An operation's histogram merged over the workers (percentiles at bucket middles)."""

    count: int
    avg_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class SampleFigures(TypedDict, total=False):
    """An operation's percentiles from its raw rows (empty when it has none)."""

    p50_ms: float
    p95_ms: float
    p99_ms: float


class LocustFiguresDict(TypedDict):
    """Locust's own (rounded) statistics for an operation."""

    count: int
    failures: int
    avg_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests_per_s: float


class LocustOperationRow(TypedDict):
    """One operation: the harness's figures beside Locust's (absent when its runner was gone)."""

    operation: str
    harness: HarnessFigures
    samples: SampleFigures
    locust: NotRequired[LocustFiguresDict]


class LocustWorkerRow(TypedDict):
    """The counts that prove a worker's rows all reached the master."""

    worker: int
    requests: int
    rows_reported: int
    rows_received: int


class LocustErrorRow(TypedDict):
    """Failed requests of one error class and operation, over the workers."""

    operation: str
    error: str
    count: int


class LocustSection(TypedDict):
    """What a Locust run adds: merged counts beside Locust's, pacing, workers, operations."""

    merged_requests: int
    locust_requests: int | None
    locust_failures: int | None
    elapsed_s: float
    planned_s: float | None
    user_wait_s: list[float]
    user_rate: float | None
    workers: list[LocustWorkerRow]
    operations: list[LocustOperationRow]
    errors: list[LocustErrorRow]


# --- the file ---


class Summary(TypedDict, total=False):
    """summary.json: the analysis's tables of a run, cached beside its samples.

    Every key may be absent: a run cut short, one of another kind or an older harness
    leaves sections out, and a folder without summary.json reads as ``{}``; a reader
    never relies on one (the report recomputes the figures from the samples).
    """

    complete: bool
    cut_short: str | None
    requests: int
    latency: list[LatencyRow]
    throughput: list[WindowRow]
    windows: list[WindowRow]
    sweep: list[WindowRow]
    steps: list[StepRow]
    errors: list[ErrorRow]
    pooling: list[PoolingRow]
    pooling_first_request_ms: float
    pooling_speedup: float
    batch: BatchSection
    open_loop: list[OpenLoopRow]
    generator_health: list[HealthRow]
    generator_saturated: bool
    data: DataSection
    findings: list[FindingRow]
    not_judged: list[NotJudgedRow]
    headline: HeadlineDict
    gate: GateSection
    locust: LocustSection


# --- the JSON Schema, generated ---

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    Any: {},
}


def _schema_of(kind: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """One annotation as a JSON Schema fragment; TypedDicts go to ``defs`` by name."""
    if kind in _SCALARS:
        return dict(_SCALARS[kind])
    if is_typeddict(kind):
        if kind.__name__ not in defs:
            defs[kind.__name__] = {}  # reserve the name: a recursive shape stays finite
            defs[kind.__name__] = _object_schema(kind, defs)
        return {"$ref": f"#/$defs/{kind.__name__}"}
    origin, args = get_origin(kind), get_args(kind)
    if origin is NotRequired:
        return _schema_of(args[0], defs)
    if origin is Literal:
        return {"enum": list(args)}
    if origin is list:
        return {"type": "array", "items": _schema_of(args[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_of(args[1], defs)}
    if origin in (Union, types.UnionType):
        parts = [_schema_of(arg, defs) for arg in args]
        if all(set(part) == {"type"} for part in parts):
            return {"type": [part["type"] for part in parts]}
        return {"anyOf": parts}
    raise TypeError(f"no JSON Schema for {kind!r}")


def _object_schema(kind: Any, defs: dict[str, Any]) -> dict[str, Any]:
    hints = _annotations(kind)
    return {
        "type": "object",
        "description": " ".join((kind.__doc__ or "").split()),
        "properties": {name: _schema_of(hint, defs) for name, hint in hints.items()},
        "required": [name for name in hints if name in kind.__required_keys__],
        "additionalProperties": False,
    }


def _annotations(kind: Any) -> dict[str, Any]:
    """Field -> annotation, base classes' fields first (the order the keys are written in)."""
    return dict(kind.__annotations__)


def keys(kind: Any) -> tuple[str, ...]:
    """A TypedDict's keys in declaration order, its bases' first."""
    return tuple(_annotations(kind))


#: the published schemas: docs/<name> is generated from the TypedDict, never edited
PUBLISHED: dict[str, tuple[Any, str]] = {
    "summary.schema.json": (Summary, "summary.json"),
    "gate.schema.json": (GateDocument, "bench.py --gate-json"),
}


def json_schema(name: str = "summary.schema.json") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a published file, from its TypedDict."""
    kind, title = PUBLISHED[name]
    defs: dict[str, Any] = {}
    root = _object_schema(kind, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": name,
        "title": title,
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text(name: str = "summary.schema.json") -> str:
    """:func:`json_schema` as docs/<name> holds it."""
    return json.dumps(json_schema(name), indent=2, ensure_ascii=False) + "\n"
