"""The report as one self-contained HTML page a manager opens from an email: headline tiles
with target status, trend charts (inline SVG), segment tables and data-quality notes. No
scripts, no network: styles and charts are in the page."""

from __future__ import annotations

import itertools
from html import escape
from typing import TYPE_CHECKING

from .. import __version__
from ..render.listings import group_listings, listings, quotes
from ..render.text import (
    MAX_SHOWN,
    change_text,
    fmt_ci,
    fmt_value,
    quality_text,
    segment_rows_note,
    shown,
)
from .pictures import pictures
from .summary import STATUS_TEXT, generated_text, grouped, index_text, row

if TYPE_CHECKING:
    from .run import Combined, Outcome

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;
margin:0;background:#f9fafb}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px}
h3{font-size:15px;margin:24px 0 4px}.meta{color:#6b7280;font-size:12px}
.lead{color:#374151;margin:0 0 4px}details.meta ul{margin:4px 0;padding-left:18px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;
margin:16px 0}
.tile{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px}
.tile .label{color:#374151;font-size:12px}.tile .value{font-size:24px;font-weight:600}
.tile .small,.tile .scope{color:#6b7280;font-size:12px}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:11px;font-weight:600}
.met{background:#d1fae5;color:#065f46}.missed{background:#fee2e2;color:#991b1b}
.missed_not_significant{background:#fef3c7;color:#92400e}
.in_progress{background:#dbeafe;color:#1e40af}.none{background:#f3f4f6;color:#6b7280}
.failed{background:#991b1b;color:#fff}
section.kpi{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:4px 16px 12px;
margin:12px 0}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border-bottom:1px solid #e5e7eb;padding:3px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure.chart{margin:12px 0}.chart svg{width:100%;max-width:650px;height:auto;display:block}
figcaption{color:#6b7280;font-size:12px}.note{color:#92400e;font-size:12px}
.wide{overflow-x:auto;max-width:100%}
@media (max-width:600px){main{padding:12px}section.kpi{padding:4px 10px 10px}
.tiles{grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.tile{padding:8px}.tile .value{font-size:20px}th,td{padding:3px 4px}}
"""


def render_report_html(combined: Combined) -> str:
    title = escape(combined.config.title)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{title} · {combined.run_date}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>{title}</h1>",
        _header(combined),
    ]
    if combined.index is not None:
        parts.append(_index(combined.index))
    parts.append('<div class="tiles">')
    parts += [_tile(o) for o in combined.outcomes]
    parts.append("</div>")
    for heading, members in grouped(combined):
        parts.append(f"<h2>{escape(heading)}</h2>")
        parts += [_section(o) for o in members]
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _header(combined: Combined) -> str:
    """`Generated 2 Dec 2026 from 7 files, 42,388 rows`, the technical details folded below."""
    inputs = combined.input_summaries()
    lines = [
        f"<li>Run date {combined.run_date} (the history is keyed by it); generated "
        f"{escape(combined.generated_at)}</li>",
        f"<li>Config <code>{escape(str(combined.config.path))}</code></li>",
        *(
            f"<li>Input {escape(i['name'])}: {i['files']} file(s), {i['rows']:,} rows, read "
            f"{i['passes']}×</li>"
            for i in inputs
        ),
        f"<li>Change tests adjusted together: {escape(combined.adjust)}</li>",
        f"<li>cx {escape(__version__)}</li>",
    ]
    return (
        f'<p class="lead">{escape(generated_text(combined))}</p>'
        f'<details class="meta"><summary>Technical details</summary><ul>{"".join(lines)}'
        "</ul></details>"
    )


def _badge(status: str | None) -> str:
    css = status or "none"
    text = STATUS_TEXT[status] if status else "no target"
    return f'<span class="badge {css}">{escape(text)}</span>'


def _tile(outcome: Outcome) -> str:
    r = row(outcome)
    lines = [
        f'<div class="tile"><div class="label">{escape(r.label)}</div>',
        f'<div class="scope">{escape(r.scope)}</div>',
        f'<div class="value">{escape(r.value)}</div>',
        f'<div class="small">{escape(r.interval)}</div>',
        f"<div>{_badge(r.status)} <span class='small'>{escape(r.target)}</span></div>",
    ]
    failure = outcome.report.failure
    for extra in (failure.message if failure else "", r.change, r.progress, r.benchmark):
        if extra:
            lines.append(f'<div class="small">{escape(extra)}</div>')
    lines.append("</div>")
    return "\n".join(lines)


def _index(index: dict) -> str:
    body = []
    for c in index["components"]:
        value = "–" if c["value"] is None else f"{c['value']:.4g}"
        score = "–" if c["score"] is None else f"{c['score']:.1f}"
        body.append(
            f"<tr><td>{escape(c['id'])}</td><td class='num'>{value}</td>"
            f"<td class='num'>{score}</td><td class='num'>{c['weight']:.0%}</td>"
            f"<td>{escape(c['method'])}</td></tr>"
        )
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in index["notes"])
    return (
        f'<section class="kpi"><h3>{escape(index_text(index))}</h3>'
        f'<p class="meta">{escape(index["method"])}</p>'
        '<div class="wide"><table><tr><th>component</th>'
        "<th>value</th><th>score</th><th>weight</th><th>scaled as</th></tr>"
        + "".join(body)
        + f"</table></div>{notes}</section>"
    )


def _section(outcome: Outcome) -> str:
    report, kpi = outcome.report, outcome.entry.kpi
    r = row(outcome)
    parts = [
        f'<section class="kpi"><h3>{escape(r.label)} {_badge(r.status)}</h3>',
        f"<p><strong>{escape(r.value)}</strong> {escape(r.interval)} · "
        f"n = {report.overall.estimate.n:,} · {escape(r.scope)}</p>",
        f'<p class="meta">{escape(kpi.title)} · <code>{escape(kpi.definition)}</code></p>',
    ]
    for extra in (r.target, r.change, r.progress, r.benchmark):
        if extra:
            parts.append(f"<p>{escape(extra)}</p>")
    for svg, caption in pictures(outcome):
        parts.append(f'<figure class="chart">{svg}')
        if caption:
            parts.append(f"<figcaption>{escape(caption)}</figcaption>")
        parts.append("</figure>")
    parts.append(_groups_table(outcome))
    parts.append(_listings(outcome))
    quality = report.to_dict(groups=False)["quality"]
    parts.append(f'<p class="meta">Data quality: {escape(quality_text(quality))}</p>')
    for note in [*report.overall.estimate.notes, *report.notes]:
        parts.append(f'<p class="note">{escape(note)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _listings(outcome: Outcome) -> str:
    """The KPI's listings (the themes table, the drivers) and quotes, escaped."""
    report = outcome.report
    data, _ = shown(report)
    out = []
    for listing in [*listings(data["details"]), *group_listings(data["groups"])]:
        cells = "".join(f"<th>{escape(h)}</th>" for h in listing.header)
        out.append(f'<div class="wide"><table><tr>{cells}</tr>')
        for line in listing.rows:
            out.append(
                "<tr>"
                + "".join(
                    f"<td>{escape(c)}</td>"
                    if i < listing.text
                    else f"<td class='num'>{escape(c)}</td>"
                    for i, c in enumerate(line)
                )
                + "</tr>"
            )
        out.append("</table></div>")
    for head, said in quotes(report, data):
        out.append(f"<p><strong>{escape(head)}</strong></p><ul>")
        out += [f"<li>“{escape(q)}”</li>" for q in said]
        out.append("</ul>")
    return "\n".join(out)


def _groups_table(outcome: Outcome) -> str:
    report, kpi = outcome.report, outcome.entry.kpi
    groups = list(itertools.islice(report.group_dicts(), MAX_SHOWN))
    if not groups:
        return ""
    keys = list(groups[0]["key"])
    has_change = any("change" in g for g in groups)
    head = [*keys, "value", "interval", "n", "missing", "invalid"] + (
        ["change"] if has_change else []
    )
    out = ['<div class="wide"><table><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head)]
    out[0] += "</tr>"
    for g in groups:
        cells = [f"<td>{escape(str(g['key'][k]))}</td>" for k in keys]
        cells += [
            f"<td class='num'>{escape(fmt_value(kpi, g['value']))}</td>",
            f"<td class='num'>{escape(fmt_ci(kpi, g['ci']))}</td>",
            f"<td class='num'>{g['n']:,}</td>",
            f"<td class='num'>{g['quality']['missing']:,}</td>",
            f"<td class='num'>{g['quality']['invalid']:,}</td>",
        ]
        if has_change:
            cells.append(f"<td>{escape(change_text(kpi, g.get('change')))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table></div>")
    rows_note = segment_rows_note(groups)
    if rows_note:
        out.append(f'<p class="meta">{escape(rows_note.capitalize())}</p>')
    hidden = len(report.groups) - len(groups)
    if hidden:
        out.append(f'<p class="meta">{hidden:,} more groups in report.json</p>')
    return "\n".join(out)
