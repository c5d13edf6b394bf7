"""Shared state for roster KPIs (churn, retention): one row per subscription — a customer id,
a start date and an end date (empty = still active) — kept so that any window can be measured
after one pass. A customer with several subscriptions (a second plan, a win-back) is one
customer, active while any of theirs is.

For a window [from, to), by customer:
  S = active at `from` (a subscription with start < from and (no end or end ≥ from))
  L = those of S not active at `to`                            — lost
  N = first start in [from, to)                                — new
  R = not active at `from`, an earlier subscription, one started in [from, to): returning
      (a win-back: a reactivation, neither new nor lost; ChartMogul's convention)
  E = active at `to`
Revenue: `--mrr` per subscription, made monthly by `--interval` (month, year, quarter, week,
day) and `--interval-count` when given. Trials: a subscription counts from its trial's end
(`--trial-end`), and one that ended by then (or whose `--status` says it never started:
incomplete, incomplete_expired; or trialing, with no trial end) is no customer; `--count-trials`
counts them from their start instead. Memory is proportional to subscriptions, not rows read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..definition import Role, WindowedKpi, option
from ..windows import Window

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

NO_END = 2**63 - 1
DUPLICATE_EXAMPLES = 5

ID = Role(
    "id",
    "customer_id",
    (
        *("customer", "customer_id", "account_id", "client_id", "user_id", "cust_id", "id"),
        *("customer_email", "email"),
    ),
    "customer ids",
)
_CANCELLED = ("cancel_date", "cancelled", "canceled", "cancelled_at", "canceled_at")
START = Role(
    "start",
    "start_date",
    (
        *("start", "signup", "signup_date", "signed_up", "created_at", "joined", "subscribed_at"),
        "started_at",
    ),
    "start (signup) dates",
    kind="time",
)
END = Role(
    "end",
    "end_date",
    (
        "end",
        "churn_date",
        "cancel_date",
        "cancelled",
        "canceled",
        "cancelled_at",
        "canceled_at",
        "churned",
        "churned_at",
        "ended_at",
    ),
    "end (churn, cancel) dates; empty = still active",
    False,
    kind="time",
    meanings=(
        *((name, "when the customer asked to cancel") for name in _CANCELLED),
        *((name, "when the subscription ended") for name in ("end", "end_date", "ended_at")),
        *((name, "when the customer churned") for name in ("churn_date", "churned", "churned_at")),
    ),
)
MRR = Role(
    "mrr",
    "mrr",
    ("monthly_revenue", "mrr_amount"),
    "recurring revenue (monthly, or per --interval)",
    False,
)
INTERVAL = Role(
    "interval",
    "interval",
    ("billing_period", "plan_interval", "billing_interval", "billing_period_unit"),
    "the billing interval of --mrr (month, year, quarter, week, day)",
    False,
)
INTERVAL_COUNT = Role(
    "interval_count",
    "interval_count",
    ("plan_interval_count", "billing_period_count"),
    "intervals per bill (3 with month: quarterly)",
    False,
)
TRIAL_END = Role(
    "trial_end",
    "trial_end",
    ("trial_end_date", "trial_ends_at", "trial_ended_at"),
    "trial end dates: a customer from then, if still subscribed",
    False,
    kind="time",
)
STATUS = Role(
    "status",
    "status",
    ("subscription_status",),
    "subscription status (incomplete, incomplete_expired, trialing: not yet a customer)",
    False,
)
NEVER_STARTED = ("incomplete", "incomplete_expired")
MONTHS = {
    **dict.fromkeys(("month", "months", "monthly", "mo"), 1.0),
    **dict.fromkeys(("year", "years", "yearly", "annual", "annually", "yr"), 12.0),
    **dict.fromkeys(("quarter", "quarters", "quarterly"), 3.0),
    **dict.fromkeys(("week", "weeks", "weekly"), 7 / 30.436875),
    **dict.fromkeys(("day", "days", "daily"), 1 / 30.436875),
}


@dataclass
class Roster:
    """Subscriptions seen so far, as batches of (customer id, start, end, monthly revenue)
    arrays; a subscription that never made a customer has start NO_END."""

    ids: list[pa.Array] = field(default_factory=list)
    starts: list[np.ndarray] = field(default_factory=list)
    ends: list[np.ndarray] = field(default_factory=list)
    mrr: list[np.ndarray] = field(default_factory=list)
    _table: dict[str, Any] | None = None

    def table(self) -> dict[str, Any]:
        """The subscriptions with a dense customer code each, and the customers' first
        starts; rows that repeat a customer id are counted (several subscriptions)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._table is not None:
            return self._table
        if not self.ids:
            empty = np.zeros(0, dtype=np.int64)
            self._table = {"code": empty, "start": empty, "end": empty, "mrr": np.zeros(0)}
            self._table.update(first=empty, customers=0, repeats=0, examples=[])
            return self._table
        ids = pa.chunked_array(self.ids).combine_chunks()
        encoded = pc.dictionary_encode(ids)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        starts, ends = np.concatenate(self.starts), np.concatenate(self.ends)
        count = len(encoded.dictionary)
        first = np.full(count, NO_END, dtype=np.int64)
        np.minimum.at(first, codes, starts)
        rows = np.bincount(codes, minlength=count)
        repeated = encoded.dictionary.filter(pa.array(rows > 1))
        examples = repeated.take(pc.sort_indices(repeated)[:DUPLICATE_EXAMPLES]).to_pylist()
        self._table = {
            "code": codes,
            "start": starts,
            "end": ends,
            "mrr": np.concatenate(self.mrr),
            "first": first,
            "customers": int((first < NO_END).sum()),
            "repeats": int((rows[first < NO_END] - 1).clip(0).sum()),
            "examples": examples,
        }
        return self._table

    def merged(self, other: Roster) -> Roster:
        return Roster(
            self.ids + other.ids,
            self.starts + other.starts,
            self.ends + other.ends,
            self.mrr + other.mrr,
        )


