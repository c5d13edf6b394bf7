"""Exact per-id rows that merge: (id, a, b) rows kept in chunks and reduced as they grow, so
memory follows what the reduction keeps (an id's purchase days, its subscriptions), not the
rows read. `ledger.Ledger` (cx clv) and `kpis.cohorts.Members` (cx cohorts) are two; each
says how rows reduce."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


@dataclass
class IdRows:
    """Chunks of ids (text), a and b (int64), each chunk reduced; compacted into one chunk
    when they have doubled since the last compaction."""

    ids: list[pa.Array] = field(default_factory=list)
    a: list[np.ndarray] = field(default_factory=list)
    b: list[np.ndarray] = field(default_factory=list)
    size: int = 0  # rows of all chunks
    compact_size: int = 0  # rows at the last compaction

    def reduce(self, table: pa.Table) -> pa.Table:
        """The rows (columns id, a, b) as they are kept: summed, deduplicated …"""
        raise NotImplementedError

    def add(self, ids: pa.Array, a: np.ndarray, b: np.ndarray) -> None:
        import pyarrow as pa

        if len(a) == 0:
            return
        self._append(self.reduce(_table(ids.cast(pa.string()), a, b)))
        if self.size > 2 * self.compact_size + 65_536:
            self.compact()

    def _append(self, table: pa.Table) -> None:
        self.ids.append(table.column("id").combine_chunks())
        self.a.append(table.column("a").to_numpy())
        self.b.append(table.column("b").to_numpy())
        self.size += table.num_rows

    def joined(self, other: IdRows, **changes: Any) -> Any:
        """Both sets of rows as one (compacted), with `changes` to the other fields."""
        out = replace(
            self,
            ids=[*self.ids, *other.ids],
            a=[*self.a, *other.a],
            b=[*self.b, *other.b],
            size=self.size + other.size,
            compact_size=0,
            **changes,
        )
        out.compact()
        return out

    def compact(self) -> None:
        if len(self.a) > 1:
            table = self.rows()
            self.ids, self.a, self.b, self.size = [], [], [], 0
            self._append(table)
        self.compact_size = self.size

    def rows(self) -> pa.Table:
        """Every row kept (columns id, a, b), in no particular order."""
        import numpy as np
        import pyarrow as pa

        if not self.a:
            return self.reduce(_table(pa.array([], pa.string()), np.zeros(0), np.zeros(0)))
        if len(self.a) == 1:
            return _table(self.ids[0], self.a[0], self.b[0])
        ids = pa.chunked_array(self.ids, pa.string()).combine_chunks()
        return self.reduce(_table(ids, np.concatenate(self.a), np.concatenate(self.b)))


def _table(ids: pa.Array, a: np.ndarray, b: np.ndarray) -> pa.Table:
    import pyarrow as pa

    return pa.table({"id": ids, "a": pa.array(a, pa.int64()), "b": pa.array(b, pa.int64())})
