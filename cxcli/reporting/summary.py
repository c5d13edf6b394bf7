"""The report's headline rows as text — KPI, value, interval, target, status, change — shared
by the terminal summary, the Markdown and the HTML page, and the reasons a target failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..escape import plain
from ..render.console import (
    FULL,
    JUDGEMENT_BELOW,
    SHORT_CHANGES,
    SHORT_INTERVALS,
    fitted,
    keep_whole,
    terminal,
)
from ..render.text import change_text, fmt_ci, fmt_value, p_text, signed

if TYPE_CHECKING:
    from .run import Combined, Outcome

SUMMARY_FOLDS = (FULL, SHORT_INTERVALS, SHORT_CHANGES, JUDGEMENT_BELOW)
STATUS_TEXT = {
    "failed": "FAILED: data",
    "met": "met",
    "missed": "MISSED",
    "missed_not_significant": "missed (n.s.)",
    "in_progress": "in progress",
    None: "–",
}
INDICATOR_TITLES = {"leading": "Leading indicators", "lagging": "Lagging indicators"}
STATUS_STYLES = {
    "met": "green",
    "missed": "bold red",
    "missed_not_significant": "yellow",
    "failed": "bold red",
}


@dataclass(frozen=True)
class Row:
    label: str
    scope: str
    value: str
    interval: str
    target: str
    status: str | None  # the target's status key
    change: str
    progress: str
    benchmark: str


def target_text(outcome: Outcome) -> str:
    target = outcome.target
    if not target:
        return ""
    kpi = outcome.entry.kpi
    parts = []
    if target["min"] is not None:
        parts.append(f"≥ {fmt_value(kpi, target['min'])}")
    if target["max"] is not None:
        parts.append(f"≤ {fmt_value(kpi, target['max'])}")
    text = " and ".join(parts)
    if target.get("by"):
        text += f" by {target['by']}"
    if target["gate_on"] == "interval":
        text += " (interval)"
    return text


def progress_text(outcome: Outcome) -> str:
    """`40% of the way from 60.0; trend +1.2 per 30 days → 66.1 by 2026-06-30: on track`."""
    target = outcome.target
    progress = (target or {}).get("progress")
    if not progress:
        return ""
    kpi = outcome.entry.kpi
    parts = []
    if progress.get("percent") is not None:
        parts.append(
            f"{progress['percent']:.0f}% of the way from {fmt_value(kpi, progress['start'])}"
        )
    if progress.get("projected") is not None:
        verdict = "on track" if progress["on_track"] else "behind"
        trend = f"trend {signed(kpi, progress['trend_per_30_days'])} per 30 days"
        if progress.get("leaves_range_on"):
            parts.append(
                f"{trend} reaches {fmt_value(kpi, progress['projected'])}, the limit of "
                f"the KPI, on {progress['leaves_range_on']} and cannot continue: {verdict}"
            )
        else:
            parts.append(
                f"{trend} → {fmt_value(kpi, progress['projected'])} by {target['by']}: {verdict}"
            )
    elif progress.get("needed_per_30_days") is not None:
        parts.append(
            f"needs {signed(kpi, progress['needed_per_30_days'])} per 30 days "
            "(too little history for a trend)"
        )
    return "; ".join(parts)


def benchmark_text(outcome: Outcome) -> str:
    bench = outcome.benchmark
    if not bench or bench["delta"] is None:
        return ""
    kpi = outcome.entry.kpi
    text = f"{signed(kpi, bench['delta'])} vs benchmark {fmt_value(kpi, bench['value'])}"
    verdict = bench["verdict"]
    if verdict is not None:
        word = {"better": "better", "worse": "worse", "not_significant": "n.s."}[verdict]
        p_value = 1 - bench["p_value"] if verdict == "worse" else bench["p_value"]
        text += f" ({word}, one-tailed p {p_text(p_value)})"
    return text


def row(outcome: Outcome, short_intervals: bool = False, short_changes: bool = False) -> Row:
    kpi, estimate = outcome.entry.kpi, outcome.report.overall.estimate
    ci = None if estimate.ci is None else {"low": estimate.ci[0], "high": estimate.ci[1]}
    change = outcome.report.baseline or outcome.previous
    return Row(
        label=outcome.entry.label,
        scope=scope_text(outcome),
        value=fmt_value(kpi, estimate.value),
        interval=fmt_ci(kpi, ci, short=short_intervals),
        target=target_text(outcome),
        status=outcome.status,
        change=change_text(kpi, change, short=short_changes),
        progress=progress_text(outcome),
        benchmark=benchmark_text(outcome),
    )


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def window_text(start: str, end: str) -> str:
    """A window [start, end) as people name it: 2025, H1 2025, Q2 2025, June 2025, or
    1 Jan 2025 – 15 Mar 2025."""
    first, after = dt.date.fromisoformat(start[:10]), dt.date.fromisoformat(end[:10])
    months = (after.year - first.year) * 12 + after.month - first.month
    if first.day == 1 and after.day == 1:
        if months == 12 and first.month == 1:
            return str(first.year)
        if months == 6 and first.month in (1, 7):
            return f"H{1 + first.month // 7} {first.year}"
        if months == 3 and first.month % 3 == 1:
            return f"Q{1 + first.month // 3} {first.year}"
        if months == 1:
            return first.strftime("%B %Y")
    last = after - dt.timedelta(days=1)
    return f"{_day(first)} – {_day(last)}"


def _day(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def scope_text(outcome: Outcome) -> str:
    """What the headline value covers: a KPI's window, or the rows it read."""
    params = outcome.report.params
    if params.get("from") and params.get("to"):
        text = f"{window_text(params['from'], params['to'])} (whole window)"
    else:
        text = f"all {outcome.report.overall.quality.rows:,} rows"
    if params.get("where"):
        text += " where " + params["where"]
    return text


