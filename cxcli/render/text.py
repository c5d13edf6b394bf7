"""How numbers read in tables and Markdown: value, interval, change and quality as text."""

from __future__ import annotations

import itertools
from typing import Any

from ..definition import Kpi
from ..money import fmt_money
from ..result import Report
from ..units import fmt_duration

MAX_SHOWN = 50  # groups a table or Markdown shows; JSON and CSV keep every one
SEGMENT_ROWS = (  # under the groups of a windowed KPI's periods (quality.rows_of = "segment")
    "rows: each period counts its segment's every row (a customer is in each period they were "
    "a customer), so periods do not add up to the headline"
)


def segment_rows_note(groups: list[dict[str, Any]]) -> str | None:
    """SEGMENT_ROWS when some of these groups count their segment's rows, else None."""
    return SEGMENT_ROWS if any(g["quality"].get("rows_of") == "segment" for g in groups) else None


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
        return fmt_money(value, kpi.decimals, getattr(kpi, "currency", None))
    text = f"{value:,.{kpi.decimals}f}"
    return text + "%" if kpi.value_unit == "percent" else text


def fmt_number(value: float) -> str:
    """A detail number, with as many decimals as its size deserves: 1,234.5 · 12.35 · 0.132."""
    size = abs(value)
    if size >= 100:
        return f"{value:,.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def fmt_ci(kpi: Kpi, ci: dict[str, Any] | None, short: bool = False) -> str:
    """`[19.1, 23.9]`, or `19.1–23.9` where room is short."""
    if not ci:
        return ""
    low, high = fmt_value(kpi, ci["low"]), fmt_value(kpi, ci["high"])
    return f"{low}–{high}" if short else f"[{low}, {high}]"


def change_text(kpi: Kpi, change: dict[str, Any] | None, short: bool = False) -> str:
    """`▲ +7.5 vs 2025-Q1 (n.s. ±15.7)`; where room is short, `▲ +7.5 n.s.` (the arrow, the
    size and the verdict: what it was compared with and the test's details are in the JSON)."""
    if not change or change.get("delta") is None:
        return ""
    delta = change["delta"]
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    p_value = change.get("p_adjusted", change.get("p_value"))
    if short:
        text = f"{arrow} {signed(kpi, delta)}"
        if change.get("significant"):
            return text + (
                " outside CI" if p_value is None else f" p{p_text(p_value).replace(' ', '')}"
            )
        return text + (" n.s." if change.get("significant") is False else "")
    text = f"{arrow} {signed(kpi, delta)} vs {change['vs']}"
    adjusted = change.get("adjust") not in (None, "none")
    if change.get("significant"):
        if p_value is None:
            return text + " (outside the interval)"
        name = "p adj." if adjusted else "p"
        return text + f" ({name} {p_text(p_value)})"
    if change.get("significant") is False:
        mde = change.get("mde")
        if mde is None:
            return text + " (n.s.)"
        return text + f" (n.s. ±{signed(kpi, mde).lstrip('+')})"
    return text


def signed(kpi: Kpi, amount: float) -> str:
    """A change with its sign, in the KPI's unit: +7.5, -2m 05s, +$3.20."""
    if kpi.value_unit == "seconds":
        return ("+" if amount >= 0 else "") + fmt_duration(amount)
    if kpi.value_unit == "money":
        text = fmt_money(amount, kpi.decimals, getattr(kpi, "currency", None))
        return text if text.startswith("-") else "+" + text
    return f"{amount:+,.{kpi.decimals}f}"


def p_text(p: float) -> str:
    """p as people read it: 0.012, or < 0.001 rather than 0.000."""
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


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
