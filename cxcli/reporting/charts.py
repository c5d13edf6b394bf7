"""The report's pictures: matplotlib drawn to SVG text, inlined in the page (no network, no
scripts). Trends over time, segments as dots with their intervals, NPS as stacked shares, an
answer distribution, and how durations spread. Output is deterministic (fixed ids, no dates in
the metadata); labels are text, never mathtext (`$5 plan`), and legends sit outside the plot."""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..escape import plain
from ..money import axis_label

MAX_LINES = 6  # segments drawn in one trend chart: the largest by responses
MAX_SEGMENTS = 20  # segments drawn as dots or bars: the largest by responses
PALETTE = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2")
NPS_PARTS = (("detractors", "#dc2626"), ("passives", "#9ca3af"), ("promoters", "#059669"))
SENTIMENT_PARTS = (("negative", "#dc2626"), ("neutral", "#9ca3af"), ("positive", "#059669"))
GREY = "#6b7280"
WIDTH = 5.0  # inches at 100 dpi: 500 px, drawn at up to 1.3× on a wide page, ~0.7× on a phone


@dataclass(frozen=True)
class Axis:
    """How a KPI's values are drawn: their unit (durations rescaled to what people read) and,
    for money, the currency."""

    unit: str
    currency: str | None = None

    def scale(self, values: Sequence[float]) -> tuple[float, str]:
        """The divisor and the label of the value axis."""
        if self.unit == "seconds":
            top = max((abs(v) for v in values), default=0.0)
            for divisor, name in ((86400, "days"), (3600, "hours"), (60, "minutes")):
                if top >= 2 * divisor:
                    return divisor, name
            return 1, "seconds"
        if self.unit == "money":
            return 1, axis_label(self.currency)
        return 1, {"percent": "%", "score": "score", "count": "count"}.get(self.unit, self.unit)


@dataclass(frozen=True)
class Line:
    """One series: dated values with an optional interval band."""

    label: str
    dates: Sequence[dt.date]
    values: Sequence[float | None]
    low: Sequence[float | None] | None = None
    high: Sequence[float | None] | None = None


@dataclass(frozen=True)
class Point:
    """One segment (or the whole) as a value with its interval and size."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    n: int = 0


def _render(title: str, draw: Callable[[Any], None], height: float) -> str:
    """A figure drawn by `draw(fig)` as inline SVG, labelled for screen readers."""
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: one Figure per chart, freed on return

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "cx",
            "svg.fonttype": "none",
            "font.size": 9,
            "axes.titlesize": 10,
            "text.parse_math": False,
        }
    )
    with warnings.catch_warnings():  # a glyph missing from the font is not the reader's business
        warnings.simplefilter("ignore")
        fig = Figure(figsize=(WIDTH, height), dpi=100, layout="constrained")
        draw(fig)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "cx"})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: inlined in HTML
    return re.sub(r"<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', svg, count=1)


def _axes(fig: Any, title: str) -> Any:
    ax = fig.add_subplot()
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _legend_outside(ax: Any) -> None:
    """The legend right of the plot, never over a line."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def _references(ax: Any, references: Sequence[tuple[str, float]], vertical: bool) -> None:
    """Reference lines (targets, marks: dashed; the overall value: dotted), each named by its
    text (`target min 20.0`, `median 6m 03s`) at the top or the right end."""
    for i, (text, value) in enumerate(references):
        style = ":" if text.startswith("overall") else "--"
        if vertical:
            ax.axvline(value, color=GREY, linestyle=style, linewidth=1)
            where = {"xy": (value, 1), "xycoords": ("data", "axes fraction"), "va": "top"}
            where |= {"xytext": (3, -3 - 11 * i), "textcoords": "offset points"}
        else:
            ax.axhline(value, color=GREY, linestyle=style, linewidth=1)
            where = {"xy": (1, value), "xycoords": ("axes fraction", "data"), "va": "bottom"}
            where |= {"ha": "right"}
        ax.annotate(text, color=GREY, fontsize=8, **where)


