"""summary.json's typed shape: the TypedDicts, the published schema made from them, and real
files checked against it (a fresh run's summary is checked in tests/bench/test_standard_run.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from results import SUMMARY, read_summary
from results.summary_shape import (
    PUBLISHED,
    HealthRow,
    StepRow,
    Summary,
    WindowRow,
    json_schema,
    keys,
    schema_text,
)
from tests._summary_schema import assert_valid_summary, validator

ROOT = Path(__file__).resolve().parents[2]
STORED = sorted((ROOT / "tests" / "data" / "run_folders").glob(f"*/{SUMMARY}"))
REGENERATE = (
    '.venv/bin/python -c "from results.summary_shape import schema_text; '
    "print(schema_text('{name}'), end='')\" > docs/{name}"
)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_the_published_schemas_are_the_typeddicts(name: str) -> None:
    """docs/summary.schema.json and docs/gate.schema.json are generated from
    results/summary_shape.py, never edited."""
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert text == schema_text(name), f"run: {REGENERATE.format(name=name)}"


def test_schema_properties_are_the_typeddict_keys() -> None:
    schema = json_schema()
    assert list(schema["properties"]) == list(keys(Summary))
    for kind in (WindowRow, StepRow, HealthRow):
        part = schema["$defs"][kind.__name__]
        assert list(part["properties"]) == list(keys(kind))
        assert set(part["required"]) == kind.__required_keys__
    assert schema["required"] == []  # a folder without summary.json reads as {}


@pytest.mark.parametrize("path", STORED, ids=[p.parent.name for p in STORED])
def test_stored_summaries_validate(path: Path) -> None:
    assert_valid_summary(read_summary(path.parent))


def test_stored_runs_cover_every_kind() -> None:
    assert {p.parent.name for p in STORED} == {"quick", "sweep", "locust"}


def _stored(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "tests" / "data" / "run_folders" / name / SUMMARY).read_text())


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda s: s["windows"][0].update(p95_ms="12"), "$.windows[0].p95_ms"),
        (lambda s: s["windows"][0].pop("requests_per_s"), "$.windows[0]"),
        (lambda s: s["steps"][0].update(start_ms=1), "$.steps[0]"),
        (lambda s: s.update(latencies=[]), "$"),
        (lambda s: s["batch"].update(count=None), "$.batch.count"),
    ],
    ids=["wrong type", "missing key", "unknown key", "unknown section", "null count"],
)
def test_the_schema_rejects_a_drifted_summary(change: Any, where: str) -> None:
    summary = copy.deepcopy(_stored("quick"))
    assert not list(validator().iter_errors(summary))
    change(summary)
    errors = list(validator().iter_errors(summary))
    assert [e.json_path for e in errors] == [where]


def test_locust_section_is_typed() -> None:
    summary = copy.deepcopy(_stored("locust"))
    summary["locust"]["operations"][0]["harness"]["count"] = 1.5
    assert [e.json_path for e in validator().iter_errors(summary)] == [
        "$.locust.operations[0].harness.count"
    ]
