"""Shared state for roster KPIs (churn, retention): one row per customer with a start date and
an end date (empty = still active), kept per customer so that a duplicate id is reported and
counted once, and so that any window can be measured after one pass.

For a window [from, to):
  S = customers with start < from and (no end or end ≥ from)   — active at the start
  L = those of S whose end is in [from, to)                    — lost
  N = customers with start in [from, to)                       — new
  E = customers with start < to and (no end or end ≥ to)       — active at the end
Memory is proportional to customers, not rows read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..kpi import Role, WindowedKpi
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
MRR = Role("mrr", "mrr", ("monthly_revenue", "mrr_amount"), "monthly recurring revenue", False)


@dataclass
class Roster:
    """Customers seen so far, as batches of (id, start, end, mrr) arrays; deduplicated on use."""

    ids: list[pa.Array] = field(default_factory=list)
    starts: list[np.ndarray] = field(default_factory=list)
    ends: list[np.ndarray] = field(default_factory=list)
    mrr: list[np.ndarray] = field(default_factory=list)
    _table: dict[str, Any] | None = None

    def table(self) -> dict[str, Any]:
        """One record per customer (the earliest start wins), plus the duplicates found."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._table is not None:
            return self._table
        if not self.ids:
            empty = np.zeros(0, dtype=np.int64)
            self._table = {
                "start": empty,
                "end": empty,
                "mrr": np.zeros(0),
                "duplicates": 0,
                "examples": [],
            }
            return self._table
        ids = pa.chunked_array(self.ids).combine_chunks()
        codes = pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False)
        starts, ends = np.concatenate(self.starts), np.concatenate(self.ends)
        order = np.lexsort((ends, starts, codes))
        first = np.ones(order.size, dtype=bool)
        first[1:] = codes[order][1:] != codes[order][:-1]
        keep, extra = order[first], order[~first]
        repeated = pc.unique(ids.take(pa.array(extra)))  # in id order, whatever the merge order
        examples = repeated.take(pc.sort_indices(repeated)[:DUPLICATE_EXAMPLES]).to_pylist()
        self._table = {
            "start": starts[keep],
            "end": ends[keep],
            "mrr": np.concatenate(self.mrr)[keep],
            "duplicates": int(extra.size),
            "examples": examples[:DUPLICATE_EXAMPLES],
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

    roles: ClassVar[tuple[Role, ...]] = (ID, START, END, MRR)
    window_roles: ClassVar[tuple[str, ...]] = ("start", "end")
    value_unit: ClassVar[str] = "percent"

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        import numpy as np

        from ..times import parse_times
        from ..values import Parsed, parse_ids, parse_numbers

        parsed = {"id": parse_ids(columns["id"])}
        start = parse_times(columns["start"], times, "start")
        parsed["start"] = start
        if "end" in columns:
            end = parse_times(columns["end"], times, "end")
            backwards = start.valid & end.valid & (end.values < start.values)
            values = np.where(end.missing, NO_END, end.values)  # no end: still active
            parsed["end"] = Parsed(
                values, np.zeros(len(values), dtype=bool), end.invalid | backwards
            )
        if "mrr" in columns:
            mrr = parse_numbers(columns["mrr"])
            parsed["mrr"] = Parsed(
                mrr.values, np.zeros(len(mrr.values), dtype=bool), mrr.invalid | (mrr.values < 0)
            )
        return parsed

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
        """S, L, N, E (and MRR at the start and lost) over window `index`."""
        table = state.table()
        window: Window = self.windows[index]
        start, end, mrr = table["start"], table["end"], table["mrr"]
        active = (start < window.start) & (end >= window.start)
        lost = active & (end < window.end)
        return {
            "S": int(active.sum()),
            "L": int(lost.sum()),
            "N": int(((start >= window.start) & (start < window.end)).sum()),
            "E": int(((start < window.end) & (end >= window.end)).sum()),
            "mrr_start": float(mrr[active].sum()),
            "mrr_lost": float(mrr[lost].sum()),
            "days": window.days,
            "duplicates": table["duplicates"],
            "duplicate_examples": table["examples"],
            "customers": int(start.size),
        }

    def from_result(self, result: Mapping[str, Any]) -> dict[str, Any] | None:
        details = result.get("details") or {}
        if not all(isinstance(details.get(k), int) for k in "SLNE"):
            return None
        return {k: details[k] for k in "SLNE"}

    def counts(self, view: dict[str, Any]) -> dict[str, Any]:
        """The details every roster KPI reports."""
        details = {k: view[k] for k in ("S", "L", "N", "E")}
        details["customers"] = view["customers"]
        details["duplicate_ids"] = view["duplicates"]
        details["duplicate_examples"] = view["duplicate_examples"]
        return details

    def notes(self, view: dict[str, Any]) -> tuple[str, ...]:
        notes = []
        if view["duplicates"]:
            shown = ", ".join(repr(x) for x in view["duplicate_examples"])
            notes.append(
                f"{view['duplicates']} rows repeat a customer id already seen (e.g. {shown}); "
                "each customer is counted once, with its earliest start"
            )
        if view["S"] == 0:
            notes.append("no customers were active at the start of the window")
        return tuple(notes)
