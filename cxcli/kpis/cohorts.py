"""Cohort retention tables: for the customers who started in each period, the share still
active 0, 1, 2 … periods later (`--period week|month|quarter`, default month).

From a roster (`--id`, `--start`, `--end`; a customer's cohort is the period of their first
start): the share of the cohort active at the end of each period — some subscription started
before the period's end and not ended by then (an end on the period's last day is not active
at its end), so a customer who churned in their start period is not retained even at 0, and one
who came back is counted again. From events (`--user`, `--time`; the cohort is the period of
the first event): the share of the cohort with an event in each period (0 is 100%). Periods run
to the last complete one: the one the latest date in the data ends (rows after it are read, the
period they start is left out).

Counts are exact; the state keeps distinct (customer, start, end) rows or distinct (user,
period) pairs. Headline: the share retained one period on, over every cohort that has reached
it, with a Wilson interval on the pooled customers.

>>> est = Cohorts().compute({"user": ["a", "b", "a", "c", "b"],
...     "time": ["2025-01-03", "2025-01-09", "2025-02-11", "2025-02-20", "2025-03-31"]})
>>> [(c["cohort"], c["size"], c["retained"]) for c in est.details["cohorts"]]
[('2025-01', 2, [100.0, 50.0, 50.0]), ('2025-02', 1, [100.0, 0.0])]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Kpi
from ..errors import UsageError
from ..idrows import IdRows
from ..periods import US_PER_DAY, Period
from ..registry import register
from .mau import TIME, USER
from .roster import END, ID, NO_END, START, parse_end

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..planning import Query
    from ..times import TimeSettings
    from ..values import Parsed

ROSTER = tuple(replace(r, required=False) for r in (ID, START, END))
EVENTS = tuple(replace(r, required=False) for r in (USER, TIME))
PERIODS = (Period.WEEK, Period.MONTH, Period.QUARTER)


@dataclass
class Members(IdRows):
    """Distinct rows: (customer, start µs, end µs) of a roster, or (user, period code, 0) of
    events."""

    latest: int | None = None  # the latest date seen (µs): where the last complete period ends

    def reduce(self, table: pa.Table) -> pa.Table:
        return table.group_by(["id", "a", "b"]).aggregate([]).select(["id", "a", "b"])

    def seen(self, ids: pa.Array, a: np.ndarray, b: np.ndarray, latest: int) -> None:
        """Rows read, the latest of their dates `latest`."""
        self.latest = latest if self.latest is None else max(self.latest, latest)
        self.add(ids, a, b)

    def merge(self, other: Members) -> Members:
        dates = [x for x in (self.latest, other.latest) if x is not None]
        return self.joined(other, latest=max(dates) if dates else None)


@register
@dataclass(frozen=True)
class Cohorts(Kpi[Members]):
    """Cohort retention: the share of each start period's customers active in each later one."""

    name = "cohorts"
    title = "Cohort retention"
    value_unit = "percent"
    indicator = "lagging"
    roles = (*ROSTER, *EVENTS)
    examples = (
        "cx cohorts customers.csv --id Customer --start Signup --end Cancelled",
        "cx cohorts events.parquet --user uid --time ts --period week --by platform",
    )

    grain: Period = field(default=Period.MONTH, metadata={"cli": False})  # from --period
    mode: str = field(default="", metadata={"cli": False})  # "roster" or "events"

    @property
    def definition(self) -> str:
        return f"cohorts.{self.mode or 'roster'}"

    def adopt(self, query: Query) -> tuple[Cohorts, Query]:
        """--period is the cohorts' length here, not a split of the results."""
        if query.period is None:
            return self, query
        if query.period not in PERIODS:
            raise UsageError("cx cohorts --period is week, month or quarter")
        return replace(self, grain=query.period), replace(query, period=None)

    def select_roles(self, named: dict[str, str], found: dict[str, str]) -> dict[str, str]:
        events = {r.name for r in EVENTS}
        if events & set(named):
            mode = "events"
        elif {r.name for r in ROSTER} & set(named) or {"start", "end"} <= set(found):
            mode = "roster"  # found by name alone, a roster has ends: signups are not one
        elif "time" in found:
            mode = "events"
        else:
            raise UsageError(
                "cx cohorts needs a roster (--id, --start, --end) or events (--user, --time)"
            )
        wanted = ("id", "start", "end") if mode == "roster" else ("user", "time")
        roles = {k: c for k, c in {**found, **named}.items() if k in wanted}
        missing = [f"--{w}" for w in wanted[:2] if w not in roles]
        if missing:
            raise UsageError(f"cx cohorts from {mode} needs {' and '.join(missing)}")
        return roles

    def bind(self, roles: Mapping[str, str]) -> Cohorts:
        return replace(self, mode="events" if "user" in roles else "roster")

    def params(self) -> dict[str, Any]:
        return {"cohort_period": str(self.grain)}

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:

        from ..times import parse_times
        from ..values import parse_ids

        if self.mode == "events":
            return {
                "user": parse_ids(columns["user"], arrow=True),
                "time": parse_times(columns["time"], times, "time"),
            }
        start = parse_times(columns["start"], times, "start")
        parsed = {"id": parse_ids(columns["id"], arrow=True), "start": start}
        if "end" in columns:
            parsed["end"] = parse_end(columns["end"], times, start)
        return parsed

    def init(self) -> Members:
        return Members()

    def update(self, state: Members, values: Mapping[str, np.ndarray]) -> Members:
        import numpy as np

        from ..periods import period_codes

        if self.mode == "events":
            times = values["time"]
            if not len(times):
                return state
            codes = period_codes(times, self.grain)
            state.seen(
                values["user"], codes, np.zeros(len(codes), dtype=np.int64), int(times.max())
            )
            return state
        starts = values["start"]
        if not len(starts):
            return state
        ends = values.get("end", np.full(len(starts), NO_END, dtype=np.int64))
        known = ends[ends != NO_END]
        latest = max(int(starts.max()), int(known.max()) if len(known) else int(starts.max()))
        state.seen(values["id"], starts, ends, latest)
        return state

    def merge(self, a: Members, b: Members) -> Members:
        return a.merge(b)

    def finalize(self, state: Members, confidence: float = 0.95) -> Estimate:
        from ..stats import wilson

        table = state.rows()
        customers = len(table.column("id").unique()) if table.num_rows else 0
        details: dict[str, Any] = {"mode": self.mode, "period": str(self.grain), "cohorts": []}
        if not table.num_rows or state.latest is None:
            return Estimate(None, 0, None, details, ("no customers",))
        counts, sizes, first, last = self._counts(table, state.latest)
        notes: list[str] = []
        if last < first:
            note = "no complete period yet: the data ends inside its first period"
            return Estimate(None, customers, None, details, (note,))
        cohorts = []
        retained_1 = reached_1 = 0
        for c in range(last - first + 1):
            if not sizes[c]:
                continue
            row = counts[c, : last - first - c + 1]
            cohorts.append(
                {
                    "cohort": self._label(first + c),
                    "size": int(sizes[c]),
                    "retained": [100 * int(v) / int(sizes[c]) for v in row],
                }
            )
            if len(row) > 1:
                retained_1 += int(row[1])
                reached_1 += int(sizes[c])
        details["cohorts"] = cohorts
        details["latest"] = self._label(last)
        if not reached_1:
            notes.append("no cohort has a later complete period yet")
            return Estimate(None, customers, None, details, tuple(notes))
        details["retained_after_1"] = {"retained": retained_1, "customers": reached_1}
        value = 100 * retained_1 / reached_1
        ci = wilson(retained_1, reached_1, confidence)
        return Estimate(value, customers, ci, details, tuple(notes))

    def _label(self, code: int) -> str:
        from ..periods import period_label

        return period_label(code, self.grain)

    def _boundary(self, code: int) -> int:
        """The first moment (µs) of period `code`."""
        import datetime as dt

        from ..periods import period_start

        day = period_start(self._label(code)) - dt.date(1970, 1, 1)
        return day.days * US_PER_DAY

    def _counts(self, table: pa.Table, latest: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Customers active by cohort (rows, from the first cohort) and periods after it
        (columns), the cohort sizes, and the first cohort's and the last complete period's
        codes."""
        import numpy as np
        import pyarrow.compute as pc

        from ..periods import period_codes

        ids = pc.dictionary_encode(table.column("id")).combine_chunks()
        who = ids.indices.to_numpy()
        a, b = table.column("a").to_numpy(), table.column("b").to_numpy()
        day_after = (latest // US_PER_DAY + 1) * US_PER_DAY  # the latest date's day is complete
        last = int(period_codes(np.array([day_after]), self.grain)[0]) - 1
        codes = a if self.mode == "events" else period_codes(a, self.grain)
        cohort_of = np.full(len(ids.dictionary), np.iinfo(np.int64).max)
        np.minimum.at(cohort_of, who, codes)
        first = int(cohort_of.min())
        periods = max(last - first + 1, 0)
        cohort = cohort_of[who] - first
        sizes = np.bincount(cohort_of - first, minlength=periods)[:periods]
        counts = np.zeros((periods, periods + 1), dtype=np.int64)
        if periods == 0:
            return counts, sizes, first, last
        if self.mode == "events":
            at = codes - first
            keep = at < periods
            np.add.at(counts, (cohort[keep], at[keep] - cohort[keep]), 1)
            return counts, sizes, first, last
        # roster: the period ends each subscription covers, [lo, hi) by index
        ends = np.array([self._boundary(first + j + 1) for j in range(periods)])
        lo = np.searchsorted(ends, a, side="right")  # the first period end after the start
        hi = np.searchsorted(ends, b, side="right")  # ends up to the subscription's end
        hi = np.minimum(hi, periods)
        keep = (hi > lo) & (cohort < periods)
        who, cohort, lo, hi = who[keep], cohort[keep], lo[keep], hi[keep]
        # one customer's overlapping subscriptions count once: merge their ranges
        order = np.lexsort((lo, who))
        who, cohort, lo, hi = who[order], cohort[order], lo[order], hi[order]
        span = periods + 1
        reach = np.maximum.accumulate(who * span + hi) - who * span
        opens = np.ones(len(who), dtype=bool)
        opens[1:] = (who[1:] != who[:-1]) | (lo[1:] > reach[:-1])
        group = np.cumsum(opens) - 1
        starts = lo[opens]
        stops = np.zeros(opens.sum(), dtype=np.int64)
        np.maximum.at(stops, group, hi)
        owner = cohort[opens]
        diff = np.zeros((periods, periods + 2), dtype=np.int64)
        np.add.at(diff, (owner, starts - owner), 1)
        np.add.at(diff, (owner, stops - owner), -1)
        counts[:, :] = np.cumsum(diff, axis=1)[:, : periods + 1]
        return counts, sizes, first, last
