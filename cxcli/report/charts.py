"""Trend charts for the HTML report: matplotlib drawn to SVG text, inlined in the page (no
network, no scripts). Output is deterministic: fixed ids, no dates in the metadata."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..escape import plain

MAX_LINES = 6  # segments drawn in one chart: the largest by responses
PALETTE = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2")


@dataclass(frozen=True)
class Line:
    """One series: dated values with an optional interval band."""

    label: str
    dates: Sequence[dt.date]
    values: Sequence[float | None]
    low: Sequence[float | None] | None = None
    high: Sequence[float | None] | None = None


def trend_svg(
    title: str,
    lines: Sequence[Line],
    unit: str,
    targets: Sequence[tuple[str, float]] = (),
) -> str:
    """An SVG line chart of `lines` (with their bands) and dashed target lines. Labels are
    text, never mathtext (`$5 plan`), and matplotlib's warnings (a glyph missing from the
    font) are not the reader's business."""
    import warnings

    import matplotlib

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "cx",
            "svg.fonttype": "none",
            "font.size": 9,
            "axes.titlesize": 10,
            "text.parse_math": False,
        }
    )
    lines = [replace(line, label=plain(line.label, newlines=False)) for line in lines]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _draw(plain(title, newlines=False), lines, unit, targets)


def _draw(
    title: str, lines: Sequence[Line], unit: str, targets: Sequence[tuple[str, float]]
) -> str:
    from matplotlib.figure import Figure  # no pyplot: one Figure per chart, freed on return

    scale, label = _axis(unit, [v for line in lines for v in line.values if v is not None])
    if scale != 1:
        lines = [_scaled(line, scale) for line in lines]
        targets = [(name, value / scale) for name, value in targets]
    fig = Figure(figsize=(6.4, 2.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for i, line in enumerate(lines[:MAX_LINES]):
        color = PALETTE[i % len(PALETTE)]
        xs = [d for d, v in zip(line.dates, line.values, strict=True) if v is not None]
        ys = [v for v in line.values if v is not None]
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.6, color=color, label=line.label)
        if line.low is not None and line.high is not None:
            band = [
                (d, lo, hi)
                for d, lo, hi in zip(line.dates, line.low, line.high, strict=True)
                if lo is not None and hi is not None
            ]
            if band:
                ax.fill_between(
                    [b[0] for b in band],
                    [b[1] for b in band],
                    [b[2] for b in band],
                    color=color,
                    alpha=0.15,
                    linewidth=0,
                )
    for name, value in targets:
        ax.axhline(value, color="#6b7280", linestyle="--", linewidth=1)
        ax.annotate(
            f"{name} {value:.4g}",
            (1, value),
            xycoords=("axes fraction", "data"),
            ha="right",
            va="bottom",
            color="#6b7280",
            fontsize=8,
        )
    ax.set_title(title, loc="left")
    ax.set_ylabel(label)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    if len(lines) > 1:
        ax.legend(loc="best", fontsize=8, frameon=False)
    fig.autofmt_xdate(rotation=30)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "cx"})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: inlined in HTML
    return re.sub(r"<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', svg, count=1)


def _axis(unit: str, values: Sequence[float]) -> tuple[float, str]:
    """The divisor and label of the value axis: durations in the unit people read them in."""
    if unit == "seconds":
        top = max(values, default=0.0)
        for divisor, name in ((86400, "days"), (3600, "hours"), (60, "minutes")):
            if top >= 2 * divisor:
                return divisor, name
        return 1, "seconds"
    return 1, {"percent": "%"}.get(unit, unit)


def _scaled(line: Line, divisor: float) -> Line:
    def div(values: Sequence[float | None] | None) -> list[float | None] | None:
        return None if values is None else [None if v is None else v / divisor for v in values]

    return Line(line.label, line.dates, div(line.values) or [], div(line.low), div(line.high))


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
