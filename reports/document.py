"""A report as data: sections of tables, figures and text, rendered to Markdown and HTML alike.

Computation builds DataFrames in machine units; this module only says how
to show them (column titles and kinds), so both renderers stay dumb and the
CSV of a table is its DataFrame, unformatted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


def _ms(v: float) -> str:
    return f"{v:,.2f} ms" if abs(v) < 10 else f"{v:,.1f} ms"


def _rps(v: float) -> str:
    return f"{v:,.1f} req/s" if abs(v) < 100 else f"{v:,.0f} req/s"


FORMATS: dict[str, Callable[[float], str]] = {
    "ms": _ms,
    "ms_plain": lambda v: f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}",
    "rps": _rps,
    "rps_plain": lambda v: f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}",
    "share": lambda v: f"{v:.1%}",
    "change": lambda v: f"{v:+.1%}",
    "ratio": lambda v: f"{v:.2f}x",
    "s": lambda v: f"{v:.3f} s",
    "int": lambda v: f"{int(v):,}",
    "count": lambda v: f"{v:,.0f}" if v == int(v) else f"{v:,.1f}",  # a median of counts
    "num": lambda v: f"{v:.4g}",
}


def format_cell(value: object, kind: str) -> str:
    """One cell as text; missing numbers show as an en dash."""
    if kind == "text":
        return (
            "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
        )
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "–"
    if math.isinf(number):
        return "∞"
    return FORMATS[kind](number)


@dataclass(frozen=True)
class Col:
    key: str
    title: str
    kind: str = "text"  # text, or a key of FORMATS

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass(frozen=True)
class Table:
    """A DataFrame with display columns; ``name`` is the CSV's file stem."""

    name: str
    frame: pd.DataFrame
    columns: tuple[Col, ...]
    caption: str = ""
    #: row index -> CSS class (HTML only), e.g. verdict colouring
    row_classes: tuple[str, ...] = ()

    def cells(self) -> list[list[str]]:
        return [
            [format_cell(row[c.key], c.kind) for c in self.columns]
            for row in self.frame.to_dict("records")
        ]


@dataclass(frozen=True)
class Figure:
    path: Path
    caption: str


@dataclass(frozen=True)
class Text:
    """A paragraph; `code` and **bold** are the only markup."""

    text: str


@dataclass(frozen=True)
class Callout:
    text: str
    level: str = "warning"  # warning, note, ok, bad (a failed gate: red)


Block = Table | Figure | Text | Callout


@dataclass(frozen=True)
class Section:
    title: str
    anchor: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    title: str
    header: tuple[tuple[str, str], ...]
    warnings: tuple[Callout, ...]
    sections: tuple[Section, ...]
    footer: str = ""
    extra_css: str = field(default="", repr=False)

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]
