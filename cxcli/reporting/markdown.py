"""The report as Markdown, for chat and PR comments: the summary table, the index, then each
KPI's own Markdown (as `cx <kpi> -f markdown` prints it) under leading and lagging."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..escape import markdown
from ..render.markdown import _cell, data_cell, render_markdown
from .summary import STATUS_TEXT, generated_text, grouped, row

if TYPE_CHECKING:
    from .run import Combined


def render_report_markdown(combined: Combined) -> str:
    lines = [f"# {markdown(combined.config.title)} · {combined.run_date}", ""]
    header = ["KPI", "scope", "value", "interval", "target", "status", "change"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for title, members in grouped(combined):
        lines.append(f"| **{title}** |" + " |" * (len(header) - 1))
        for outcome in members:
            r = row(outcome)
            status = STATUS_TEXT[r.status]
            status = f"**{status}**" if r.status in ("missed", "failed") else status
            cells = [
                data_cell(r.label),
                data_cell(r.scope),
                *map(_cell, [r.value, r.interval, r.target, status, r.change]),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    index = combined.index
    if index is not None:
        value = "–" if index["value"] is None else f"{index['value']:.1f}"
        lines += [f"**{index['label']}: {value} / 100** — {index['method']}", ""]
        lines += ["| component | value | score | weight | scaled as |", "|---|---|---|---|---|"]
        for c in index["components"]:
            score = "–" if c["score"] is None else f"{c['score']:.1f}"
            value = "–" if c["value"] is None else f"{c['value']:.4g}"
            lines.append(f"| {c['id']} | {value} | {score} | {c['weight']:.0%} | {c['method']} |")
        lines.append("")
    for title, members in grouped(combined):
        lines += [f"## {markdown(title)}", ""]
        for outcome in members:
            r = row(outcome)
            body = render_markdown(outcome.report).split("\n", 1)[1]
            lines += [f"### {markdown(outcome.entry.label)}", ""]
            for extra in (r.progress, r.benchmark):
                if extra:
                    lines += [f"- {extra}"]
            lines.append(body.strip("\n"))
            lines.append("")
    read = ", ".join(
        f"{i['name']} ({i['files']} files, {i['rows']:,} rows, read {i['passes']}×)"
        for i in combined.input_summaries()
    )
    lines += [f"_Inputs: {markdown(read)}. Generated {combined.generated_at} by cx._", ""]
    lines.insert(1, "")
    lines.insert(2, markdown(generated_text(combined)))
    return "\n".join(lines)
