"""One self-contained HTML file: inline CSS, images as base64 data URIs, no network at all."""

from __future__ import annotations

import base64
import html
import re

from reports.document import Callout, Document, Figure, Table, Text

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --accent:#2f6fb0; --bg:#f7f9fb;
  --warn-bg:#fff7e6; --warn:#b25e09; --note-bg:#eef5fc; --ok-bg:#ecf8f1; --ok:#1b7a45;
  --bad:#c0392b; --good:#1b7a45; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.55 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
header { background: linear-gradient(135deg, #1d3c5e, #2f6fb0); color: #fff;
  padding: 28px 0 22px; }
.wrap { max-width: 1120px; margin: 0 auto; padding: 0 28px; }
h1 { margin: 0 0 10px; font-size: 26px; font-weight: 650; letter-spacing: -0.01em; }
.meta { display: flex; flex-wrap: wrap; gap: 8px 10px; margin: 0; padding: 0; list-style: none; }
.meta li { background: rgba(255,255,255,.14); border-radius: 999px; padding: 3px 12px;
  font-size: 13px; }
.meta b { font-weight: 600; opacity: .8; margin-right: 4px; }
main { padding: 22px 0 40px; }
.callout { border-left: 4px solid var(--warn); background: var(--warn-bg); padding: 10px 14px;
  border-radius: 6px; margin: 10px 0; }
.callout.note { border-color: var(--accent); background: var(--note-bg); }
.callout.ok { border-color: var(--ok); background: var(--ok-bg); }
.callout.bad { border-color: var(--bad); background: #fdecea; color: #7b1d12; }
nav.toc { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 12px 18px; margin: 16px 0 8px; }
nav.toc b { display:block; font-size: 12px; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); margin-bottom: 4px; }
nav.toc ol { margin: 0; padding-left: 20px; columns: 2; column-gap: 32px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 6px 22px 18px; margin: 18px 0; }
h2 { font-size: 19px; margin: 16px 0 10px; font-weight: 650; }
p { margin: 8px 0; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono",
  monospace; background: #f0f3f6; padding: 1px 5px; border-radius: 4px; }
.caption { color: var(--muted); font-size: 13px; margin: 14px 0 6px; }
.tablewrap { overflow-x: auto; }
table { border-collapse: collapse; width: auto; min-width: 50%; font-size: 14px;
  margin: 4px 0 10px; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: left;
  white-space: nowrap; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  font-weight: 600; border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr:hover { background: #f1f6fb; }
tr.regressed td { background: #fdecea; }
tr.regressed td.verdict { color: var(--bad); font-weight: 600; }
tr.improved td { background: #eaf7ef; }
tr.improved td.verdict { color: var(--good); font-weight: 600; }
tr.fails td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
tr.gate-fail td { background: #fdecea; }
tr.gate-fail td.outcome { color: var(--bad); font-weight: 700; }
tr.gate-inconclusive td.outcome { color: var(--warn); font-weight: 600; }
tr.gate-pass td.outcome { color: var(--good); font-weight: 600; }
td.detail, td.value { white-space: normal; }
figure { margin: 14px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line);
  border-radius: 8px; background: #fff; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
footer { color: var(--muted); font-size: 12px; padding: 0 0 30px; }
@media print { header { background: #1d3c5e; } section { break-inside: avoid; } }
"""


def _inline(text: str) -> str:
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)


def _table(table: Table) -> str:
    parts = []
    if table.caption:
        parts.append(f'<p class="caption">{_inline(table.caption)}</p>')
    head = "".join(
        f'<th class="num">{html.escape(c.title)}</th>'
        if c.numeric
        else f"<th>{html.escape(c.title)}</th>"
        for c in table.columns
    )
    rows = []
    for i, row in enumerate(table.cells()):
        cls = table.row_classes[i] if i < len(table.row_classes) else ""
        tds = "".join(
            f'<td class="{"num" if c.numeric else c.key}">{html.escape(v)}</td>'
            for c, v in zip(table.columns, row, strict=True)
        )
        rows.append(f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>")
    parts.append(
        f'<div class="tablewrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    return "\n".join(parts)


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.path.read_bytes()).decode("ascii")
    alt = html.escape(figure.caption)
    return (
        f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">'
        f"<figcaption>{alt}</figcaption></figure>"
    )


def render_html(doc: Document) -> str:
    """The whole report as one HTML string (opens offline: nothing is fetched)."""
    meta = "".join(f"<li><b>{html.escape(k)}</b>{html.escape(v)}</li>" for k, v in doc.header)
    warnings = "".join(
        f'<div class="callout {c.level}">{_inline(c.text)}</div>' for c in doc.warnings
    )
    toc = "".join(
        f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in doc.sections
    )
    body = []
    for section in doc.sections:
        blocks = []
        for block in section.blocks:
            if isinstance(block, Table):
                blocks.append(_table(block))
            elif isinstance(block, Figure):
                blocks.append(_figure(block))
            elif isinstance(block, Callout):
                blocks.append(f'<div class="callout {block.level}">{_inline(block.text)}</div>')
            elif isinstance(block, Text):
                blocks.append(f"<p>{_inline(block.text)}</p>")
        body.append(
            f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2>'
            + "\n".join(blocks)
            + "</section>"
        )
    footer = f'<footer class="wrap">{_inline(doc.footer)}</footer>' if doc.footer else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(doc.title)}</title>
<style>{CSS}{doc.extra_css}</style></head>
<body>
<header><div class="wrap"><h1>{html.escape(doc.title)}</h1>
<ul class="meta">{meta}</ul></div></header>
<main class="wrap">
{warnings}
<nav class="toc"><b>Contents</b><ol>{toc}</ol></nav>
{"".join(body)}
</main>
{footer}
</body></html>
"""
