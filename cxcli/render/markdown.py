"""Markdown: a heading, the headline with its interval, data quality, and the groups table."""

from __future__ import annotations

from typing import Any

from ..definition import Kpi
from ..escape import markdown
from ..result import Report
from .flat import safe_cell
from .listings import Listing, group_listings, listings, quotes
from .text import (
    change_text,
    fmt_ci,
    fmt_value,
    hidden_note,
    quality_text,
    segment_rows_note,
    shown,
)


def _cell(value: Any) -> str:
    """A table cell of cx's own text (numbers, intervals): one line, `|` escaped."""
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def data_cell(value: Any) -> str:
    """A table cell of data (a group's key, a name): literal text, no HTML, no markup."""
    return "" if value is None else markdown(str(safe_cell(value)))


def render_markdown(report: Report) -> str:
    data, hidden = shown(report)
    kpi = report.kpi
    lines = [f"## {markdown(data['title'])} (`{data['definition']}`)", ""]
    value = fmt_value(kpi, data["value"])
    headline = f"**{value}** {fmt_ci(kpi, data['ci'])} · n = {data['n']:,}"
    if data["params"].get("from"):
        headline += f" · window [{data['params']['from']}, {data['params']['to']})"
    lines.append(headline)
    if data.get("baseline"):
        lines += ["", change_text(kpi, data["baseline"])]
    for listing in listings(data["details"]):
        lines += ["", *listing_lines(listing)]
    lines += ["", f"Data quality: {quality_text(data['quality'])}", ""]
    for note in data["notes"]:
        lines += [f"> {markdown(note)}", ""]
    if data["groups"]:
        keys = list(data["groups"][0]["key"])
        has_change = any("change" in g for g in data["groups"])
        header = [*keys, "value", "interval", "n", "missing", "invalid"]
        if has_change:
            header.append("change")
        lines += ["| " + " | ".join(map(data_cell, header)) + " |", "|" + "---|" * len(header)]
        for group in data["groups"]:
            cells = [data_cell(group["key"][k]) for k in keys]
            cells += [
                fmt_value(kpi, group["value"]),
                fmt_ci(kpi, group["ci"]),
                f"{group['n']:,}",
                str(group["quality"]["missing"]),
                str(group["quality"]["invalid"]),
            ]
            if has_change:
                cells.append(change_text(kpi, group.get("change")))
            lines.append(
                "| " + " | ".join([*cells[: len(keys)], *map(_cell, cells[len(keys) :])]) + " |"
            )
        if hidden:
            lines.append(f"| … {hidden_note(hidden)} |")
        rows_note = segment_rows_note(data["groups"])
        if rows_note:
            lines += ["", f"_{markdown(rows_note.capitalize())}_"]
        lines.append("")
    for listing in group_listings(data["groups"]):
        lines += [*listing_lines(listing), ""]
    for head, said in quotes(report, data):
        lines += [f"**{markdown(head)}**", "", *(f"> “{markdown(q)}”  " for q in said), ""]
    if data.get("ranking"):
        lines += _ranking(kpi, data["ranking"])
    return "\n".join(lines).rstrip("\n") + "\n"


def listing_lines(listing: Listing) -> list[str]:
    """A listing (themes, drivers) as a Markdown table."""
    out = ["| " + " | ".join(map(data_cell, listing.header)) + " |"]
    out.append(
        "|" + "".join("---|" if i < listing.text else "---:|" for i in range(len(listing.header)))
    )
    for row in listing.rows:
        cells = [data_cell(c) if i < listing.text else _cell(c) for i, c in enumerate(row)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _ranking(kpi: Kpi, ranking: dict[str, Any]) -> list[str]:
    """Best and worst segments (--top), as one short list each."""
    lines = []
    for which in ("best", "worst"):
        entries = [
            f"{', '.join(data_cell(v) for v in e['key'].values())}: "
            f"{fmt_value(kpi, e['value'])} (n = {e['n']:,})"
            for e in ranking[which]
        ]
        lines.append(f"**{which.capitalize()} {ranking['top']}:** " + "; ".join(entries))
    if ranking["too_small"]:
        lines.append(f"_{ranking['too_small']} groups below --min-n are not ranked._")
    return [*lines, ""]
