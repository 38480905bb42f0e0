"""One encoding of a client record as a sample row, whichever generator recorded it."""

from __future__ import annotations

import ast
import random
from pathlib import Path

from client.metrics import Phases, RequestRecord
from drivers.recorder import Label
from drivers.recorder import Recorder as DriverRecorder
from locustfiles.aggregate import Aggregate, Timeline
from locustfiles.recorder import Recorder as LocustRecorder
from results.samples import SampleBuffer, SampleRows

ROOT = Path(__file__).resolve().parents[2]
POOL = "gevent/pooled/k20/c100"


def _records(n: int, seed: int = 3) -> list[RequestRecord]:
    """Every corner a row can hold: errors, no answer, unknown reuse, many attempts."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        error = rng.choice([None, None, "AccountNotFoundError", "AccountTransportError"])
        out.append(
            RequestRecord(
                operation=rng.choice(["get_account_profile", "search_accounts", "ensure_account"]),
                started_at=0.0,
                latency_ns=rng.randrange(100_000, 90_000_000),
                attempts=rng.choice([1, 2, 300]),
                status=None if error == "AccountTransportError" else (404 if error else 200),
                error=error,
                bytes_sent=10,
                bytes_received=100,
                phases=Phases(*(rng.randrange(0, 5_000_000) for _ in range(4))),
                new_connection=rng.choice([None, True, False]),
                start_ns=1_000_000_000 + i * 1_000_000,
            )
        )
    return out


def test_both_recorders_write_the_same_rows_for_the_same_records() -> None:
    """The asyncio recorder's rows and the Locust path's (worker -> message -> master) agree
    column by column; only the clock's origin differs (perf counter vs. wall clock)."""
    records = _records(400)
    driver = DriverRecorder(origin_ns=0)
    driver.label = Label(phase="locust", step="steady", concurrency=7, pool=POOL)
    locust, aggregate = LocustRecorder(), Aggregate()
    for i, record in enumerate(records):
        driver(record)
        locust.record(record)
        if i % 150 == 149:  # several messages, as a worker sends them
            aggregate.add(0, locust.drain())
    aggregate.add(0, locust.drain())
    timeline = Timeline()  # "steady" with 7 users from long before the first row
    timeline.add(0, 7, "steady")
    ours = driver.samples.to_arrow().to_pydict()
    theirs = aggregate.table(0, timeline, POOL).to_pydict()
    assert ours.keys() == theirs.keys()
    for column in ours:
        if column != "start_ns":
            assert ours[column] == theirs[column], column
    offsets = {a - b for a, b in zip(theirs["start_ns"], ours["start_ns"], strict=True)}
    assert len(offsets) == 1


def test_drained_chunks_merge_by_name_whatever_their_codes() -> None:
    """Two buffers code the same names differently; merged, every row keeps its names."""
    first, second = SampleBuffer(), SampleBuffer()
    records = _records(60, seed=9)
    for i, record in enumerate(records):
        buffer = first if i % 2 else second
        buffer.add(record, phase="locust", step="", concurrency=0, pool="", origin_ns=0)
    rows = SampleRows({"error": [""]})
    assert rows.add(first.drain(), worker=1) == 30
    assert rows.add(second.drain(), worker=2) == 30
    assert rows.add(second.drain(), worker=2) == 0  # drained: nothing new
    columns, names = rows.columns(), rows.names
    merged = [
        (names["operation"][op], names["error"][err])
        for op, err in zip(columns["operation"], columns["error"], strict=True)
    ]
    expected = [(r.operation, r.error or "") for r in records[1::2] + records[0::2]]
    assert merged == expected
    assert names["error"][0] == ""
    assert list(columns["worker"]) == [1] * 30 + [2] * 30


def _sources() -> list[Path]:
    """The harness's modules; not the client, which defines and fills the records."""
    found = [ROOT / "bench.py"]
    for package in ("drivers", "locustfiles", "reports", "results", "workload"):
        found.extend(sorted((ROOT / package).glob("**/*.py")))
    assert len(found) > 20  # the layout moved: this check would see nothing
    return found


#: modules that may name the schema's column list, and why; an encoder is not among them
SCHEMA_READERS = {
    "results/samples.py": "the encoder",
    "results/__init__.py": "re-exports it",
    "results/run_format.py": "checks and upgrades stored runs",
    "results/run.py": "checks a stored run has every column",
}
#: the per-request time breakdown: only the encoder copies it out of a record
PHASE_FIELDS = {"connect_ns", "send_ns", "wait_ns", "receive_ns"}


def test_only_results_samples_encodes_records() -> None:
    """No second encoder: outside results/samples.py, no module reads a record's time
    breakdown or builds on the schema's column list (readers are listed with a reason)."""
    offenders = []
    for path in _sources():
        name = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += _schema_imports(tree, name)
        if name != "results/samples.py":
            offenders += [
                f"{name}:{node.lineno} reads .{node.attr}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and node.attr in PHASE_FIELDS
            ]
    assert offenders == [], "encode rows with results.samples.SampleBuffer.add"


def _schema_imports(tree: ast.AST, name: str) -> list[str]:
    if name in SCHEMA_READERS:
        return []
    return [
        f"{name}:{node.lineno} imports {alias.name} from {node.module}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("results", "results.schema")
        for alias in node.names
        if alias.name in ("COLUMNS", "SCHEMA", "CATEGORICAL", "TYPECODES")
    ]
