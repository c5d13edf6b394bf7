"""Parquet through `ParquetFile.iter_batches`, page by page with column projection (no row-group
pre-buffering); stdin is held in memory, as the format needs to seek."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import BinaryIO

import pyarrow as pa

from ..errors import InputError
from ..source import BATCH_ROWS, Input, ReadSettings
from . import SAMPLE_ROWS, Reader
from .header import Header

PARALLEL_MIN_ROWS = 1_000_000  # a local file this long is read in runs of row groups, on threads


class ParquetReader(Reader):
    def __init__(self, item: Input, settings: ReadSettings, stream: BinaryIO | None = None):
        import pyarrow.parquet as pq

        super().__init__(item, settings)
        try:
            if stream is not None:
                self._file = pq.ParquetFile(pa.BufferReader(pa.py_buffer(stream.read())))
            elif item.remote:
                from ..datasets import open_file

                self._file = pq.ParquetFile(open_file(item, settings.s3_endpoint), pre_buffer=False)
            else:
                # pre_buffer would hold whole row groups in memory: stream pages instead.
                self._file = pq.ParquetFile(item.read_path, pre_buffer=False, buffer_size=1 << 20)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{item.path}: not a readable Parquet file ({exc})") from None
        self.header = Header(list(self._file.schema_arrow.names))

    def batches(self, names: Sequence[str]) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._file.iter_batches(batch_size=BATCH_ROWS, columns=list(names)):
                self.item.rows += batch.num_rows
                yield batch
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.item.path}: cannot read Parquet data: {exc}") from None

    def group_batches(
        self, names: Sequence[str], first: int, last: int
    ) -> Iterator[pa.RecordBatch]:
        """The named columns of the row groups [first, last)."""
        groups = list(range(first, last))
        try:
            for batch in self._file.iter_batches(BATCH_ROWS, groups, columns=list(names)):
                self.item.rows += batch.num_rows
                yield batch
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.item.path}: cannot read Parquet data: {exc}") from None

    def column_max(self, name: str) -> pa.Scalar | None:
        """The largest value of a date or timestamp column from the row groups' statistics;
        None for another type, or when a row group has none."""
        kind = self._file.schema_arrow.field(name).type
        if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
            return None
        metadata = self._file.metadata
        index = next(
            (i for i in range(metadata.num_columns) if metadata.schema.column(i).path == name),
            None,
        )
        if index is None:
            return None
        top = None
        for group in range(metadata.num_row_groups):
            chunk = metadata.row_group(group)
            if chunk.num_rows == 0:
                continue
            stats = chunk.column(index).statistics
            if stats is None or not stats.has_min_max:
                return None
            top = stats.max if top is None else max(top, stats.max)
        return None if top is None else pa.scalar(top, kind)

    def row_groups(self) -> list[int]:
        """The rows of each row group."""
        metadata = self._file.metadata
        return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]

    def ranges(self, parts: int, min_bytes: int | None = None) -> list[tuple[int, int]] | None:
        """Runs of row groups [first, last) of about equal rows, one per thread, for a local
        file of at least PARALLEL_MIN_ROWS rows and two row groups (split by rows: `min_bytes`
        does not apply)."""
        if parts < 2 or self.item.is_stdin or self.item.remote:
            return None
        sizes = self.row_groups()
        if len(sizes) < 2 or sum(sizes) < PARALLEL_MIN_ROWS:
            return None
        return [run for run, _ in group_runs(sizes, parts)]

    def range_batches(self, names: Sequence[str], start: int, end: int) -> Iterator[pa.RecordBatch]:
        """The named columns of the row groups [start, end), through a file opened for this
        thread; rows are counted by the caller."""
        import pyarrow.parquet as pq

        try:
            own = pq.ParquetFile(self.item.read_path, pre_buffer=False, buffer_size=1 << 20)
            yield from own.iter_batches(BATCH_ROWS, list(range(start, end)), columns=list(names))
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.item.path}: cannot read Parquet data: {exc}") from None

    def sample(self, names: Sequence[str]) -> pa.Table:
        schema = pa.schema([self._file.schema_arrow.field(n) for n in names])
        try:
            batch = next(self._file.iter_batches(batch_size=SAMPLE_ROWS, columns=list(names)))
        except StopIteration:
            return schema.empty_table()
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.item.path}: cannot read Parquet data: {exc}") from None
        return pa.Table.from_batches([batch])


def group_runs(sizes: Sequence[int], parts: int) -> list[tuple[tuple[int, int], int]]:
    """Row groups (their rows `sizes`) cut into up to `parts` runs of about equal rows, each
    with the rows before it: [((first, last), first_row), …]."""
    total, out, first, before, done = sum(sizes), [], 0, 0, 0
    for index, size in enumerate(sizes):
        done += size
        if done * parts >= total * (len(out) + 1) or index == len(sizes) - 1:
            out.append(((first, index + 1), before))
            first, before = index + 1, done
    return out