def trend_svg(
    title: str,
    lines: Sequence[Line],
    axis: Axis,
    targets: Sequence[tuple[str, float]] = (),
) -> str:
    """A line chart of `lines` over time (with their bands) and dashed target lines."""
    title = plain(title, newlines=False)
    lines = [replace(line, label=plain(line.label, newlines=False)) for line in lines]
    scale, label = axis.scale([v for line in lines for v in line.values if v is not None])
    lines = [_scaled(line, scale) for line in lines]
    targets = [(name, value / scale) for name, value in targets]

    def draw(fig: Any) -> None:
        ax = _axes(fig, title)
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
        _references(ax, targets, vertical=False)
        ax.set_ylabel(label)
        ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
        if len(lines) > 1:
            _legend_outside(ax)
        fig.autofmt_xdate(rotation=30)

    return _render(title, draw, 2.6)


def segments_svg(
    title: str,
    points: Sequence[Point],
    axis: Axis,
    references: Sequence[tuple[str, float]] = (),
) -> str:
    """Dot-and-whisker: each segment's value and interval, best at the top (as given), with the
    overall value and the targets as vertical lines."""
    title = plain(title, newlines=False)
    values = [v for p in points for v in (p.value, p.low, p.high) if v is not None]
    scale, label = axis.scale(values)
    rows = [
        Point(
            plain(p.label, newlines=False),
            p.value / scale,
            None if p.low is None else p.low / scale,
            None if p.high is None else p.high / scale,
            p.n,
        )
        for p in points
    ]
    refs = [(name, value / scale) for name, value in references]

    def draw(fig: Any) -> None:
        ax = _axes(fig, title)
        ys = list(range(len(rows)))[::-1]
        for y, p in zip(ys, rows, strict=True):
            if p.low is not None and p.high is not None:
                ax.plot([p.low, p.high], [y, y], color=PALETTE[0], linewidth=2, alpha=0.5)
            ax.plot([p.value], [y], marker="o", markersize=5, color=PALETTE[0])
        ax.set_yticks(ys, [f"{p.label} (n={p.n:,})" if p.n else p.label for p in rows])
        ax.set_ylim(-0.7, len(rows) - 0.3 + 0.4 * len(refs))
        _references(ax, refs, vertical=True)
        ax.set_xlabel(label)
        ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)

    return _render(title, draw, 0.9 + 0.28 * (len(rows) + len(refs)))


def stacked_svg(
    title: str,
    rows: Sequence[tuple[str, Sequence[float]]],
    parts: Sequence[tuple[str, str]] = NPS_PARTS,
) -> str:
    """Shares of categories (NPS: detractors, passives, promoters; sentiment: negative,
    neutral, positive): for each row (overall, then segments) one 100% bar, each share written
    on it when it is wide enough."""
    title = plain(title, newlines=False)
    rows = [(plain(name, newlines=False), shares) for name, shares in rows]

    def draw(fig: Any) -> None:
        ax = _axes(fig, title)
        ys = list(range(len(rows)))[::-1]
        for part, (name, color) in enumerate(parts):
            lefts = [sum(shares[:part]) for _, shares in rows]
            widths = [shares[part] for _, shares in rows]
            bars = ax.barh(ys, widths, left=lefts, color=color, height=0.6, label=name)
            labels = [f"{w:.0f}%" if w >= 8 else "" for w in widths]
            ax.bar_label(bars, labels=labels, label_type="center", color="white", fontsize=8)
        ax.set_yticks(ys, [name for name, _ in rows])
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of answers")
        _legend_outside(ax)

    return _render(title, draw, 0.9 + 0.3 * len(rows))


def distribution_svg(title: str, counts: Sequence[tuple[str, int]]) -> str:
    """The share of answers at each score, lowest score on the left."""
    title = plain(title, newlines=False)
    total = sum(c for _, c in counts) or 1

    def draw(fig: Any) -> None:
        ax = _axes(fig, title)
        names = [plain(str(name), newlines=False) for name, _ in counts]
        shares = [100 * c / total for _, c in counts]
        bars = ax.bar(names, shares, color=PALETTE[0], width=0.7)
        ax.bar_label(bars, labels=[f"{s:.0f}%" for s in shares], fontsize=8)
        ax.set_ylabel("% of answers")
        ax.set_xlabel("score")
        ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)

    return _render(title, draw, 2.4)


