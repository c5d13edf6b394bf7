"""The report's headline rows as text — KPI, value, interval, target, status, change — shared
by the terminal summary, the Markdown and the HTML page, and the reasons a target failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..render.text import change_text, fmt_ci, fmt_value

if TYPE_CHECKING:
    from .run import Combined, Outcome

STATUS_TEXT = {
    "failed": "FAILED: data",
    "met": "met",
    "missed": "MISSED",
    "missed_not_significant": "missed (n.s.)",
    "in_progress": "in progress",
    None: "–",
}
INDICATOR_TITLES = {"leading": "Leading indicators", "lagging": "Lagging indicators"}


@dataclass(frozen=True)
class Row:
    label: str
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
        parts.append(
            f"trend {progress['trend_per_30_days']:+.{kpi.decimals}f} per 30 days → "
            f"{fmt_value(kpi, progress['projected'])} by {target['by']}: {verdict}"
        )
    elif progress.get("needed_per_30_days") is not None:
        parts.append(
            f"needs {progress['needed_per_30_days']:+.{kpi.decimals}f} per 30 days "
            "(too little history for a trend)"
        )
    return "; ".join(parts)


def benchmark_text(outcome: Outcome) -> str:
    bench = outcome.benchmark
    if not bench or bench["delta"] is None:
        return ""
    kpi = outcome.entry.kpi
    text = f"{bench['delta']:+.{kpi.decimals}f} vs benchmark {fmt_value(kpi, bench['value'])}"
    verdict = bench["verdict"]
    if verdict is not None:
        word = {"better": "better", "worse": "worse", "not_significant": "n.s."}[verdict]
        p_value = 1 - bench["p_value"] if verdict == "worse" else bench["p_value"]
        text += f" ({word}, one-tailed p={p_value:.3f})"
    return text


def row(outcome: Outcome) -> Row:
    kpi, estimate = outcome.entry.kpi, outcome.report.overall.estimate
    ci = None if estimate.ci is None else {"low": estimate.ci[0], "high": estimate.ci[1]}
    change = outcome.report.baseline or outcome.previous
    return Row(
        label=outcome.entry.label,
        value=fmt_value(kpi, estimate.value),
        interval=fmt_ci(kpi, ci),
        target=target_text(outcome),
        status=outcome.status,
        change=change_text(kpi, change),
        progress=progress_text(outcome),
        benchmark=benchmark_text(outcome),
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
    """The terminal summary: one line per KPI, grouped leading / lagging, then the index."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, force_terminal=color, no_color=not color, width=160)
    styles = {
        "met": "green",
        "missed": "bold red",
        "missed_not_significant": "yellow",
        "failed": "bold red",
    }
    table = Table(title=f"{combined.config.title} · {combined.run_date}", title_justify="left")
    for name in ("KPI", "value", "interval", "target", "status", "change"):
        table.add_column(name, justify="right" if name in ("value", "interval") else "left")
    for title, members in grouped(combined):
        table.add_row(f"[bold]{title}[/bold]" if color else title, *[""] * 5)
        for outcome in members:
            r = row(outcome)
            status = STATUS_TEXT[r.status]
            if color and r.status in styles:
                status = f"[{styles[r.status]}]{status}[/]"
            table.add_row(f"  {r.label}", r.value, r.interval, r.target, status, r.change)
    console.print(table)
    if combined.index is not None:
        console.print(index_text(combined.index))


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
