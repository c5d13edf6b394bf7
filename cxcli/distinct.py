"""Exact distinct counting for KPIs that count customers, users or members."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass
class DistinctSet:
    """An exact set of ids: unique arrow arrays, compacted as they grow, so memory follows the
    number of distinct ids, not of rows."""

    chunks: list[pa.Array] = field(default_factory=list)
    size: int = 0  # length of all chunks
    unique_size: int = 0  # distinct ids at the last compaction

    def add(self, ids: pa.Array) -> None:
        import pyarrow.compute as pc

        if len(ids) == 0:
            return
        unique = pc.unique(ids)
        self.chunks.append(unique)
        self.size += len(unique)
        if self.size > 2 * self.unique_size + 65_536:
            self._compact()

    def _compact(self) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if len(self.chunks) > 1:
            self.chunks = [pc.unique(pa.chunked_array(self.chunks).combine_chunks())]
        self.size = self.unique_size = len(self.chunks[0]) if self.chunks else 0

    def count(self) -> int:
        self._compact()
        return self.size

    def union(self, *others: DistinctSet) -> DistinctSet:
        """This set and `others` together (none of them changed)."""
        out = DistinctSet(self.chunks + [c for o in others for c in o.chunks])
        out._compact()
        return out