def themes_svg(title: str, themes: Sequence[dict[str, Any]], sides: Sequence[str]) -> str:
    """cx themes: each term's z as a bar, the first side's to the right (red), the second's
    to the left (green), the strongest at the top."""
    title = plain(title, newlines=False)
    rows = list(themes)[::-1]

    def draw(fig: Any) -> None:
        ax = _axes(fig, title)
        ys = list(range(len(rows)))
        colors = [NPS_PARTS[0][1] if t["z"] > 0 else NPS_PARTS[2][1] for t in rows]
        ax.barh(ys, [t["z"] for t in rows], color=colors, height=0.6)
        ax.set_yticks(ys, _bar_names(t["term"] for t in rows), fontsize=8)
        ax.axvline(0, color=GREY, linewidth=0.8)
        ax.set_xlabel(f"z  (right: {sides[0]}, left: {sides[1]})")

    return _render(title, draw, 1.0 + 0.22 * len(rows))


def _bar_names(names: Iterable[str], limit: int = 18) -> list[str]:
    """Names beside horizontal bars: one line each, cut to `limit` characters."""
    out = [plain(name, newlines=False) for name in names]
    return [n if len(n) <= limit else n[: limit - 1] + "…" for n in out]


def drivers_svg(title: str, drivers: Sequence[dict[str, Any]]) -> str:
    """cx drivers: each attribute's importance (% of R²) as a bar with its interval as a
    whisker, the most important at the top."""
    title = plain(title, newlines=False)
    rows = list(drivers)[::-1]

    def draw(fig: Any) -> None:
        ax = _axes(fig, title)
        ys = list(range(len(rows)))
        ax.barh(ys, [d["importance"] for d in rows], color=PALETTE[0], height=0.6)
        spans = [(d, y) for d, y in zip(rows, ys, strict=True) if d["ci_low"] is not None]
        if spans:
            ax.errorbar(
                [d["importance"] for d, _ in spans],
                [y for _, y in spans],
                xerr=[
                    [max(d["importance"] - d["ci_low"], 0) for d, _ in spans],
                    [max(d["ci_high"] - d["importance"], 0) for d, _ in spans],
                ],
                fmt="none",
                ecolor=GREY,
                capsize=3,
                linewidth=1,
            )
        ax.set_yticks(ys, _bar_names(d["attribute"] for d in rows), fontsize=8)
        ax.set_xlabel("% of R² (importance is not effect)")
        ax.set_xlim(0, 100)

    return _render(title, draw, 1.0 + 0.25 * len(rows))


def cohorts_svg(title: str, cohorts: Sequence[dict[str, Any]], period: str) -> str:
    """cx cohorts: the retention triangle as a heatmap, a row per cohort (oldest at the top),
    a column per period after it; the first 24 of each."""
    import numpy as np

    title = plain(title, newlines=False)
    rows = list(cohorts)[-24:]
    longest = min(24, max(len(c["retained"]) for c in rows))
    grid = np.full((len(rows), longest), np.nan)
    for i, cohort in enumerate(rows):
        values = cohort["retained"][:longest]
        grid[i, : len(values)] = values

    def draw(fig: Any) -> None:
        ax = _axes(fig, title)
        image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=100, aspect="auto")
        ax.set_yticks(range(len(rows)), [plain(c["cohort"], newlines=False) for c in rows])
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel(f"{period}s after the cohort's first")
        fig.colorbar(image, ax=ax, label="% retained", fraction=0.04)

    return _render(title, draw, 1.2 + 0.16 * len(rows))


def spread_svg(
    title: str,
    points: Sequence[tuple[float, float]],
    marks: Sequence[tuple[str, float]],
    axis: Axis,
) -> str:
    """How durations spread: the share at or below each duration (an ECDF drawn from the
    quantiles), with marks (`median 6m 03s`, value) such as the median and p90."""
    title = plain(title, newlines=False)
    scale, label = axis.scale([v for v, _ in points] + [v for _, v in marks])

    def draw(fig: Any) -> None:
        ax = _axes(fig, title)
        xs = [v / scale for v, _ in points]
        ax.step(xs, [100 * p for _, p in points], where="post", color=PALETTE[0], linewidth=1.6)
        _references(ax, [(text, value / scale) for text, value in marks], vertical=True)
        ax.set_xlabel(label)
        ax.set_ylabel("% at or below")
        ax.set_ylim(0, 100)
        ax.grid(color="#e5e7eb", linewidth=0.8)

    return _render(title, draw, 2.4)


def _scaled(line: Line, divisor: float) -> Line:
    def div(values: Sequence[float | None] | None) -> list[float | None] | None:
        return None if values is None else [None if v is None else v / divisor for v in values]

    return Line(line.label, line.dates, div(line.values) or [], div(line.low), div(line.high))


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
