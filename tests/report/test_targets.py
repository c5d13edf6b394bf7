"""Targets, SMART goals, benchmarks and the CX index, against hand-computed cases."""

from __future__ import annotations

import datetime as dt

import pytest

from cxcli.definition import Estimate
from cxcli.periods import period_start
from cxcli.registry import all_kpis
from cxcli.reporting.config import IndexSpec, Target
from cxcli.reporting.targets import cx_index, judge_target, versus_benchmark

KPIS = all_kpis()
TODAY = dt.date(2026, 1, 1)


def est(value, low=None, high=None):
    return Estimate(value, 100, None if low is None else (low, high))


@pytest.mark.parametrize(
    ("target", "estimate", "status"),
    [
        (Target(min=30), est(31, 25, 37), "met"),
        (Target(min=30), est(29, 25, 33), "missed"),
        (Target(min=30, gate_on="interval"), est(29, 25, 33), "missed_not_significant"),
        (Target(min=30, gate_on="interval"), est(20, 15, 25), "missed"),
        (Target(max=60), est(61, 55, 67), "missed"),
        (Target(max=60, gate_on="interval"), est(61, 55, 67), "missed_not_significant"),
        (Target(min=30, max=40), est(30), "met"),  # bounds are inclusive
        (Target(min=30), est(None), "missed"),  # no value cannot meet a target
    ],
)
def test_target_status(target, estimate, status):
    assert judge_target(target, estimate, TODAY)["status"] == status


def test_a_goal_before_its_deadline_is_in_progress_with_progress_and_projection():
    target = Target(min=65, by=dt.date(2026, 7, 1))  # 181 days after TODAY
    trend = [(dt.date(2025, 10, 3), 60.0), (dt.date(2025, 11, 2), 61.0), (TODAY, 62.0)]
    out = judge_target(target, est(62, 60, 64), TODAY, start=60, trend=trend)
    assert out["status"] == "in_progress" and out["days_left"] == 181
    progress = out["progress"]
    assert progress["percent"] == pytest.approx(40.0)  # (62 - 60) / (65 - 60)
    assert progress["needed_per_30_days"] == pytest.approx(3 / 181 * 30)
    # Points at days 0, 30, 90 (values 60, 61, 62): least squares slope = 0.021978…/day.
    xs, ys = [0, 30, 90], [60, 61, 62]
    mx, my = sum(xs) / 3, sum(ys) / 3
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    assert progress["trend_per_30_days"] == pytest.approx(slope * 30)
    assert progress["projected"] == pytest.approx(my + slope * (271 - mx))
    assert progress["on_track"] is (progress["projected"] >= 65)


def test_a_goal_past_its_deadline_is_judged_like_any_target():
    target = Target(min=65, by=dt.date(2025, 12, 31))
    assert judge_target(target, est(62), TODAY)["status"] == "missed"
    assert judge_target(target, est(66), TODAY)["status"] == "met"


def test_a_lower_is_better_goal_projects_downwards():
    target = Target(max=3600, by=dt.date(2026, 3, 2))
    trend = [(dt.date(2025, 12, 2), 4000.0), (TODAY, 3800.0)]  # -200 in 30 days
    out = judge_target(target, est(3800), TODAY, start=4000, trend=trend)
    assert out["progress"]["percent"] == pytest.approx(50.0)
    assert out["progress"]["projected"] == pytest.approx(3800 - 200 / 30 * 60)
    assert out["progress"]["on_track"] is True


@pytest.mark.parametrize(
    ("kpi", "target", "values", "projected", "leaves", "on_track"),
    [
        # NPS +1.4 per 30 days from 50: 117.4 by the deadline unclamped; it can reach 100 only.
        ("nps", Target(min=95, by=dt.date(2030, 12, 31)), (48.6, 50.0), 100.0, True, True),
        ("nps", Target(min=60, by=dt.date(2026, 3, 2)), (48.6, 50.0), 52.8, False, False),
        # A falling percentage stops at 0; a max target is judged on the 0 it can reach.
        ("churn", Target(max=1, by=dt.date(2030, 1, 1)), (9.0, 8.0), 0.0, True, True),
        # A handle time cannot fall below 0 s.
        ("aht", Target(max=100, by=dt.date(2031, 1, 1)), (400.0, 390.0), 0.0, True, True),
        # A goal the clamped value cannot reach: NPS at most 100, so ≥ 100 is on track only at 100.
        ("nps", Target(min=100, by=dt.date(2040, 1, 1)), (0.0, 10.0), 100.0, True, True),
    ],
)
def test_projections_stay_within_what_the_kpi_can_be(
    kpi, target, values, projected, leaves, on_track
):
    trend = [(dt.date(2025, 12, 2), values[0]), (TODAY, values[1])]
    out = judge_target(target, est(values[1]), TODAY, 0, trend, KPIS[kpi]().value_range)
    progress = out["progress"]
    assert progress["projected"] == pytest.approx(projected, abs=0.05)
    assert (progress["leaves_range_on"] is not None) is leaves
    assert progress["on_track"] is on_track


