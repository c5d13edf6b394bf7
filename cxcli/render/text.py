"""How numbers read in tables and Markdown: value, interval, change and quality as text."""

from __future__ import annotations

import itertools
from typing import Any

from ..kpi import Kpi
from ..report import Report

MAX_SHOWN = 50  # groups a table or Markdown shows; JSON and CSV keep every one


def shown(report: Report) -> tuple[dict[str, Any], int]:
    """The report's dict with at most MAX_SHOWN groups, and how many were left out."""
    data = report.to_dict(groups=False)
    data["groups"] = list(itertools.islice(report.group_dicts(), MAX_SHOWN))
    return data, len(report.groups) - len(data["groups"])


def hidden_note(hidden: int) -> str:
    return f"{hidden:,} more groups not shown: --format json or csv has every one"


def fmt_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "–"
    if kpi.value_unit == "seconds":
        return fmt_duration(value)
    if kpi.value_unit == "money":
        return f"{value:,.{kpi.decimals}f}"
    text = f"{value:.{kpi.decimals}f}"
    return text + "%" if kpi.value_unit == "percent" else text


def fmt_number(value: float) -> str:
    """A detail number, with as many decimals as its size deserves: 1,234.5 · 12.35 · 0.132."""
    size = abs(value)
    if size >= 100:
        return f"{value:,.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def fmt_duration(seconds: float) -> str:
    """As people read durations: `45.2s`, `7m 40s`, `20.1 h`, `3.5 d`."""
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.1f}s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{sign}{minutes}m {rest:02d}s"
    if seconds < 48 * 3600:
        return f"{sign}{seconds / 3600:.1f} h"
    return f"{sign}{seconds / 86400:.1f} d"


def fmt_ci(kpi: Kpi, ci: dict[str, Any] | None) -> str:
    if not ci:
        return ""
    return f"[{fmt_value(kpi, ci['low'])}, {fmt_value(kpi, ci['high'])}]"


def change_text(kpi: Kpi, change: dict[str, Any] | None) -> str:
    if not change or change.get("delta") is None:
        return ""
    delta = change["delta"]
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    amount = (
        ("+" if delta >= 0 else "") + fmt_duration(delta)
        if kpi.value_unit == "seconds"
        else f"{delta:+.{kpi.decimals}f}"
    )
    text = f"{arrow} {amount} vs {change['vs']}"
    p_value = change.get("p_value")
    if change.get("significant"):
        text += f" (p={p_value:.3f})" if p_value is not None else " (outside the interval)"
    elif change.get("significant") is False:
        text += " (n.s.)"
    return text


def quality_text(quality: dict[str, Any]) -> str:
    text = (
        f"{quality['rows']:,} rows: {quality['used']:,} used, {quality['missing']:,} missing, "
        f"{quality['invalid']:,} invalid"
    )
    if quality.get("filtered_out"):
        text += f"; {quality['filtered_out']:,} filtered out"
    examples = quality.get("invalid_examples") or []
    if examples:
        shown = ", ".join(f"row {e['row']} {e['column']}={e['value']!r}" for e in examples[:3])
        text += f" (e.g. {shown})"
    return text
