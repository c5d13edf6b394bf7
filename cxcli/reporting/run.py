"""`cx report`: every KPI of a config computed in one scan per input, then judged — target,
baseline, previous run, benchmark — and summed up in the CX index. The result is data
(`Combined.to_dict`); `summary`, `markdown` and `html` beside it turn it into the terminal
summary, Markdown and HTML."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..changes import adjust_together
from ..engine import run_many
from ..finalisation import versus_baseline
from ..periods import period_start
from ..planning import Baseline
from ..render.json import clean
from ..result import SCHEMA_VERSION, Report
from ..source import Input
from .config import Config, Entry
from .history import History, Run
from .targets import cx_index, judge_target, versus_benchmark


@dataclass
class Outcome:
    """One KPI of the report: its single-KPI report and how it is judged."""

    entry: Entry
    report: Report
    run_date: dt.date
    runs: list[Run] = field(default_factory=list)  # earlier runs from the history
    target: dict[str, Any] | None = None
    benchmark: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None  # change since the last run in the history

    @property
    def failed(self) -> bool:
        """A target missed (exit 3), or no number at all (exit 2: see `broken`)."""
        return bool(self.target and self.target["status"] == "missed") or self.broken

    @property
    def broken(self) -> bool:
        """Its data could not give a number worth showing (too many invalid values)."""
        return self.report.failure is not None

    @property
    def status(self) -> str | None:
        if self.broken:
            return "failed"
        return self.target["status"] if self.target else None

    def series(self) -> list[tuple[dt.date, float]]:
        """The headline's period series (no --by): dated values, oldest first."""
        if self.report.params.get("by") or not self.report.params.get("period"):
            return []
        points = []
        for group in self.report.groups:
            label = (group.key or {}).get("period")
            if label is not None and group.estimate.value is not None:
                points.append((period_start(label), group.estimate.value))
        return points

    def to_dict(self) -> dict[str, Any]:
        entry = self.entry
        out = {"id": entry.id, "label": entry.label, "indicator": entry.indicator}
        out.update(self.report.to_dict())
        out["target"] = self.target
        out["benchmark"] = self.benchmark
        out["vs_previous_run"] = self.previous
        out["history"] = [{"run_date": r.run_date.isoformat(), "value": r.value} for r in self.runs]
        return out


@dataclass
class Combined:
    """The whole report: run metadata, the KPIs in config order, and the index."""

    config: Config
    run_date: dt.date
    generated_at: str
    outcomes: list[Outcome]
    index: dict[str, Any] | None
    inputs: dict[str, list[Input]]
    adjust: str = "bh"  # how the report's change tests were adjusted together

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def broken(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.broken]

    def input_summaries(self) -> list[dict[str, Any]]:
        """Each named input: its files, rows, and how many times its data was read."""
        return [
            {
                "name": name,
                "files": len(items),
                "rows": sum(i.rows for i in items),
                "passes": max((i.passes for i in items), default=0),
            }
            for name, items in self.inputs.items()
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "title": self.config.title,
            "generated_at": self.generated_at,
            "run_date": self.run_date.isoformat(),
            "config": str(self.config.path),
            "inputs": self.input_summaries(),
            "adjust": self.adjust,
            "kpis": [o.to_dict() for o in self.outcomes],
            "index": self.index,
            "cx_version": __version__,
        }


def run_report(
    config: Config,
    run_date: dt.date,
    history: History | None = None,
    progress: Callable[[Input, int], None] | None = None,
    generated_at: str | None = None,
    adjust: str | None = None,
) -> Combined:
    """Compute and judge every KPI of `config` as of `run_date`; every change test of the
    report (periods, baselines, previous runs) is adjusted together (`adjust`, default the
    config's)."""
    reports, sources = run_many([e.job for e in config.entries], config.sources, progress)
    outcomes = [
        _judge(entry, report, history, run_date)
        for entry, report in zip(config.entries, reports, strict=True)
    ]
    singles = [
        (change, o.entry.job.query.confidence)
        for o in outcomes
        for change in (o.previous, o.report.baseline)
        if change is not None
    ]
    groups = [o.report.tests for o in outcomes if o.report.tests is not None]
    tests = adjust_together(groups, singles, method := adjust or config.adjust)
    for o in outcomes:
        o.report.adjusted = (tests, method)
    index = None
    if config.index is not None:
        values = {o.entry.id: (o.entry.kpi, o.report.value) for o in outcomes}
        index = cx_index(config.index, values)
    stamp = generated_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Combined(config, run_date, stamp, outcomes, index, sources, method)


def _judge(entry: Entry, report: Report, history: History | None, run_date: dt.date) -> Outcome:
    kpi, estimate = entry.kpi, report.overall.estimate
    confidence = entry.job.query.confidence
    runs = history.runs(entry.id, run_date) if history else []
    outcome = Outcome(entry, report, run_date, runs)
    current = kpi.from_result(report.to_dict(groups=False))
    last = next((r for r in reversed(runs) if r.value is not None), None)
    if last is not None:
        before = Baseline(last.value, f"run of {last.run_date}", last.result)
        outcome.previous = versus_baseline(kpi, current, estimate, before, confidence)
        outcome.previous["vs"] = f"run of {last.run_date}"
    if isinstance(entry.baseline, int | float):
        number = Baseline(float(entry.baseline), "config")
        report.baseline = versus_baseline(kpi, current, estimate, number, confidence)
    elif entry.baseline == "previous":
        if outcome.previous is not None:
            report.baseline = outcome.previous
        elif history is None:
            report.notes.append('baseline = "previous" needs a history: --history FILE')
        else:
            report.notes.append('baseline = "previous", but the history has no earlier run')
    if entry.target is not None:
        start = entry.baseline if isinstance(entry.baseline, int | float) else None
        if start is None and runs:
            start = next((r.value for r in runs if r.value is not None), None)
        trend = [(r.run_date, r.value) for r in runs if r.value is not None]
        if estimate.value is not None:
            trend.append((run_date, estimate.value))
        if len(trend) < 2:
            trend = outcome.series()
        outcome.target = judge_target(
            entry.target, estimate, run_date, start, trend, kpi.value_range
        )
    if entry.benchmark is not None:
        outcome.benchmark = versus_benchmark(kpi, estimate, entry.benchmark, confidence)
    return outcome


def history_rows(combined: Combined) -> list[dict[str, Any]]:
    """The rows this run adds to the history: one per KPI."""
    rows = []
    for outcome in combined.outcomes:
        estimate = outcome.report.overall.estimate
        details = outcome.report.to_dict(groups=False)["details"]
        result = {"value": estimate.value, "n": estimate.n, "details": details}
        rows.append(
            {
                "run_date": combined.run_date.isoformat(),
                "id": outcome.entry.id,
                "kpi": outcome.entry.kpi.name,
                "label": outcome.entry.label,
                "value": estimate.value,
                "n": estimate.n,
                "ci_low": estimate.ci[0] if estimate.ci else None,
                "ci_high": estimate.ci[1] if estimate.ci else None,
                "unit": outcome.entry.kpi.value_unit,
                "result": json.dumps(clean(result), default=str),
                "generated_at": combined.generated_at,
            }
        )
    return rows
