"""How numbers read in tables and Markdown: value, interval, change and quality as text."""

from __future__ import annotations

from typing import Any

from ..kpi import Kpi


def fmt_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "–"
    text = f"{value:.{kpi.decimals}f}"
    return text + "%" if kpi.unit == "percent" else text


def fmt_ci(kpi: Kpi, ci: dict[str, Any] | None) -> str:
    if not ci:
        return ""
    return f"[{fmt_value(kpi, ci['low'])}, {fmt_value(kpi, ci['high'])}]"


def change_text(kpi: Kpi, change: dict[str, Any] | None) -> str:
    if not change or change.get("delta") is None:
        return ""
    delta = change["delta"]
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    text = f"{arrow} {delta:+.{kpi.decimals}f} vs {change['vs']}"
    if change.get("significant"):
        text += f" (p={change['p_value']:.3f})"
    elif change.get("p_value") is not None:
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
