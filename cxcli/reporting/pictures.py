"""Which pictures a KPI of the report gets, each with a caption saying what it covers:

- its distribution: NPS as detractors / passives / promoters (overall and per segment), a score
  KPI's answers, a duration's spread with the median and p90 marked;
- with `by`, its segments as dots with their intervals, best first, against the overall value
  and the target;
- with `period`, the series over time (the target drawn only where it is set for one period);
- with a history, the earlier runs;
- and, for a KPI with none of these, its value and interval against its target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..periods import period_start
from ..render.text import fmt_value
from .charts import (
    MAX_LINES,
    MAX_SEGMENTS,
    NPS_PARTS,
    SENTIMENT_PARTS,
    Axis,
    Line,
    Point,
    cohorts_svg,
    distribution_svg,
    drivers_svg,
    segments_svg,
    spread_svg,
    stacked_svg,
    themes_svg,
    trend_svg,
)
from .summary import scope_text

if TYPE_CHECKING:
    from ..result import Result
    from .run import Outcome

Picture = tuple[str, str]  # the SVG and its caption


Segments = tuple[list["Result"], str] | None  # _segment_groups: read once per KPI


def pictures(outcome: Outcome) -> list[Picture]:
    """Every picture of one KPI, in the order the page shows them. The segments are read once
    (each group is finalized as it is read) for the NPS shares and the dots alike."""
    chosen = _segment_groups(outcome) if outcome.report.params.get("by") else None
    out = [*_distribution(outcome, chosen)]
    segments = _segments(outcome, chosen)
    if segments:
        out.append(segments)
    trend = _trend(outcome)
    if trend:
        out.append(trend)
    history = _history(outcome)
    if history:
        out.append(history)
    if not out and outcome.report.overall.estimate.value is not None:
        out.append(_headline(outcome))
    return out


def _axis(outcome: Outcome) -> Axis:
    kpi = outcome.entry.kpi
    return Axis(kpi.value_unit, getattr(kpi, "currency", None))


def _reference(name: str, value: float, outcome: Outcome) -> tuple[str, float]:
    """A reference line named with its value as the KPI reads: `target max 45.0%`."""
    return f"{name} {fmt_value(outcome.entry.kpi, value)}", value


def _targets(outcome: Outcome) -> list[tuple[str, float]]:
    target = outcome.target or {}
    bounds = [k for k in ("min", "max") if target.get(k) is not None]
    return [_reference(f"target {k}", target[k], outcome) for k in bounds]


def _segment_groups(outcome: Outcome) -> tuple[list[Result], str]:
    """The groups to show as segments (the latest period's when there are periods, the largest
    MAX_SEGMENTS by size) and what they cover."""
    report = outcome.report
    groups = [g for g in report.groups if g.estimate.value is not None]
    scope = scope_text(outcome)
    if report.params.get("period"):
        periods = [(g.key or {}).get("period") for g in groups]
        latest = max((p for p in periods if p is not None), default=None)
        groups = [g for g, p in zip(groups, periods, strict=True) if p == latest and p]
        scope = f"{report.params['period']} {latest}"
    largest = sorted(groups, key=lambda g: -g.estimate.n)[:MAX_SEGMENTS]
    if len(largest) < len(groups):
        scope += f"; the {MAX_SEGMENTS} largest of {len(groups):,} segments"
    return largest, scope


def _name(group: Result, outcome: Outcome) -> str:
    by = outcome.report.params.get("by") or []
    key = group.key or {}
    return ", ".join("(missing)" if key.get(k) is None else str(key[k]) for k in by)


def _distribution(outcome: Outcome, chosen: Segments) -> list[Picture]:
    report, label = outcome.report, outcome.entry.label
    estimate = report.overall.estimate
    details = estimate.details
    if estimate.n == 0:
        return []
    if details.get("cohorts"):
        title = f"{label}: % of each cohort retained"
        picture = cohorts_svg(title, details["cohorts"], details["period"])
        return [(picture, f"Cohorts by {details['period']}, {scope_text(outcome)}")]
    if details.get("drivers"):
        title = f"{label}: importance of each attribute"
        level = 100 * report.params.get("confidence", 0.95)
        caption = f"Share of R² ({details['method']}; {level:g}% bootstrap intervals), "
        caption += scope_text(outcome)
        return [(drivers_svg(title, details["drivers"]), caption)]
    if details.get("themes"):
        title = f"{label}: {' vs '.join(details['sides'])}"
        picture = themes_svg(title, details["themes"], details["sides"])
        return [(picture, f"Log-odds z of each term, {scope_text(outcome)}")]
    parts = next((p for key, p in CATEGORIES.items() if key in details), None)
    if parts is not None:
        rows = [("overall", _shares(details, parts))]
        caption = f"Shares of answers, {scope_text(outcome)}"
        if chosen is not None:
            groups, scope = chosen
            rows += [(_name(g, outcome), _shares(g.estimate.details, parts)) for g in groups]
            caption += f"; segments: {scope}"
        title = f"{label}: {', '.join(name for name, _ in parts)}"
        return [(stacked_svg(title, rows, parts), caption)]
    counts = details.get("distribution")
    if counts:
        title = f"{label}: answers by score"
        return [(distribution_svg(title, list(counts.items())), scope_text(outcome))]
    if report.spread:
        marks = [
            _reference(k, details[k], outcome)
            for k in ("median", "p90")
            if details.get(k) is not None
        ]
        svg = spread_svg(f"{label}: how durations spread", report.spread, marks, _axis(outcome))
        caption = f"Share of durations at or below each value, {scope_text(outcome)}"
        open_count = (details.get("open") or {}).get("count")
        if open_count:
            caption += f"; the {open_count:,} tickets still open are not in this picture"
        return [(svg, caption)]
    return []


# The KPIs whose answers fall in three ordered categories, by a detail only they give.
CATEGORIES = {"pct_promoters": NPS_PARTS, "pct_positive": SENTIMENT_PARTS}


def _shares(details: dict[str, Any], parts: Sequence[tuple[str, str]]) -> list[float]:
    return [details.get(f"pct_{name}") or 0.0 for name, _ in parts]


def _segments(outcome: Outcome, chosen: Segments) -> Picture | None:
    report, kpi = outcome.report, outcome.entry.kpi
    if chosen is None:
        return None
    groups, scope = chosen
    if not groups:
        return None
    best_first = sorted(groups, key=lambda g: g.estimate.value, reverse=kpi.higher_is_better)
    points = [_point(_name(g, outcome), g) for g in best_first]
    overall = report.overall.estimate.value
    references = [_reference("overall", overall, outcome)] if overall is not None else []
    references += _targets(outcome)
    title = f"{outcome.entry.label} by {', '.join(report.params['by'])}"
    caption = f"Each segment with its interval, best first: {scope}"
    return segments_svg(title, points, _axis(outcome), references), caption


def _point(name: str, result: Result) -> Point:
    e = result.estimate
    low, high = e.ci if e.ci else (None, None)
    return Point(name, e.value, low, high, e.n)  # type: ignore[arg-type]


def _trend(outcome: Outcome) -> Picture | None:
    report, kpi = outcome.report, outcome.entry.kpi
    period = report.params.get("period")
    lines = _period_lines(outcome)
    if not period or not lines:
        return None
    caption = f"Each point is one {period}; the tile above is {scope_text(outcome)}"
    targets = _targets(outcome)
    if kpi.windowed and targets:  # a window's churn or MAU is not one month's
        caption += "; the target is for the whole window, not one period, and is not drawn"
        targets = []
    svg = trend_svg(f"{outcome.entry.label} by {period}", lines, _axis(outcome), targets)
    return svg, caption


def _period_lines(outcome: Outcome) -> list[Line]:
    report = outcome.report
    segments: dict[tuple, list] = {}
    for group in report.groups:
        key = dict(group.key or {})
        label = key.pop("period", None)
        if label is None:
            continue
        try:
            day = period_start(label)
        except ValueError:
            continue
        segments.setdefault(tuple(key.items()), []).append((day, group))
    largest = sorted(segments.items(), key=lambda kv: -sum(g.estimate.n for _, g in kv[1]))
    lines = []
    for key, points in largest[:MAX_LINES]:
        name = ", ".join(str(v) for _, v in key) or outcome.entry.label
        ci = [g.estimate.ci for _, g in points]
        band = len(segments) == 1
        lines.append(
            Line(
                name,
                [d for d, _ in points],
                [g.estimate.value for _, g in points],
                [c[0] if c else None for c in ci] if band else None,
                [c[1] if c else None for c in ci] if band else None,
            )
        )
    return lines


def _history(outcome: Outcome) -> Picture | None:
    runs = [(r.run_date, r.value) for r in outcome.runs]
    if not runs:
        return None
    runs.append((outcome.run_date, outcome.report.value))
    line = Line("runs", [d for d, _ in runs], [v for _, v in runs])
    title = f"{outcome.entry.label}: run history"
    svg = trend_svg(title, [line], _axis(outcome), _targets(outcome))
    return svg, "The headline value of each run in the history, this run last"


def _headline(outcome: Outcome) -> Picture:
    """The value and its interval against the target and the benchmark."""
    references: Sequence[tuple[str, float]] = _targets(outcome)
    if outcome.benchmark:
        references = [*references, _reference("benchmark", outcome.benchmark["value"], outcome)]
    point = _point("overall", outcome.report.overall)
    svg = segments_svg(outcome.entry.label, [point], _axis(outcome), references)
    return svg, f"The value with its interval, {scope_text(outcome)}"