@dataclass(frozen=True)
class RosterKpi(WindowedKpi[Roster]):
    """Base of churn and retention: the roster state and the S, L, N, E counts of a window."""

    roles: ClassVar[tuple[Role, ...]] = (ID, START, END, MRR, INTERVAL, INTERVAL_COUNT)
    roles += (TRIAL_END, STATUS)
    window_roles: ClassVar[tuple[str, ...]] = ("start", "end")
    value_unit: ClassVar[str] = "percent"

    count_trials: bool = option(
        False, "count a subscription in its trial as a customer from its start"
    )

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        import numpy as np

        from ..times import parse_times
        from ..values import Parsed, parse_ids

        parsed = {"id": parse_ids(columns["id"])}
        start = parse_times(columns["start"], times, "start")
        n = len(start.values)
        none = np.zeros(n, dtype=bool)
        if "end" in columns:
            parsed["end"] = parse_end(columns["end"], times, start)
        ends = parsed["end"].values if "end" in parsed else np.full(n, NO_END, dtype=np.int64)
        begins, never = start.values, none
        if not self.count_trials:  # an invalid trial end is the trial end's, not the start's
            begins, never = self._after_trials(columns, times, start, ends, parsed)
        parsed["start"] = Parsed(np.where(never, NO_END, begins), start.missing, start.invalid)
        if "mrr" in columns:
            parsed.update(self._monthly(columns))
        for role in ("interval", "interval_count", "trial_end", "status"):
            if role in columns and role not in parsed:  # read with the others above
                parsed[role] = Parsed(np.zeros(n), none, none)
        return parsed

    def _after_trials(self, columns, times, start, ends, parsed):
        """(when each subscription makes a customer, which never do): from its trial's end;
        never when it ended by then, never started, or is trialing with no trial end to say
        when."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..times import parse_times
        from ..values import Parsed

        n = len(start.values)
        begins, never = start.values, np.zeros(n, dtype=bool)
        trial = None
        if "trial_end" in columns:
            trial = parse_times(columns["trial_end"], times, "trial_end")
            paid_from = trial.valid & (trial.values > start.values)
            begins = np.where(paid_from, trial.values, start.values)
            never |= paid_from & (ends <= trial.values)
            parsed["trial_end"] = Parsed(trial.values, np.zeros(n, bool), trial.invalid)
        if "status" in columns:
            text = pc.utf8_lower(pc.utf8_trim_whitespace(columns["status"].cast(pa.string())))
            status = text.to_numpy(zero_copy_only=False)
            never |= np.isin(status, NEVER_STARTED)
            trialing = status == "trialing"
            never |= trialing & (trial is None or ~trial.valid)
            parsed["status"] = Parsed(np.zeros(n), np.zeros(n, bool), np.zeros(n, bool))
        return begins, never

    def _monthly(self, columns: Mapping[str, pa.Array]) -> dict[str, Parsed]:
        """Recurring revenue per month: --mrr per --interval (× --interval-count); an
        interval cx does not know, or a count below 1, is invalid where it is written."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..values import Parsed, parse_amounts, parse_integers

        mrr = parse_amounts(columns["mrr"])
        n = len(mrr.values)
        none = np.zeros(n, dtype=bool)
        months = np.ones(n)
        out = {"mrr": Parsed(mrr.values, none, mrr.invalid | (mrr.values < 0))}
        if "interval" in columns:
            text = pc.utf8_lower(pc.utf8_trim_whitespace(columns["interval"].cast(pa.string())))
            keys = pa.array(list(MONTHS), pa.string())
            found = pc.index_in(text, value_set=keys).fill_null(-1).to_numpy(zero_copy_only=False)
            lengths = np.array(list(MONTHS.values()))
            months = np.where(found >= 0, lengths[np.maximum(found, 0)], 1.0)
            out["interval"] = Parsed(months, none, (found < 0) & ~mrr.missing)
        if "interval_count" in columns:
            count = parse_integers(columns["interval_count"], 1, 10_000)
            months = months * np.where(count.valid, count.values, 1)
            out["interval_count"] = Parsed(count.values, none, count.invalid & ~count.missing)
        values = np.where(mrr.missing, 0.0, mrr.values) / months
        out["mrr"] = Parsed(values, none, out["mrr"].invalid)
        return out

    def init(self) -> Roster:
        return Roster()

    def update(self, state: Roster, values: Mapping[str, np.ndarray]) -> Roster:
        import numpy as np
        import pyarrow as pa

        n = len(values["start"])
        if n == 0:
            return state
        state.ids.append(pa.array(values["id"], pa.string()))
        state.starts.append(values["start"])
        state.ends.append(values.get("end", np.full(n, NO_END, dtype=np.int64)))
        state.mrr.append(values.get("mrr", np.zeros(n)))
        state._table = None
        return state

    def merge(self, a: Roster, b: Roster) -> Roster:
        return a.merged(b)

    def view(self, state: Roster, index: int) -> dict[str, Any]:
        """S, L, N, R, E (and MRR at the start and lost) over window `index`, by customer."""
        import numpy as np

        table = state.table()
        window: Window = self.windows[index]
        code, start, end, mrr = table["code"], table["start"], table["end"], table["mrr"]
        customers = table["first"].size

        def anyone(rows: np.ndarray) -> np.ndarray:
            return np.bincount(code[rows], minlength=customers) > 0

        at_start = (start < window.start) & (end >= window.start)
        active = anyone(at_start)
        kept = anyone((start < window.end) & (end >= window.end))
        began = anyone((start >= window.start) & (start < window.end))
        first = table["first"]
        lost = active & ~kept
        new = (first >= window.start) & (first < window.end)
        returning = ~active & (first < window.start) & began
        return {
            "S": int(active.sum()),
            "L": int(lost.sum()),
            "N": int(new.sum()),
            "R": int(returning.sum()),
            "E": int(kept.sum()),
            "mrr_start": float(mrr[at_start].sum()),
            "mrr_lost": float(mrr[at_start & lost[code]].sum()),
            "days": window.days,
            "repeats": table["repeats"],
            "repeat_examples": table["examples"],
            "customers": table["customers"],
        }

    def from_result(self, result: Mapping[str, Any]) -> dict[str, Any] | None:
        details = result.get("details") or {}
        if not all(isinstance(details.get(k), int) for k in "SLNE"):
            return None
        reactivated = details.get("reactivated")
        return {
            **{k: details[k] for k in "SLNE"},
            "R": reactivated if isinstance(reactivated, int) else 0,
        }

    def counts(self, view: dict[str, Any]) -> dict[str, Any]:
        """The details every roster KPI reports."""
        details = {k: view[k] for k in ("S", "L", "N", "E")}
        details["reactivated"] = view["R"]
        details["customers"] = view["customers"]
        details["duplicate_ids"] = view["repeats"]  # rows beyond one per customer
        details["duplicate_examples"] = view["repeat_examples"]
        return details

    def notes(self, view: dict[str, Any]) -> tuple[str, ...]:
        notes = []
        if view["repeats"]:
            shown = ", ".join(repr(x) for x in view["repeat_examples"])
            notes.append(
                f"{view['repeats']} rows repeat a customer id (e.g. {shown}): several "
                "subscriptions of one customer, who is active while any of them is"
            )
        if view["R"]:
            notes.append(
                f"{view['R']} customers came back (a win-back): reactivated, neither new nor lost"
            )
        if view["S"] == 0:
            notes.append("no customers were active at the start of the window")
        return tuple(notes)


def parse_end(column: pa.Array, times: TimeSettings | None, start: Parsed) -> Parsed:
    """End dates: none is still active (NO_END, a valid value), an end before its start is
    invalid."""
    import numpy as np

    from ..times import parse_times
    from ..values import Parsed

    end = parse_times(column, times, "end")
    backwards = start.valid & end.valid & (end.values < start.values)
    values = np.where(end.missing, NO_END, end.values)
    return Parsed(values, np.zeros(len(values), dtype=bool), end.invalid | backwards)
