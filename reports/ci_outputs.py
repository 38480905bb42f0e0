"""The gate for a CI system: JUnit XML (a test per cell) and a versioned gate JSON.

Every command with a gate writes both on request (``--junit FILE``,
``--gate-json FILE``), also when its run was cut short, with the cells that
ran. The JSON's shape is ``docs/gate.schema.json`` (``GATE_FORMAT``, version
``GATE_VERSION``); a new key is a new version.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from analysis.bootstrap import LEVEL
from analysis.gate_rules import FAIL, INCONCLUSIVE, Inconclusive
from analysis.gates import GateResult, counts, gate_failed, summary_rows
from results.run_folder import write_text
from results.summary_shape import GateCommand, GateDocument

#: GateDocument's first two keys (mypy holds them to its Literals)
GATE_FORMAT: Final = "account-perf-gate"
GATE_VERSION: Final = 1


def gate_document(
    command: GateCommand,
    results: Sequence[GateResult],
    inconclusive: Inconclusive,
    *,
    exit_code: int,
    inputs: Sequence[Path] = (),
    complete: bool = True,
) -> GateDocument:
    """The gate JSON's content (docs/gate.schema.json)."""
    return {
        "format": GATE_FORMAT,
        "version": GATE_VERSION,
        "command": command,
        "inputs": [str(p) for p in inputs],
        "complete": complete,
        "inconclusive": inconclusive,
        "passed": exit_code == 0 and not gate_failed(results, inconclusive),
        "exit_code": exit_code,
        "level": LEVEL,
        "counts": counts(results),
        "cells": summary_rows(results),
    }


def write_gate_json(path: Path, document: GateDocument) -> Path:
    return write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def junit_xml(
    command: str,
    results: Sequence[GateResult],
    inconclusive: Inconclusive,
    problem: str | None = None,
) -> str:
    """One ``testsuite`` for the command, one ``testcase`` per cell: a failed cell (and an
    inconclusive one under ``fail``) has a ``failure``, an inconclusive one under ``pass``
    is ``skipped`` with why. ``problem``: why the run could not be judged whole (cut short,
    the target not measured), an ``error`` test of its own, so the CI system shows it."""
    tally = counts(results)
    failures = tally[FAIL] + (tally[INCONCLUSIVE] if inconclusive == "fail" else 0)
    skipped = tally[INCONCLUSIVE] if inconclusive == "pass" else 0
    root = ET.Element("testsuites", name="account-perf-harness")
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"bench.py {command}",
        tests=str(len(results) + (problem is not None)),
        failures=str(failures),
        errors=str(int(problem is not None)),
        skipped=str(skipped),
    )
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"{r.kind}.{r.statistic}", name=_name(r))
        text = r.value_text()
        if r.outcome == FAIL or (r.outcome == INCONCLUSIVE and inconclusive == "fail"):
            failure = ET.SubElement(case, "failure", type=r.outcome, message=f"{r.outcome}: {text}")
            failure.text = _body(r)
        elif r.outcome == INCONCLUSIVE:
            ET.SubElement(case, "skipped", message=f"inconclusive: {text}")
    if problem is not None:
        case = ET.SubElement(suite, "testcase", classname="run", name=f"bench.py {command}")
        ET.SubElement(case, "error", type="run", message=problem)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _name(r: GateResult) -> str:
    return f"{r.rule} [{r.cell}]"


def _body(r: GateResult) -> str:
    lines = [
        f"rule: {r.rule}",
        f"cell: {r.cell}",
        f"measured: {r.measured:.6g} {r.unit}",
        f"limit: {r.limit:.6g} {r.unit if r.kind == 'threshold' else '(allowed change)'}",
        f"interval ({LEVEL:.0%}): {r.ci_low:.6g} .. {r.ci_high:.6g}",
    ]
    if r.detail:
        lines.append(f"why: {r.detail}")
    return "\n".join(lines)


def write_junit(
    path: Path,
    command: str,
    results: Sequence[GateResult],
    inconclusive: Inconclusive,
    problem: str | None = None,
) -> Path:
    return write_text(path, junit_xml(command, results, inconclusive, problem))
