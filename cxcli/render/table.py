"""The terminal view (rich): headline with interval, distribution bars, data quality, groups
with change flags, and a sparkline trend per segment for period series."""

from __future__ import annotations

from typing import Any, TextIO

from rich import box
from rich.table import Table
from rich.text import Text

from ..escape import plain
from ..result import Report
from ..units import fmt_duration
from .console import (
    FULL,
    QUALITY_FOOTNOTE,
    SHORT_CHANGES,
    SHORT_INTERVALS,
    fitted,
    keep_whole,
    terminal,
)
from .listings import Listing, group_listings, listings, quotes
from .text import (
    change_text,
    fmt_ci,
    fmt_number,
    fmt_value,
    hidden_note,
    quality_text,
    segment_rows_note,
    shown,
)

_SPARKS = "▁▂▃▄▅▆▇█"
_BAR = 30
QUALITY_LISTED = 10  # groups named in the missing / invalid footnote of a folded table
TREND_POINTS = 12  # periods a folded trend table draws
TREND_FOLDS = (FULL, SHORT_INTERVALS)  # the trend table folds once: see _trend_table


def clean(value: Any, missing: str = "(missing)") -> Text:
    """Data as inert text: no rich markup, no terminal control sequences."""
    if value is None:
        return Text(missing, style="dim")
    return Text(plain(str(value)))


def _bar(share: float | None, style: str) -> Text:
    width = 0 if share is None else round(share / 100 * _BAR)
    return Text("█" * width, style=style)


def sparkline(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else _SPARKS[round((v - low) / span * (len(_SPARKS) - 1))] for v in values
    )


def _distribution(data: dict[str, Any]) -> Table:
    details = data["details"]
    grid = Table.grid(padding=(0, 2))
    categories = {
        "pct_promoters": [
            ("Promoters (9-10)", "promoters", "green"),
            ("Passives (7-8)", "passives", "yellow"),
            ("Detractors (0-6)", "detractors", "red"),
        ],
        "pct_positive": [  # cx sentiment: VADER's compound ≥ 0.05, between, ≤ −0.05
            ("Positive", "positive", "green"),
            ("Neutral", "neutral", "yellow"),
            ("Negative", "negative", "red"),
        ],
    }
    rows = next((rows for key, rows in categories.items() if key in details), None)
    if rows is not None:
        for label, name, style in rows:
            share = details[f"pct_{name}"]
            grid.add_row(
                label,
                f"{details[name]:>7,}",
                "" if share is None else f"{share:5.1f}%",
                _bar(share, style),
            )
        return grid
    counts = details.get("distribution") or {}
    total = sum(counts.values())
    for score, count in counts.items():
        share = 100 * count / total if total else None
        grid.add_row(
            f"score {score}",
            f"{count:>7,}",
            "" if share is None else f"{share:5.1f}%",
            _bar(share, "cyan"),
        )
    return grid


FLATTENED = ("count", "share", "median_age", "median", "p90", "restricted_mean")


def _details_text(report: Report, data: dict[str, Any]) -> str:
    """Single-number details not already drawn as bars (mean, sd, pct_easy, index …)."""
    shown = {"promoters", "passives", "detractors", "pct_promoters", "pct_passives"}
    shown |= {"pct_detractors", "positive", "neutral", "negative", "pct_positive"}
    shown |= {"pct_neutral", "pct_negative", "themes", "drivers", "r_squared"}
    details = dict(data["details"])
    quantiles = details.pop("quantiles", None) or {}
    details.update({k: v for k, v in quantiles.items() if k not in ("p50", "p90")})
    for name in ("open", "km"):  # ART's open tickets and Kaplan–Meier summary, flattened
        nested = details.pop(name, None)
        wanted = FLATTENED  # under art.km the median and p90 above are already the curve's
        if name == "km" and data["definition"] == "art.km":
            wanted = ("restricted_mean",)
        if isinstance(nested, dict):
            details.update({f"{name}_{k}": v for k, v in nested.items() if k in wanted})
    parts = []
    for name, value in details.items():
        if name in shown or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if name.endswith("share"):
            text = f"{100 * value:.1f}%"
        elif isinstance(value, int):
            text = f"{value:,}"
        elif report.kpi.value_unit == "seconds":
            text = fmt_duration(value)
        else:
            text = fmt_number(value)
        parts.append(f"{name} {text}")
    return " · ".join(parts)


