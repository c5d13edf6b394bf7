"""Average Resolution Time (ART).

Resolution time = `--resolved` − `--created`. A ticket with no resolution time is still open:
a used row, censored at `--as-of` (default: the latest creation or resolution time in the data,
as JSON's `details.as_of` says); with an explicit `--as-of`, a ticket resolved later is open
then and one created later is left out (`created_after_as_of`). A ticket resolved before it was
created is invalid, and so is one more than 10 years after it (LONGEST_RESOLUTION_US: a
`9999-12-31` "never" sentinel is not a resolution time). Times may be dates, naive timestamps
(UTC, or `--tz`) or carry an offset.

`--method mean` (default, `art.mean`): the mean resolution time in seconds of the resolved
tickets (exact), which open tickets bias low — so the details always give how many are open
and how old, the Kaplan–Meier median beside the mean, and a note when the open share is large
enough to matter. `--method km` (`art.km`): the Kaplan–Meier median, open tickets counted as
censored (see survival.py), with its interval, p90 and the restricted mean; periods are
compared with the log-rank test. Details: median, p90 and `--quantiles` (exact; duration.py).

>>> Art().compute({"created": ["2025-01-01T00:00:00Z", "2025-01-01"],
...                "resolved": ["2025-01-01T02:00:00+01:00", None]}).value
3600.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Role, option
from ..errors import UsageError
from ..periods import parse_date
from ..registry import register
from ..stats import Test
from ..survival import Curve, kaplan_meier, logrank, quantile, quantile_interval, restricted_mean
from ..units import fmt_duration
from ..windows import iso_time
from .duration import US, DurationKpi, DurationState, parse_quantiles, quantile_label
from .tickets import TIME_ALIASES, UNRESOLVED, unresolved_as_value

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

LONGEST_RESOLUTION_US = round(10 * 365.25 * 86400) * US

CREATED = Role(
    "created",
    "created_at",
    (
        *("created", "opened", "opened_at", "open_date", "created_date", "created_time"),
        *("submitted_at", "reported_at"),
    ),
    "ticket creation times",
    kind="time",
)
RESOLVED = Role(
    "resolved",
    "resolved_at",
    (
        *("resolved", "closed", "closed_at", "solved_at", "resolved_date", "close_date", "solved"),
        *("resolved_time", "closed_time"),
    ),
    "ticket resolution times (empty = unresolved)",
    kind="time",
)


METHODS = ("mean", "km")
OPEN_LIMIT = 1 << 16  # distinct creation times of open tickets kept before coarsening
PENDING_LIMIT = 1 << 19  # open tickets gathered (4 MB) before they are folded in
OPEN_NOTE_SHARE = 0.05  # from this share of open tickets the mean gets a note
OPEN_NOTE_GAP = 0.05  # or when the KM median is this much above the resolved tickets' one


@dataclass
class OpenTickets:
    """Creation times (µs) of open tickets as distinct (time, count) pairs, floored to
    `resolution` µs: exact (1 µs) up to OPEN_LIMIT distinct times, then 1 s, 2 s, 4 s …, so
    memory stays flat; ages are then overstated by less than `resolution`."""

    times: np.ndarray | None = None
    counts: np.ndarray | None = None
    resolution: int = 1
    pending: list[tuple[np.ndarray, np.ndarray | None]] = field(default_factory=list)
    waiting: int = 0

    def add(self, created: np.ndarray, counts: np.ndarray | None = None) -> None:
        """Times of open tickets (each once, or `counts` times)."""
        if created.size:
            self.pending.append((created, counts))
            self.waiting += created.size
            if self.waiting > PENDING_LIMIT:
                self.fold()

    def fold(self) -> OpenTickets:
        """Fold pending times into the pairs: exact while they are few enough, else floored
        to the finest resolution (1 s × 2^k) that keeps them within OPEN_LIMIT."""
        import numpy as np

        parts = [(t, np.ones(t.size, np.int64) if c is None else c) for t, c in self.pending]
        if self.times is not None:
            parts.append((self.times, self.counts))
        self.pending, self.waiting = [], 0
        if not parts:
            return self
        times = np.concatenate([t for t, _ in parts])
        counts = np.concatenate([c for _, c in parts])
        if self.resolution == 1:
            distinct, where = np.unique(times, return_inverse=True)
            if distinct.size > OPEN_LIMIT:
                span = int(distinct[-1]) - int(distinct[0])
                self.resolution = US
                while span // self.resolution + 1 > OPEN_LIMIT:
                    self.resolution *= 2
        if self.resolution > 1:
            floored = times // self.resolution * self.resolution
            distinct, where = np.unique(floored, return_inverse=True)
        self.times = distinct
        self.counts = np.bincount(where, weights=counts, minlength=distinct.size).astype(np.int64)
        return self

    def merged(self, other: OpenTickets) -> OpenTickets:
        out = OpenTickets(resolution=max(self.resolution, other.resolution))
        for part in (self, other):
            for times, counts in part.pending:
                out.add(times, counts)
            if part.times is not None:
                out.add(part.times, part.counts)
        return out.fold()

    @property
    def count(self) -> int:
        self.fold()
        return 0 if self.counts is None else int(self.counts.sum())

    def ages(self, as_of: int) -> tuple[np.ndarray, np.ndarray]:
        """(ages in seconds at `as_of`, counts) of the tickets created by then."""
        import numpy as np

        self.fold()
        if self.times is None:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        made = self.times <= as_of
        return (as_of - self.times[made]) / US, self.counts[made]


@dataclass
class TicketState(DurationState):
    """The resolved tickets' durations, the open tickets, the latest time seen, and the
    tickets created after an explicit --as-of."""

    open: OpenTickets = field(default_factory=OpenTickets)
    latest: int | None = None

    def merged(self, other: DurationState) -> TicketState:
        assert isinstance(other, TicketState)
        durations = DurationState.merged(self, other)
        latest = [t for t in (self.latest, other.latest) if t is not None]
        return TicketState(
            **{f.name: getattr(durations, f.name) for f in fields(DurationState)},
            open=self.open.merged(other.open),
            latest=max(latest) if latest else None,
        )


@register
@dataclass(frozen=True)
class Art(DurationKpi):
    """Mean time from ticket creation to resolution, with median and p90."""

    name = "art"
    invalid_rule = (
        "a resolution time is invalid when it is before the creation time or more than 10 years "
        "after it (a 9999-12-31 'never' is no resolution)"
    )
    title = "Average Resolution Time"
    roles = (CREATED, RESOLVED)
    time_role = "created"  # periods and --since/--until go by creation time by default
    time_aliases = TIME_ALIASES
    examples = (
        "cx art tickets.csv --created Opened --resolved Closed",
        "cx art tickets.parquet --by queue --period month --quantiles 0.5,0.9,0.99",
        "cx art tickets.csv --tz Europe/Berlin --since -30d --time created_at --max 86400",
    )

    method: str = option(
        "mean", "mean: of resolved tickets; km: Kaplan-Meier median", choices=METHODS
    )
    as_of: str | None = option(
        None, "when open tickets are measured (ISO time, UTC; default: the latest in the data)"
    )
    settled_as_of: int | None = field(default=None, metadata={"cli": False})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.method not in METHODS:
            raise UsageError(f"--method {self.method!r}: use one of {', '.join(METHODS)}")
        if self.as_of is not None:
            parse_date(self.as_of, "--as-of")

    @property
    def definition(self) -> str:
        return f"art.{self.method}"

    @property
    def explicit_as_of(self) -> int | None:
        return None if self.as_of is None else parse_date(self.as_of, "--as-of")

    def init(self) -> TicketState:
        return TicketState()

    def settle(self, state: TicketState) -> Art:
        as_of = self.explicit_as_of
        return replace(self, settled_as_of=as_of if as_of is not None else state.latest)

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        from ..times import parse_times

        created = parse_times(columns["created"], times, "created")
        resolved = parse_times(columns["resolved"], times, "resolved")
        resolved = unresolved_as_value(resolved, created, LONGEST_RESOLUTION_US)
        return {"created": created, "resolved": resolved}

    def update(self, state: TicketState, values: Mapping[str, np.ndarray]) -> TicketState:
        import numpy as np

        created, resolved = values["created"], values["resolved"]
        if created.size == 0:
            return state
        done = resolved != UNRESOLVED
        latest = []  # of the resolutions and the open tickets' creations (the latest time)
        as_of = self.explicit_as_of
        if as_of is not None:  # as things stood then
            later = created > as_of
            state.count("created_after_as_of", int(later.sum()))
            latest.append(int(created.max()))
            done &= ~later & (resolved <= as_of)
            still_open = ~done & ~later
        else:
            still_open = ~done
        opened = created[still_open]
        state.count("unresolved", opened.size)
        state.open.add(opened)
        if opened.size:
            latest.append(int(opened.max()))
        ends = resolved[done]
        if ends.size:
            latest.append(int(ends.max()))
        if latest:
            top = max(latest)
            state.latest = top if state.latest is None else max(state.latest, top)
        state.add(((ends - created[done]) / 1e6).astype(np.float64))
        return state

    def curve(self, state: TicketState) -> Curve:
        """The Kaplan–Meier curve of the state, open tickets censored at the as-of time."""
        import numpy as np

        events, counts = state.distinct()
        as_of = self.settled_as_of
        ages, open_counts = (
            state.open.ages(as_of) if as_of is not None else (np.zeros(0), np.zeros(0, np.int64))
        )
        return kaplan_meier(events, counts, ages, open_counts)

    def finalize(self, state: TicketState, confidence: float = 0.95) -> Estimate:
        estimate = self.duration_details(state, confidence)
        details = estimate.details
        details["resolved"] = state.n
        open_count = state.counters.get("unresolved", 0)
        details["unresolved"] = open_count
        as_of = self.settled_as_of
        details["as_of"] = None if as_of is None else iso_time(as_of)
        details["as_of_from"] = "--as-of" if self.as_of is not None else "latest time in the data"
        if self.as_of is not None:
            details["created_after_as_of"] = state.counters.get("created_after_as_of", 0)
        ages, counts = state.open.ages(as_of) if as_of is not None else (None, None)
        details["open"] = {
            "count": open_count,
            "share": open_count / (open_count + state.n) if open_count + state.n else None,
            "median_age": _weighted_median(ages, counts) if open_count else None,
            "oldest_age": float(ages.max()) if open_count and ages.size else None,
            "age_resolution": state.open.resolution / US,
        }
        curve = self.curve(state)
        median = quantile(curve, 0.5) if curve.subjects else None
        low, high = quantile_interval(curve, 0.5, confidence) if curve.subjects else (None, None)
        details["km"] = {
            "median": median,
            "median_ci": [low, high],
            "p90": quantile(curve, 0.9) if curve.subjects else None,
            "restricted_mean": restricted_mean(curve) if curve.subjects else None,
            "restricted_to": curve.last_time if curve.subjects else None,
            "quantiles": {
                quantile_label(p): quantile(curve, p) if curve.subjects else None
                for p in parse_quantiles(self.quantiles)
            },
            "ci_method": "log-log (exponential Greenwood), Brookmeyer-Crowley",
        }
        notes = list(estimate.notes)
        if self.method == "km":
            return self._km_estimate(estimate, curve, details, notes)
        share = details["open"]["share"]
        biased = (
            median is not None
            and details["median"]
            and (median > (1 + OPEN_NOTE_GAP) * details["median"])
        )
        if open_count and state.n and (share >= OPEN_NOTE_SHARE or biased):
            km_text = "not reached" if median is None else fmt_duration(median)
            tickets = "1 ticket is" if open_count == 1 else f"{open_count:,} tickets are"
            notes.append(
                f"{tickets} still open ({100 * share:.1f}%, median age "
                f"{fmt_duration(details['open']['median_age'])}): the mean of the resolved ones "
                f"understates resolution time; the Kaplan–Meier median counting them is "
                f"{km_text} against {fmt_duration(details['median'])} — --method km counts them"
            )
        return replace(estimate, notes=tuple(notes))

    def _km_estimate(
        self, estimate: Estimate, curve: Curve, details: dict[str, Any], notes: list[str]
    ) -> Estimate:
        km = details["km"]  # the quantiles follow the method; the mean stays the resolved's
        details.update(
            median=km["median"], median_ci=km["median_ci"], p90=km["p90"], quantiles=km["quantiles"]
        )
        if curve.subjects == 0:
            return replace(estimate, value=None, ci=None, notes=tuple(notes))
        if km["median"] is None:
            notes.append(
                "the Kaplan–Meier median is not reached: fewer than half the tickets are "
                "resolved yet"
            )
        low, high = km["median_ci"]
        ci = None if low is None or high is None else (low, high)
        if km["median"] is not None and ci is None:
            notes.append("the median's interval is open-ended: too few resolved tickets")
        return Estimate(km["median"], curve.subjects, ci, details, tuple(notes))

    def compare(self, before: TicketState, after: TicketState, confidence: float) -> Test | None:
        if self.method == "mean":
            return super().compare(before, after, confidence)
        if not isinstance(before, TicketState):  # from a previous report: no curve in it
            return None
        tested = logrank(self.curve(before), self.curve(after), confidence)
        return None if tested is None else Test(tested[0], tested[1], "logrank")

    def from_result(self, result: Mapping[str, Any]) -> DurationState | None:
        return super().from_result(result) if self.method == "mean" else None


def _weighted_median(values: np.ndarray, counts: np.ndarray) -> float | None:
    import numpy as np

    if values is None or not values.size:
        return None
    order = np.argsort(values)
    reached = np.cumsum(counts[order])
    return float(values[order][np.searchsorted(reached, math.ceil(reached[-1] / 2))])
