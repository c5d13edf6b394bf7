"""Exact distinct counting for KPIs that count customers, users or members."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
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

    def split(self, shards: int) -> list[DistinctSet]:
        """The set cut into `shards` sets that share no id, by a hash of each id's bytes (the
        same in every process), for merging on separate workers (`joined`)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        self._compact()
        if not self.chunks:
            return [DistinctSet() for _ in range(shards)]
        ids = self.chunks[0]
        which = pa.array(shard_of(ids, shards))
        out = []
        for shard in range(shards):
            piece = ids.filter(pc.equal(which, shard))
            out.append(DistinctSet([piece], len(piece), len(piece)))
        return out

    @staticmethod
    def joined(parts: list[DistinctSet]) -> DistinctSet:
        """Sets that share no id (the shards of `split`, each merged) as one: concatenated,
        not hashed again."""
        import pyarrow as pa

        for part in parts:
            part._compact()
        chunks = [c for part in parts for c in part.chunks]
        if not chunks:
            return DistinctSet()
        whole = pa.concat_arrays(chunks) if len(chunks) > 1 else chunks[0]
        return DistinctSet([whole], len(whole), len(whole))

    def union(self, *others: DistinctSet) -> DistinctSet:
        """This set and `others` together (none of them changed)."""
        out = DistinctSet(self.chunks + [c for o in others for c in o.chunks])
        out._compact()
        return out


def shard_of(ids: pa.Array, shards: int) -> np.ndarray:
    """A shard in [0, shards) for each id of a string array: an FNV-1a-style hash of its
    length, first 4 and last 8 bytes, vectorised (no per-id Python), stable across processes
    (Python's own hash() is salted per process)."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_large_string(ids.type):
        ids = ids.cast(pa.large_string())
    _, offsets_buffer, data_buffer = ids.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int64)[ids.offset : ids.offset + len(ids) + 1]
    data = (
        np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(1, np.uint8)
    )
    if data.size == 0:
        data = np.zeros(1, np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    lengths = ends - starts
    prime = np.uint64(1099511628211)
    h = np.full(len(ids), 14695981039346656037, np.uint64) ^ lengths.astype(np.uint64)
    last = data.size - 1
    with np.errstate(over="ignore"):
        for positions, present in [(starts + j, lengths > j) for j in range(4)] + [
            (ends - j, lengths >= j) for j in range(1, 9)
        ]:
            byte = np.where(present, data[np.clip(positions, 0, last)], 0).astype(np.uint64)
            h = (h ^ byte) * prime
    return ((h >> np.uint64(29)) % np.uint64(shards)).astype(np.int64)