def render_table(report: Report, out: TextIO, *, color: bool = False) -> None:
    console = terminal(out, color=color)
    kpi = report.kpi
    data, hidden = shown(report)
    headline = Text()
    headline.append(f"{plain(data['title'])} ", style="bold")
    headline.append(f"({data['definition']})", style="dim")
    console.print(headline)
    value = Text(fmt_value(kpi, data["value"]), style="bold cyan")
    if data["ci"]:
        level = round(data["ci"]["level"] * 100, 1)
        value.append(f"   {level:g}% CI {fmt_ci(kpi, data['ci'])}", style="")
    value.append(f"   n = {data['n']:,}")
    if data["params"].get("from"):
        value.append(f"   window [{data['params']['from']}, {data['params']['to']})", style="dim")
    console.print(value)
    if data.get("baseline"):
        console.print(Text(change_text(kpi, data["baseline"]) or "no baseline comparison"))
    if "distribution" in data["details"]:
        console.print()
        console.print(_distribution(data))
    for listing in listings(data["details"]):
        console.print()
        if listing.kind == "cohorts":
            table, note = _cohort_table(data["details"]["cohorts"], console.width)
            console.print(table)
            if note:
                console.print(note, style="dim")
        else:
            console.print(_listing_table(listing))
    details = _details_text(report, data)
    if details:
        console.print(Text("Details: ", style="bold").append(details))
    console.print()
    console.print(Text("Data quality: ", style="bold").append(clean(quality_text(data["quality"]))))
    for note in data["notes"]:
        console.print(Text("note: ", style="yellow").append(clean(note)))
    if data.get("ranking"):
        console.print()
        for title in ("best", "worst"):
            console.print(_ranking_table(report, data, title))
    elif data["groups"]:
        console.print()
        table, footnotes = fitted(console, lambda fold: _groups_table(report, data, fold))
        console.print(table)
        for footnote in footnotes:
            console.print(footnote, style="dim")
        if hidden:
            console.print(Text(hidden_note(hidden), style="dim"))
        if data["params"].get("period"):
            trend = fitted(console, lambda fold: _trend_table(report, data, fold), TREND_FOLDS)
            if trend[0] is not None:
                console.print(trend[0])
        for line in _quote_lines(report, data):
            console.print(line)
        for listing in group_listings(data["groups"]):
            console.print()
            console.print(_listing_table(listing))


