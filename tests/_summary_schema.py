"""Validating a summary.json against the published schema, docs/summary.schema.json."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "docs" / "summary.schema.json"


def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid_summary(summary: Mapping[str, Any]) -> None:
    """Every violation, one line each (where, what), not just the first."""
    errors = sorted(validator().iter_errors(summary), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors)


GATE_SCHEMA_FILE = SCHEMA_FILE.with_name("gate.schema.json")


def assert_valid_gate(document: Mapping[str, Any]) -> None:
    """A ``--gate-json`` file against docs/gate.schema.json, every violation listed."""
    schema = json.loads(GATE_SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = sorted(
        Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path)
    )
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors)
