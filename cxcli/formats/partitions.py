"""A file of a hive-partitioned dataset: its reader, with the partition values of its folders
(`region=eu/`) as string columns the file itself does not hold."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa

from . import Reader
from .header import Header


class PartitionedReader(Reader):
    """Wraps a file's reader; a column the file has wins over a partition of the same name."""

    def __init__(self, inner: Reader) -> None:
        self.inner, self.settings = inner, inner.settings
        own = set(inner.columns)
        self.values = {k: v for k, v in inner.item.partitions if k not in own}
        header = inner.header
        self.header = Header(
            [*header.names, *self.values],
            header.labels,
            header.rows,
            header.layout,
            header.renamed,
        )

    @property  # type: ignore[override]
    def item(self):
        return self.inner.item

    @item.setter
    def item(self, value) -> None:
        self.inner.item = value

    def _with_values(self, batch: pa.RecordBatch, names: Sequence[str]) -> pa.RecordBatch:
        n = batch.num_rows
        columns = {name: batch.column(name) for name in batch.schema.names}
        for name in names:
            if name in self.values:
                columns[name] = pa.repeat(pa.scalar(self.values[name], pa.string()), n)
        return pa.RecordBatch.from_pydict({name: columns[name] for name in names})

    def _split(self, names: Sequence[str]) -> list[str]:
        return [name for name in names if name not in self.values]

    def batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        for batch in self.inner.batches(self._split(names)):
            yield self._with_values(batch, names)

    def group_batches(self, names: Sequence[str], first: int, last: int):
        for batch in self.inner.group_batches(self._split(names), first, last):  # type: ignore[attr-defined]
            yield self._with_values(batch, names)

    def column_max(self, name: str) -> pa.Scalar | None:
        if name in self.values:
            return None
        column_max = getattr(self.inner, "column_max", None)
        return None if column_max is None else column_max(name)

    def row_groups(self) -> list[int]:
        return self.inner.row_groups()  # type: ignore[attr-defined]

    def sample(self, names: Sequence[str]) -> pa.Table:
        table = self.inner.sample(self._split(names))
        batch = table.combine_chunks().to_batches()
        if not batch:
            schema = [
                (n, pa.string()) if n in self.values else (n, table.schema.field(n).type)
                for n in names
            ]
            return pa.schema(schema).empty_table()
        return pa.Table.from_batches([self._with_values(b, names) for b in batch])

    def ranges(self, parts: int, min_bytes: int | None = None) -> list[tuple[int, int]] | None:
        return (
            self.inner.ranges(parts) if min_bytes is None else self.inner.ranges(parts, min_bytes)
        )

    def range_batches(self, names: Sequence[str], start: int, end: int) -> Iterator[pa.RecordBatch]:
        for batch in self.inner.range_batches(self._split(names), start, end):
            yield self._with_values(batch, names)