def _listing_table(listing: Listing) -> Table:
    """A listing (themes, drivers) as a rich table: its data as inert text."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, name in enumerate(listing.header):
        table.add_column(clean(name), justify="left" if i < listing.text else "right")
    for row in listing.rows:
        table.add_row(*(clean(c) if i < listing.text else c for i, c in enumerate(row)))
    return table


COHORT_CELL = 6  # a cohort table's cell: "100", its padding and room for rich


def _cohort_table(cohorts: list[dict[str, Any]], width: int) -> tuple[Table, str | None]:
    """cx cohorts: the triangle, each cell the % retained shaded by its size, as many periods
    as the terminal has room for."""
    longest = max(len(c["retained"]) for c in cohorts)
    label = max(6, *(len(c["cohort"]) for c in cohorts))
    size = max(4, *(len(f"{c['size']:,}") for c in cohorts))
    fits = max(2, (width - label - size - 4) // COHORT_CELL)
    shown = min(longest, fits)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    table.add_column("cohort", min_width=label, no_wrap=True)
    table.add_column("size", justify="right", min_width=size, no_wrap=True)
    for k in range(shown):
        table.add_column(str(k), justify="right", min_width=3)
    for cohort in cohorts:
        cells = []
        for value in cohort["retained"][:shown]:
            shade = 232 + round(value / 100 * 12)  # the grey ramp: darker is fewer retained
            cells.append(Text(f"{value:.0f}", style=f"black on color({shade + 11})"))
        cells += [""] * (shown - len(cells))
        table.add_row(clean(cohort["cohort"]), f"{cohort['size']:,}", *cells)
    note = None
    if shown < longest:
        note = f"periods {shown}-{longest - 1} not shown: --format json or markdown has them"
    return table, note


def _quote_lines(report: Report, data: dict[str, Any]) -> list[Text]:
    """cx sentiment --score … --examples N: the quotes under their headings."""
    lines: list[Text] = []
    for head, said in quotes(report, data):
        lines += (
            [Text(), Text(plain(head), style="bold")]
            if not lines
            else [Text(plain(head), style="bold")]
        )
        lines.extend(Text(f"  “{plain(q)}”") for q in said)
    return lines


def _groups_table(report: Report, data: dict[str, Any], fold: int = FULL) -> tuple[Table, list]:
    """The groups at `fold` (console.FOLDS), with the footnotes that fold needs."""
    kpi = report.kpi
    keys = list(data["groups"][0]["key"])
    has_change = any("change" in g for g in data["groups"])
    quality_column = fold < QUALITY_FOOTNOTE
    table = Table(show_edge=False, header_style="bold")
    for key in keys:
        table.add_column(clean(key))
    table.add_column("value", justify="right")
    table.add_column("interval", justify="right")
    table.add_column("n", justify="right")
    if has_change:
        table.add_column("change")
    if quality_column:
        table.add_column("missing / invalid", justify="right")
    counted = []
    for group in data["groups"]:
        cells: list[Any] = [
            clean(group["key"][k], "(no valid time)" if k == "period" else "(missing)")
            for k in keys
        ]
        cells += [
            Text(fmt_value(kpi, group["value"]), style="bold"),
            fmt_ci(kpi, group["ci"], short=fold >= SHORT_INTERVALS),
            f"{group['n']:,}",
        ]
        if has_change:
            change = group.get("change")
            text = change_text(kpi, change, short=fold >= SHORT_CHANGES)
            style = ""
            if change and change.get("significant") and change.get("delta"):
                improved = (change["delta"] > 0) == kpi.higher_is_better
                style = "green" if improved else "red"
            cells.append(Text(text, style=style))
        quality = group["quality"]
        counts = f"{quality['missing']:,} / {quality['invalid']:,}"
        if quality_column:
            cells.append(counts)
        elif quality["missing"] or quality["invalid"]:
            counted.append(f"{' '.join(plain(str(group['key'][k])) for k in keys)}: {counts}")
        if group.get("too_small"):
            cells[len(keys) + 2] = Text(f"{group['n']:,} (too small)", style="dim")
        table.add_row(*cells)
    footnotes = []
    rows_note = segment_rows_note(data["groups"])
    if rows_note:
        footnotes.append(Text(rows_note))
    if not quality_column:
        listed = "; ".join(counted[:QUALITY_LISTED]) or "none"
        more = f"; {len(counted) - QUALITY_LISTED:,} more" if len(counted) > QUALITY_LISTED else ""
        footnotes.append(Text(f"missing / invalid: {listed}{more}"))
    if has_change and fold >= SHORT_CHANGES:
        footnotes.append(
            Text("change: vs the previous period or baseline; --format json has each test")
        )
    return keep_whole(table, "value", "interval", "n"), footnotes


def _ranking_table(report: Report, data: dict[str, Any], which: str) -> Table:
    ranking = data["ranking"]
    caption = None
    if which == "worst" and ranking["too_small"]:
        caption = f"{ranking['too_small']} groups below --min-n are not ranked"
    table = Table(
        show_edge=False,
        header_style="bold",
        title=f"{which.capitalize()} {ranking['top']}",
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    keys = list(data["groups"][0]["key"]) if data["groups"] else []
    for key in keys:
        table.add_column(clean(key))
    table.add_column("value", justify="right")
    table.add_column("n", justify="right")
    for entry in ranking[which]:
        table.add_row(
            *[clean(entry["key"][k]) for k in keys],
            Text(fmt_value(report.kpi, entry["value"]), style="bold"),
            f"{entry['n']:,}",
        )
    return keep_whole(table, "value", "n")


def _trend_table(
    report: Report, data: dict[str, Any], fold: int = FULL
) -> tuple[Table | None, None]:
    """Each segment's series as a sparkline; folded, without the periods column and with the
    last TREND_POINTS periods only."""
    by = data["params"].get("by") or []
    series: dict[tuple, list[tuple[str, float | None]]] = {}
    for group in data["groups"]:
        if group["key"]["period"] is None:
            continue
        segment = tuple(group["key"][k] for k in by)
        series.setdefault(segment, []).append((group["key"]["period"], group["value"]))
    if not series:
        return None, None
    folded = fold > FULL
    title = "Trend"
    cut = folded and max(len(p) for p in series.values()) > TREND_POINTS
    if cut:
        series = {k: v[-TREND_POINTS:] for k, v in series.items()}
    spans = {(points[0][0], points[-1][0]) for points in series.values()}
    if folded and len(spans) == 1:
        first, last = spans.pop()
        title += f", {first} … {last}" if first != last else f", {first}"
    if cut:
        title += f" (the last {TREND_POINTS} periods)"
    table = Table(show_edge=False, header_style="bold", title=title, title_justify="left")
    for key in by:
        table.add_column(clean(key))
    if not folded:
        table.add_column("periods")
    table.add_column("trend")
    table.add_column("first → last", justify="right")
    for segment, points in series.items():
        values = [v for _, v in points]
        first, last = points[0], points[-1]
        periods = [f"{first[0]} … {last[0]}" if len(points) > 1 else first[0]]
        table.add_row(
            *[clean(s) for s in segment],
            *([] if folded else periods),
            sparkline(values),
            f"{fmt_value(report.kpi, first[1])} → {fmt_value(report.kpi, last[1])}",
        )
    return keep_whole(table, "first → last"), None
