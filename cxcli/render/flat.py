"""The flat view shared by CSV and Markdown: one row for the headline, one per group."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..result import Report

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in data-derived text (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def flat_rows(report: Report) -> tuple[list[str], Iterator[list[Any]]]:
    """Column names and rows (made as they are read); single-number details get a column each."""
    data = report.to_dict(groups=False)
    first = next(report.group_dicts(), None)
    by = data["params"].get("by") or []
    period = data["params"].get("period")
    key_columns = [*by, "period"] if period else list(by)
    detail_names = [k for k, v in data["details"].items() if not isinstance(v, dict | list)]
    has_change = first is not None and "change" in first
    header = ["kpi", "definition", "scope", *key_columns, "value", "n", "ci_low", "ci_high"]
    header += [*detail_names, "rows", "used", "missing", "invalid"]
    if has_change:
        header += ["change_vs", "change_delta", "p_value", "significant", "p_adjusted", "mde"]

    def row(entry: dict[str, Any], scope: str) -> list[Any]:
        key = entry.get("key") or {}
        ci = entry["ci"] or {}
        quality = entry["quality"]
        cells = [data["kpi"], data["definition"], scope]
        cells += [safe_cell(key.get(k)) for k in key_columns]
        cells += [entry["value"], entry["n"], ci.get("low"), ci.get("high")]
        cells += [entry["details"].get(k) for k in detail_names]
        cells += [quality["rows"], quality["used"], quality["missing"], quality["invalid"]]
        if has_change:
            change = entry.get("change") or {}
            keys = ("vs", "delta", "p_value", "significant", "p_adjusted", "mde")
            cells += [change.get(k) for k in keys]
        return cells

    def rows() -> Iterator[list[Any]]:
        yield row(data, "all")
        for group in report.group_dicts():
            yield row(group, "group")

    return header, rows()
