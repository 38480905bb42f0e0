"""One diagnosis: what a run's numbers mean is worded in ``analysis/findings.py`` only.

The terminal, the report and compare print the findings; none of them may say
a diagnosis of its own (the three wordings this replaced drifted apart). The
markers are taken from the findings themselves (every title and piece of
advice), plus the wordings the old copies used.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FINDINGS = ROOT / "analysis" / "findings.py"
#: where a diagnosis could be printed or written
PACKAGES = ("analysis", "client", "drivers", "locustfiles", "reports", "results", "workload")
#: the wordings of the diagnoses that lived outside findings.py before
RETIRED = ("unfair pool", "generator saturated", "no warnings", "not enough data for")
RETIRED += ("fewer than 1% of requests", "run cut short", "opened a new connection raise")


def _fragments(node: ast.AST) -> Iterator[str]:
    """Every literal piece of text in ``node``: constants and f-strings' constant parts."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def _norm(text: str) -> list[str]:
    """Words (and percentages), lower case: punctuation and markup do not hide a copy."""
    return re.findall(r"[a-z`_']+|\d+%", text.lower())


def _words(text: str, n: int = 4) -> str | None:
    words = _norm(text)
    return " ".join(words[:n]) if len(words) >= n else None


def diagnosis_markers() -> set[str]:
    """The opening words of every title and piece of advice a finding carries."""
    markers = set(RETIRED)
    for node in ast.walk(ast.parse(FINDINGS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding":
            for arg in (node.args[2:3] + node.args[4:5]) if len(node.args) > 2 else []:
                for piece in _fragments(arg):
                    if marker := _words(piece):
                        markers.add(marker)
    return markers


def _sources() -> Iterator[Path]:
    yield ROOT / "bench.py"
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _docstrings(tree: ast.AST) -> set[int]:
    """Docstrings document the code; they are not output."""
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def diagnoses_outside(markers: set[str], sources: Iterable[Path] | None = None) -> list[str]:
    found = []
    for path in _sources() if sources is None else sources:
        if path == FINDINGS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            if id(node) in docs:
                continue
            piece = node.value
            text = " ".join(_norm(piece))
            found += [
                f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}: "
                f"{marker!r} in {piece[:60]!r}"
                for marker in markers
                if marker in text
            ]
    return found


def test_the_markers_cover_every_rule() -> None:
    markers = diagnosis_markers()
    for phrase in ("connection churn inside measured", "the pool starved some"):
        assert phrase in markers, sorted(markers)
    assert len(markers) > 20


def test_no_diagnosis_is_worded_outside_findings() -> None:
    assert diagnoses_outside(diagnosis_markers()) == []


def test_the_check_finds_a_copied_diagnosis(tmp_path: Path) -> None:
    copied = tmp_path / "terminal.py"
    copied.write_text(
        '"""Docstrings may say: the pool starved some workers."""\n'
        'print(f"!! {where}: unfair pool, requests per worker {x}")\n'
        'print(f"The pool starved some workers in {where}")\n'
    )
    found = diagnoses_outside(diagnosis_markers(), (copied,))
    assert len(found) == 2 and "unfair pool" in found[0] and "starved some" in found[1]
