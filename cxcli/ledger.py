"""Each customer's spend by purchase day, exact and mergeable: what `cx clv` needs beyond sums
(each customer's tenure; the frequency, recency and spend the BG/NBD model is fitted to).

Rows are (customer, day, spend in µ-units), one per customer and day once compacted (orders on
one day are one purchase, as in the models' papers); memory follows customer-days, not orders
— or, keeping first days only (the historic formula's tenure), customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .idrows import IdRows

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


@dataclass
class Ledger(IdRows):
    """Customer-day spend rows (id, day since 1970, µ-units as a, b)."""

    firsts: bool = False  # keep each customer's first day only (its spend summed): tenure

    def reduce(self, table: pa.Table) -> pa.Table:
        """One row per customer and day, its spend summed (`firsts`: per customer, its first
        day)."""
        import pyarrow as pa

        if self.firsts:
            summed = table.group_by("id").aggregate([("a", "min"), ("b", "sum")])
            day = summed.column("a_min")
        else:
            summed = table.group_by(["id", "a"]).aggregate([("b", "sum")])
            day = summed.column("a")
        return pa.table({"id": summed.column("id"), "a": day, "b": summed.column("b_sum")})

    def merge(self, other: Ledger) -> Ledger:
        return self.joined(other, firsts=self.firsts or other.firsts)

    def customers(self) -> int:
        """How many distinct customers the ledger holds."""
        self.compact()
        if not self.a:
            return 0
        return len(self.ids[0]) if self.firsts else len(self.ids[0].unique())

    def table(self) -> pa.Table:
        """Every (customer, day, spend) row, one per customer and day, sorted by both."""
        table = self.rows().rename_columns(["customer", "day", "spend"])
        return table.sort_by([("customer", "ascending"), ("day", "ascending")])


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