def test_the_day_a_trend_leaves_the_range_is_where_its_line_crosses_the_bound():
    trend = [(dt.date(2025, 12, 2), 40.0), (TODAY, 70.0)]  # +30 in 30 days: 100 on 2026-01-31
    target = Target(min=90, by=dt.date(2027, 1, 1))
    out = judge_target(target, est(70), TODAY, 0, trend, (-100.0, 100.0))
    assert out["progress"]["leaves_range_on"] == "2026-01-31"
    assert out["progress"]["projected"] == 100.0


def test_no_trend_from_a_single_point():
    out = judge_target(Target(min=65, by=dt.date(2026, 7, 1)), est(62), TODAY, 60, [(TODAY, 62)])
    assert out["progress"]["projected"] is None and "on_track" not in out["progress"]


def test_benchmark_one_tailed_test_by_hand():
    nps = KPIS["nps"]()
    # value 35, interval ±9.8 at 95% → se = 5; z = (35 - 30) / 5 = 1; p = 1 - Φ(1) = 0.158655
    out = versus_benchmark(nps, est(35, 25.2, 44.8), 30, 0.95)
    assert out["delta"] == 5 and out["p_value"] == pytest.approx(0.158655, abs=1e-5)
    assert out["verdict"] == "not_significant"
    assert versus_benchmark(nps, est(45, 35.2, 54.8), 30, 0.95)["verdict"] == "better"
    assert versus_benchmark(nps, est(15, 5.2, 24.8), 30, 0.95)["verdict"] == "worse"
    # For a time, lower is better: 100 s against a benchmark of 120 s is better.
    art = KPIS["art"]()
    assert versus_benchmark(art, est(100, 90.2, 109.8), 120, 0.95)["verdict"] == "better"
    assert versus_benchmark(nps, est(35), 30, 0.95)["p_value"] is None  # no interval, no test
    assert versus_benchmark(nps, est(None), 30, 0.95)["delta"] is None


def test_cx_index_by_hand():
    kpis = {
        "nps": (KPIS["nps"](), 20.0),  # (20 + 100) / 2 = 60
        "csat": (KPIS["csat"](), 80.0),  # 80
        "ces": (KPIS["ces"](), 5.5),  # (5.5 - 1) / 6 · 100 = 75
        "churn": (KPIS["churn"](), 4.0),  # 100 - 4 = 96
        "aht": (KPIS["aht"](), 450.0),  # ranges [900, 300] → 75
    }
    weights = {"nps": 2.0, "csat": 1.0, "ces": 1.0, "churn": 0.0, "aht": 1.0}
    spec = IndexSpec("CX index", weights, {"aht": (900.0, 300.0)})
    out = cx_index(spec, kpis)
    assert out["value"] == pytest.approx((2 * 60 + 80 + 75 + 75) / 5)
    scores = {c["id"]: c["score"] for c in out["components"]}
    assert scores == pytest.approx({"nps": 60, "csat": 80, "ces": 75, "churn": 96, "aht": 75})
    assert sum(c["weight"] for c in out["components"]) == pytest.approx(1.0)


def test_cx_index_leaves_out_a_missing_component_and_clips_scores():
    kpis = {"nps": (KPIS["nps"](), None), "aht": (KPIS["aht"](), 100.0)}
    spec = IndexSpec("i", {"nps": 1.0, "aht": 1.0}, {"aht": (900.0, 300.0)})
    out = cx_index(spec, kpis)
    assert out["value"] == 100.0  # aht beyond its best is clipped, nps left out
    assert out["notes"] == ["nps has no value and is left out"]
    assert cx_index(IndexSpec("i", {"nps": 1.0}), {"nps": kpis["nps"]})["value"] is None


def test_ces_lower_is_easier_index():
    ces = KPIS["ces"](scale="1-5", lower_is_easier=True)
    assert ces.index_score(1.0) == 100 and ces.index_score(5.0) == 0


@pytest.mark.parametrize(
    ("label", "day"),
    [
        ("2025-03-04", dt.date(2025, 3, 4)),
        ("2025-W01", dt.date(2024, 12, 30)),
        ("2025-03", dt.date(2025, 3, 1)),
        ("2025-Q2", dt.date(2025, 4, 1)),
        ("2025", dt.date(2025, 1, 1)),
    ],
)
def test_period_start_inverts_period_labels(label, day):
    assert period_start(label) == day


def test_the_sample_goal_is_projected_to_100_at_most(sample_report):
    _, data = sample_report
    goal = next(k for k in data["kpis"] if (k["target"] or {}).get("by"))
    progress = goal["target"]["progress"]
    assert progress["projected"] == 100.0 and progress["leaves_range_on"] is not None
    html = (sample_report[0] / "report.html").read_text()
    assert "the limit of the KPI" in html and "cannot continue" in html
