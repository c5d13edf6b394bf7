"""What a report judges a KPI by: its target (met / missed / missed but not significant, and
for a goal with a deadline the progress and whether the trend gets there), an industry
benchmark (one-tailed test), and the CX index (a weighted mean of 0–100 scores)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

from ..definition import Estimate, Kpi
from ..result import Gate
from ..stats import z_critical
from .config import IndexSpec, Target


def judge_target(
    target: Target,
    estimate: Estimate,
    today: dt.date,
    start: float | None = None,
    trend: Sequence[tuple[dt.date, float]] = (),
    value_range: tuple[float | None, float | None] = (None, None),
) -> dict[str, Any]:
    """The target's status today. A goal with a deadline still ahead that is not yet reached is
    `in_progress` (not a failure) with its progress from `start` and a linear projection of
    `trend` (dated values, oldest first) to the deadline, kept within `value_range` (the KPI's
    possible values): a trend that leaves it cannot continue, and says so."""
    status, reason = Gate(
        target.min, target.max, target.gate_on, names=("the target min", "the target max")
    ).status(estimate)
    out: dict[str, Any] = {
        "min": target.min,
        "max": target.max,
        "gate_on": target.gate_on,
        "status": status,
        "reason": reason,
    }
    if target.by is None:
        return out
    goal = target.min if target.min is not None else target.max
    assert goal is not None
    days_left = (target.by - today).days
    out.update({"by": target.by.isoformat(), "days_left": days_left})
    if status != "met" and days_left > 0:
        out["status"], out["reason"] = "in_progress", None
    value = estimate.value
    progress: dict[str, Any] = {"start": start, "percent": None, "projected": None}
    if value is not None and start is not None and goal != start:
        progress["percent"] = 100 * (value - start) / (goal - start)
    if value is not None and days_left > 0:
        progress["needed_per_30_days"] = (goal - value) / days_left * 30
    slope = _slope(trend)
    if slope is not None and days_left > 0:
        first = trend[0][0]
        mean_t = sum((d - first).days for d, _ in trend) / len(trend)
        mean_v = sum(v for _, v in trend) / len(trend)
        projected = mean_v + slope * ((target.by - first).days - mean_t)
        low, high = value_range
        bound = low if low is not None and projected < low else None
        bound = high if high is not None and projected > high else bound
        progress["trend_per_30_days"] = slope * 30
        progress["projected"] = projected if bound is None else bound
        progress["leaves_range_on"] = None
        if bound is not None:  # the day the line crosses the bound
            day = first + dt.timedelta(days=round(mean_t + (bound - mean_v) / slope))
            progress["leaves_range_on"] = day.isoformat()
        reached = progress["projected"]
        progress["on_track"] = reached >= goal if target.min is not None else reached <= goal
    out["progress"] = progress
    return out


def _slope(points: Sequence[tuple[dt.date, float]]) -> float | None:
    """Least-squares change per day, or None with fewer than two distinct dates."""
    if len({d for d, _ in points}) < 2:
        return None
    first = points[0][0]
    xs = [(d - first).days for d, _ in points]
    ys = [v for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def versus_benchmark(
    kpi: Kpi, estimate: Estimate, benchmark: float, confidence: float
) -> dict[str, Any]:
    """One-tailed z test of "better than the benchmark", the standard error taken from the
    KPI's own interval (half-width / z). `verdict`: better, worse or not_significant."""
    value = estimate.value
    out: dict[str, Any] = {"value": benchmark, "delta": None, "p_value": None, "verdict": None}
    if value is None:
        return out
    out["delta"] = value - benchmark
    if estimate.ci is None or estimate.ci[1] <= estimate.ci[0]:
        return out
    se = (estimate.ci[1] - estimate.ci[0]) / (2 * z_critical(confidence))
    z = (value - benchmark) / se * (1 if kpi.higher_is_better else -1)
    p_better = 1 - NormalDist().cdf(z)
    alpha = 1 - confidence
    out["p_value"] = p_better
    out["verdict"] = (
        "better" if p_better < alpha else "worse" if 1 - p_better < alpha else "not_significant"
    )
    return out


def cx_index(spec: IndexSpec, kpis: dict[str, tuple[Kpi, float | None]]) -> dict[str, Any]:
    """The weighted mean of the components' 0–100 scores (weights normalised over the
    components that have a value). `kpis` maps entry ids to (KPI, value)."""
    components = []
    for entry_id, weight in spec.weights.items():
        kpi, value = kpis[entry_id]
        if entry_id in spec.ranges:
            worst, best = spec.ranges[entry_id]
            method = f"linear from {worst:g} (0) to {best:g} (100)"
            score = None if value is None else (value - worst) / (best - worst) * 100
        else:
            method = kpi.index_method
            score = None if value is None else kpi.index_score(value)
        if score is not None:
            score = min(100.0, max(0.0, score))
        components.append(
            {"id": entry_id, "kpi": kpi.name, "value": value, "score": score, "method": method}
        )
        components[-1]["weight"] = weight
    present = [c for c in components if c["score"] is not None]
    total = sum(c["weight"] for c in present)
    for c in components:
        c["weight"] = c["weight"] / total if c["score"] is not None and total else 0.0
    value = sum(c["score"] * c["weight"] for c in present) if total else None
    notes = [f"{c['id']} has no value and is left out" for c in components if c["score"] is None]
    return {
        "label": spec.label,
        "value": value,
        "method": "weighted mean of 0–100 component scores, weights normalised to sum to 1",
        "components": components,
        "notes": notes,
    }
