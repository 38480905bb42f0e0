"""Markdown that pastes into a pull request: GitHub tables, numbers right-aligned."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from reports.document import Callout, Document, Figure, Table, Text

_MARK = {"warning": "⚠️ **Warning:**", "note": "ℹ️", "ok": "✅", "bad": "❌"}


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_md(table: Table) -> str:
    head = "| " + " | ".join(_escape(c.title) for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if c.numeric else ":---" for c in table.columns) + "|"
    rows = ["| " + " | ".join(_escape(v) for v in row) + " |" for row in table.cells()]
    parts = [head, rule, *rows]
    if table.caption:
        parts = [f"*{table.caption}*", "", *parts]
    return "\n".join(parts)


def link(path: Path, base: Path) -> str:
    """``path`` as a link relative to ``base``, the folder the Markdown file is written to.

    Both may be relative to the working directory (``runs/<run>``) or absolute; the
    link never is, so the folder still shows its pictures when attached elsewhere.
    """
    return quote(Path(os.path.relpath(path, base)).as_posix(), safe="/")


def render_markdown(doc: Document, image_base: Path) -> str:
    """The whole document; images link relative to ``image_base`` (the report's folder)."""
    out = [f"# {doc.title}", ""]
    out.append(" · ".join(f"**{k}:** {v}" for k, v in doc.header))
    out.append("")
    for callout in doc.warnings:
        out += [f"> {_MARK[callout.level]} {callout.text}", ""]
    out += ["**Contents:** " + " · ".join(f"[{s.title}](#{s.anchor})" for s in doc.sections), ""]
    for section in doc.sections:
        out += [f'<a id="{section.anchor}"></a>', "", f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                out.append(table_md(block))
            elif isinstance(block, Figure):
                out.append(f"![{block.caption}]({link(block.path, image_base)})")
            elif isinstance(block, Callout):
                out.append(f"> {_MARK[block.level]} {block.text}")
            elif isinstance(block, Text):
                out.append(block.text)
            out.append("")
    if doc.footer:
        out += ["---", f"<sub>{doc.footer}</sub>", ""]
    return "\n".join(out)
