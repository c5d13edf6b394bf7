"""What a KPI's details list beyond its headline, as plain text every format draws: the
themes of `cx themes`, the drivers of `cx drivers` (overall and per group), the models of
`cx clv --model bgnbd`, the triangle of `cx cohorts` and the quotes of `cx sentiment --score …
--examples N`. The terminal, Markdown and the HTML report escape and lay them out their own
way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..result import Report


@dataclass(frozen=True)
class Listing:
    """A table of details: the first `text` columns are data (the format escapes them), the
    rest cx's own numbers (right-aligned); `kind` names it (a view may draw one its own way)."""

    header: list[str]
    rows: list[list[str]]
    text: int
    kind: str = ""


def listings(details: dict[str, Any]) -> list[Listing]:
    """The listings of a result's details (the whole run's or one group's)."""
    out = []
    if details.get("themes"):
        out.append(themes(details))
    if details.get("drivers"):
        out.append(drivers([({}, details)]))
    if details.get("bgnbd"):
        out += models(details)
    if details.get("cohorts"):
        out.append(cohorts(details))
    return out


def group_listings(groups: list[dict[str, Any]]) -> list[Listing]:
    """The listings across a report's groups: each group's drivers, in one table."""
    grouped = [(g["key"], g["details"]) for g in groups]
    return [drivers(grouped)] if any(d.get("drivers") for _, d in grouped) else []


def themes(details: dict[str, Any]) -> Listing:
    """cx themes: each side's most over-represented terms, with z and the counts."""
    a, b = details["sides"]
    rows = [
        [t["side"], t["term"], f"{t['z']:+.1f}", f"{t['count_a']:,}", f"{t['count_b']:,}"]
        for t in details["themes"]
    ]
    return Listing(["side", "term", "z", f"in {a}", f"in {b}"], rows, 2)


def models(details: dict[str, Any]) -> list[Listing]:
    """cx clv --model bgnbd: the fitted parameters, and the holdout check."""
    bg, gg = details["bgnbd"], details["gamma_gamma"]
    yes = {True: "yes", False: "no"}
    rows = [
        [
            "BG/NBD (weeks)",
            f"r {bg['r']:.3g} · α {bg['alpha']:.4g} · a {bg['a']:.3g} · b {bg['b']:.4g}",
            yes[bg["converged"]],
        ],
        [
            "Gamma-Gamma",
            f"p {gg['p']:.3g} · q {gg['q']:.3g} · γ {gg['gamma']:.4g}",
            yes[gg["converged"]],
        ],
    ]
    out = [Listing(["model", "parameters", "converged"], rows, 3)]
    holdout = details.get("holdout")
    if holdout:

        def error(value: float | None) -> str:
            return "" if value is None else f"{value:+.1f}%"

        rows = [
            [
                "purchases",
                f"{holdout['predicted_purchases']:,.0f}",
                f"{holdout['actual_purchases']:,}",
                error(holdout["purchases_error_pct"]),
            ],
            [
                "revenue",
                f"{holdout['predicted_revenue']:,.2f}",
                f"{holdout['actual_revenue']:,.2f}",
                error(holdout["revenue_error_pct"]),
            ],
        ]
        head = f"holdout {holdout['from']} to {holdout['to']}"
        out.append(Listing([head, "predicted", "actual", "error"], rows, 1))
    return out


def cohorts(details: dict[str, Any]) -> Listing:
    """cx cohorts: a row per cohort, its size and the % retained 0, 1, 2 … periods on."""
    longest = max(len(c["retained"]) for c in details["cohorts"])
    rows = [
        [c["cohort"], f"{c['size']:,}", *(f"{v:.1f}" for v in c["retained"])]
        + [""] * (longest - len(c["retained"]))
        for c in details["cohorts"]
    ]
    return Listing(["cohort", "size", *map(str, range(longest))], rows, 1, "cohorts")


def drivers(groups: list[tuple[dict[str, Any], dict[str, Any]]]) -> Listing:
    """cx drivers: each attribute's importance (% of R²) with its interval, its correlation
    with the outcome and its β; a block of rows per group (its key first)."""
    keys = list(groups[0][0]) if groups else []
    rows = []
    for key, details in groups:
        for d in details.get("drivers") or ():
            low, high = d["ci_low"], d["ci_high"]
            rows.append(
                [
                    *("(missing)" if key[k] is None else str(key[k]) for k in keys),
                    d["attribute"],
                    f"{d['importance']:.1f}%",
                    "" if low is None else f"[{low:.1f}, {high:.1f}]",
                    f"{d['correlation']:+.2f}",
                    f"{d['beta']:+.2f}",
                ]
            )
    header = [*keys, "attribute", "importance", "interval", "r", "β"]
    return Listing(header, rows, len(keys) + 1)


def quotes(report: Report, data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """cx sentiment --score … --examples N: for each group of the best category, its negative
    comments, and of the worst its positive ones: (heading, quotes) each."""
    scorer = getattr(report.kpi, "scorer", None)
    if scorer is None:
        return []
    names = [name for name, _, _ in scorer.categories]
    out = []
    for group in data["groups"]:
        key = group["key"] or {}
        category, said = key.get("category"), group["details"].get("quotes")
        if not said or category not in (names[0], names[-1]):
            continue
        kind = "positive" if category == names[0] else "negative"
        share = group["details"][f"pct_{kind}"]
        where = ", ".join(f"{k} {v}" for k, v in key.items() if k != "category" and v)
        head = f"{where + ': ' if where else ''}{category} answers with {kind} comments"
        if share is not None:
            head += f" ({share:.1f}%)"
        out.append((head, list(said[kind])))
    return out