def generated_text(combined: Combined) -> str:
    """`Generated 2 Dec 2026 from 7 files, 42,388 rows`."""
    inputs = combined.input_summaries()
    files = sum(i["files"] for i in inputs)
    rows = sum(i["rows"] for i in inputs)
    generated = dt.datetime.fromisoformat(combined.generated_at)
    return (
        f"Generated {_day(generated.date())} from {files:,} file{'s' * (files != 1)}, {rows:,} rows"
    )


def grouped(combined: Combined) -> list[tuple[str, list[Outcome]]]:
    """The KPIs under "Leading indicators" then "Lagging indicators", in config order."""
    out = []
    for indicator, title in INDICATOR_TITLES.items():
        members = [o for o in combined.outcomes if o.entry.indicator == indicator]
        if members:
            out.append((title, members))
    return out


def index_text(index: dict[str, Any]) -> str:
    value = index["value"]
    shown = "–" if value is None else f"{value:.1f}"
    parts = ", ".join(
        f"{c['id']} {c['weight']:.0%}" for c in index["components"] if c["score"] is not None
    )
    return f"{index['label']}: {shown} / 100 ({parts})"


def render_summary(combined: Combined, out: TextIO, *, color: bool = False) -> None:
    """The terminal summary: one line per KPI, grouped leading / lagging, then the index. At
    the terminal's width: intervals shorten, then changes, then each KPI's target, status and
    change go under its name, before rich narrows the columns."""
    console = terminal(out, color=color)
    table, _ = fitted(
        console, lambda fold: (_summary_table(combined, fold, color), None), SUMMARY_FOLDS
    )
    console.print(table)
    if combined.index is not None:
        console.print(plain(index_text(combined.index)), markup=False)


def _summary_table(combined: Combined, fold: int, color: bool):
    from rich.table import Table
    from rich.text import Text

    below = fold >= JUDGEMENT_BELOW
    table = Table(
        title=Text(plain(f"{combined.config.title} · {combined.run_date}", newlines=False)),
        title_justify="left",
        show_edge=False,
        header_style="bold",
    )
    table.add_column("KPI" + (": target · status · change" if below else ""))
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("interval", justify="right", no_wrap=True)
    if not below:
        for name in ("target", "status", "change"):
            table.add_column(name, no_wrap=name == "status")
    for title, members in grouped(combined):
        table.add_section()
        table.add_row(Text(title, style="bold"))
        for outcome in members:
            r = row(
                outcome,
                short_intervals=fold >= SHORT_INTERVALS,
                short_changes=fold >= SHORT_CHANGES,
            )
            status = Text(
                STATUS_TEXT[r.status], style=STATUS_STYLES.get(r.status, "") if color else ""
            )
            label = Text(f"  {plain(r.label, newlines=False)}")
            value, interval = Text(r.value), Text(r.interval)
            if below:
                judged = [Text(r.target), status if r.status else Text(), Text(r.change)]
                if any(t.plain for t in judged):
                    label.append("\n    ").append_text(
                        Text(" · ").join(t for t in judged if t.plain)
                    )
                table.add_row(label, value, interval)
            else:
                table.add_row(label, value, interval, Text(r.target), status, Text(r.change))
    return keep_whole(table, "value", "interval")


def failure_reasons(combined: Combined) -> list[str]:
    """One line per KPI that gave no number, then per missed target, for stderr."""
    broken = [
        f"no value: {o.entry.label} ({o.entry.id}): {o.report.failure.message}"
        for o in combined.broken
        if o.report.failure is not None
    ]
    return broken + [
        f"target missed: {o.entry.label} ({o.entry.id}): {o.target['reason']}"
        for o in combined.failures
        if o.target and o.target["status"] == "missed" and not o.broken
    ]
