"""Each customer's spend by purchase day, exact and mergeable: what `cx clv` needs beyond sums
(each customer's tenure; the frequency, recency and spend the BG/NBD model is fitted to).

Rows are (customer, day, spend in µ-units), one per customer and day once compacted (orders on
one day are one purchase, as in the models' papers); memory follows customer-days, not orders
— or, keeping first days only (the historic formula's tenure), customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


@dataclass
class Ledger:
    """Customer-day spend rows in chunks (ids, days since 1970, µ-units), compacted as they
    grow."""

    firsts: bool = False  # keep each customer's first day only (its spend summed): tenure
    customer: list[pa.Array] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    spend: list[np.ndarray] = field(default_factory=list)
    size: int = 0  # rows of all chunks
    compact_size: int = 0  # rows at the last compaction

    def add(self, customers: pa.Array, days: np.ndarray, spend: np.ndarray) -> None:
        import pyarrow as pa

        if len(days) == 0:
            return
        self._append(_aggregated(customers.cast(pa.string()), days, spend, self.firsts))
        if self.size > 2 * self.compact_size + 65_536:
            self.compact()

    def _append(self, table: pa.Table) -> None:
        self.customer.append(table.column("customer").combine_chunks())
        self.day.append(table.column("day").to_numpy())
        self.spend.append(table.column("spend").to_numpy())
        self.size += table.num_rows

    def merge(self, other: Ledger) -> Ledger:
        out = Ledger(
            self.firsts or other.firsts,
            [*self.customer, *other.customer],
            [*self.day, *other.day],
            [*self.spend, *other.spend],
            self.size + other.size,
        )
        out.compact()
        return out

    def compact(self) -> None:
        if len(self.day) > 1:
            table = self.table(sort=False)
            self.customer, self.day, self.spend, self.size = [], [], [], 0
            self._append(table)
        self.compact_size = self.size

    def table(self, sort: bool = True) -> pa.Table:
        """Every (customer, day, spend) row, one per customer and day, sorted by both."""
        import numpy as np
        import pyarrow as pa

        if not self.day:
            return _aggregated(pa.array([], pa.string()), np.zeros(0), np.zeros(0))
        table = _aggregated(
            pa.chunked_array(self.customer, pa.string()).combine_chunks(),
            np.concatenate(self.day),
            np.concatenate(self.spend),
            self.firsts,
        )
        return table.sort_by([("customer", "ascending"), ("day", "ascending")]) if sort else table


def _aggregated(
    customers: pa.Array, days: np.ndarray, spend: np.ndarray, firsts: bool = False
) -> pa.Table:
    """One row per customer and day, its spend summed (`firsts`: per customer, its first
    day)."""
    import pyarrow as pa

    table = pa.table(
        {
            "customer": customers,
            "day": pa.array(days, pa.int32()),
            "spend": pa.array(spend, pa.int64()),
        }
    )
    if firsts:
        summed = table.group_by("customer").aggregate([("day", "min"), ("spend", "sum")])
        day = summed.column("day_min")
    else:
        summed = table.group_by(["customer", "day"]).aggregate([("spend", "sum")])
        day = summed.column("day")
    return pa.table(
        {"customer": summed.column("customer"), "day": day, "spend": summed.column("spend_sum")}
    )


@dataclass(frozen=True)
class Customers:
    """Per customer (in id order): first and last purchase day, purchase days, total spend and
    the spend of the first day (µ-units)."""

    ids: pa.Array
    first: np.ndarray
    last: np.ndarray
    days: np.ndarray
    spend: np.ndarray
    first_spend: np.ndarray


def customers_of(table: pa.Table) -> Customers:
    """The per-customer summary of a sorted ledger table (Ledger.table), or of a slice of it."""
    import numpy as np

    ids = table.column("customer").combine_chunks()
    day = table.column("day").to_numpy()
    spend = table.column("spend").to_numpy()
    if len(day) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Customers(ids, empty, empty, empty, empty, empty)
    import pyarrow.compute as pc

    change = np.ones(len(day), dtype=bool)
    change[1:] = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).to_numpy(
        zero_copy_only=False
    )
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], len(day)) - 1
    return Customers(
        ids.take(starts),
        day[starts].astype(np.int64),
        day[ends].astype(np.int64),
        np.diff(np.append(starts, len(day))),
        np.add.reduceat(spend, starts),
        spend[starts],
    )
