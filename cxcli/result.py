"""One KPI's result as data: quality accounting, per-group results, gates, and the JSON model
(`Report.to_dict`, schema_version 1) that every renderer formats."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import __version__
from .definition import Estimate, Kpi
from .errors import CxError, UsageError
from .source import Input

if TYPE_CHECKING:
    from .changes import GroupTests

SCHEMA_VERSION = 1
MAX_EXAMPLES = 5


@dataclass(slots=True)
class Quality:
    """Row accounting: rows == used + missing + invalid, with the first invalid values."""

    rows: int = 0
    used: int = 0
    missing: int = 0
    invalid: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    limit: int = MAX_EXAMPLES

    def add(self, used: int, missing: int, invalid: int) -> None:
        self.used += used
        self.missing += missing
        self.invalid += invalid
        self.rows += used + missing + invalid

    def add_examples(self, examples: list[dict[str, Any]]) -> None:
        self.examples.extend(examples[: self.limit - len(self.examples)])

    @property
    def room(self) -> int:
        return self.limit - len(self.examples)

    def merge(self, other: Quality) -> Quality:
        merged = Quality(limit=self.limit)
        merged.add(
            self.used + other.used, self.missing + other.missing, self.invalid + other.invalid
        )
        merged.add_examples(self.examples + other.examples)
        return merged

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "used": self.used,
            "missing": self.missing,
            "invalid": self.invalid,
            "invalid_examples": list(self.examples),
        }


@dataclass
class Result:
    """The KPI over all rows, or over one group (`key` maps --by columns and `period`)."""

    estimate: Estimate
    quality: Quality
    key: dict[str, Any] | None = None
    change: dict[str, Any] | None = None
    has_change: bool = False
    too_small: bool | None = None  # set when --min-n is given
    # "segment" for a period of a windowed KPI: its quality counts the segment's every row (a
    # customer is in each period they were a customer), so periods do not add up
    rows_of: str | None = None

    def to_dict(self, confidence: float) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.key is not None:
            out["key"] = dict(self.key)
        e = self.estimate
        out["value"] = e.value
        out["n"] = e.n
        out["ci"] = None if e.ci is None else {"level": confidence, "low": e.ci[0], "high": e.ci[1]}
        out["details"] = dict(e.details)
        out["quality"] = self.quality.to_dict()
        if self.rows_of is not None:
            out["quality"]["rows_of"] = self.rows_of
        if self.has_change:
            out["change"] = self.change
        if self.too_small is not None:
            out["too_small"] = self.too_small
        if self.key is not None and e.notes:
            out["notes"] = list(e.notes)
        return out


@dataclass(frozen=True)
class Gate:
    """`--min` / `--max`: on the value, or (`on="interval"`) only when the whole interval misses."""

    min: float | None = None
    max: float | None = None
    on: str = "value"
    groups: bool = False
    names: tuple[str, str] = ("--min", "--max")  # how reasons name the bounds

    def __post_init__(self) -> None:
        for name, bound in zip(self.names, (self.min, self.max), strict=True):
            if bound is not None and not math.isfinite(bound):
                raise UsageError(f"{name} {bound}: a gate needs a finite number")

    @property
    def active(self) -> bool:
        return self.min is not None or self.max is not None

    def status(self, estimate: Estimate) -> tuple[str, str | None]:
        """("met" | "missed" | "missed_not_significant", reason when not met)."""
        value = estimate.value
        if value is None:
            return "missed", "no value to check (no valid rows)"
        low, high = estimate.ci if estimate.ci else (value, value)
        for bound, below in ((self.min, True), (self.max, False)):
            if bound is None:
                continue
            missed = value < bound if below else value > bound
            if not missed:
                continue
            word = f"below {self.names[0]}" if below else f"above {self.names[1]}"
            reason = f"{value:.4g} {word} {bound:g}"
            wholly = high < bound if below else low > bound
            if self.on == "interval" and not wholly:
                return "missed_not_significant", reason + " (interval overlaps the bound)"
            return "missed", reason
        return "met", None

    def check(self, overall: Result, groups: Sequence[Result]) -> dict[str, Any]:
        status, reason = self.status(overall.estimate)
        failures = [] if status != "missed" else [{"key": None, "reason": reason}]
        if self.groups:
            for group in groups:
                g_status, g_reason = self.status(group.estimate)
                if g_status == "missed":
                    failures.append({"key": group.key, "reason": g_reason})
        return {
            "min": self.min,
            "max": self.max,
            "gate_on": self.on,
            "groups": self.groups,
            "status": status,
            "passed": not failures,
            "failures": failures,
        }


@dataclass
class Report:
    """One KPI over one input: the headline, the groups, and where the rows went."""

    kpi: Kpi
    overall: Result
    groups: Sequence[Result]  # finalized when read: a run may have a million
    params: dict[str, Any]
    inputs: list[Input]
    confidence: float
    filtered_out: int = 0
    notes: list[str] = field(default_factory=list)
    gate: dict[str, Any] | None = None
    ranking: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    failure: CxError | None = None  # too many invalid values: no number is given
    spread: list[tuple[float, float]] | None = None  # Kpi.spread of the whole: for pictures
    tests: GroupTests | None = None  # the groups' change tests (adjusted with the run's)
    adjusted: tuple[int, str] | None = None  # (tests adjusted together, method)
    accumulator: Any = None  # the merged partial states it was finalised from (--emit-state)
    query: Any = None  # the run's planning.Query
    plans: Any = None  # the planning.Plan of each input

    @property
    def value(self) -> float | None:
        return self.overall.estimate.value

    def group_dicts(self) -> Iterator[dict[str, Any]]:
        """The groups as JSON-ready dicts, one at a time (a report may have millions)."""
        for group in self.groups:
            yield group.to_dict(self.confidence)

    def _adjusted_note(self) -> list[str]:
        if self.adjusted is None or self.adjusted[0] < 2:
            return []
        from .changes import adjusted_note

        return [adjusted_note(*self.adjusted, self.confidence)]

    def to_dict(self, groups: bool = True) -> dict[str, Any]:
        """The JSON model; `groups=False` leaves `groups` empty (renderers stream them)."""
        overall = self.overall.to_dict(self.confidence)
        quality = overall["quality"]
        quality["filtered_out"] = self.filtered_out
        quality["skipped_lines"] = sum(i.skipped for i in self.inputs)
        quality["skipped_examples"] = [
            {"row": row, "file": i.path} for i in self.inputs for row in i.skipped_rows
        ][:MAX_EXAMPLES]
        return {
            "schema_version": SCHEMA_VERSION,
            "kpi": self.kpi.name,
            "title": self.kpi.title,
            "definition": self.kpi.definition,
            "unit": self.kpi.value_unit,
            "higher_is_better": self.kpi.higher_is_better,
            "value": overall["value"],
            "n": overall["n"],
            "ci": overall["ci"],
            "details": overall["details"],
            "quality": quality,
            "groups": list(self.group_dicts()) if groups else [],
            "params": self.params,
            "inputs": [i.to_dict() for i in self.inputs],
            "gate": self.gate,
            "ranking": self.ranking,
            "baseline": self.baseline,
            "notes": list(self.overall.estimate.notes) + self.notes + self._adjusted_note(),
            "failed": None if self.failure is None else {"reason": self.failure.message},
            "cx_version": __version__,
        }
